/* core/lua/lua_model.c — cpose.YOLO(model) and the "cpose.Model" userdata with the Ultralytics methods
 * predict/val/train/export/info, each bound by one entry in methods[]: the engine (core/nn/model.h), the
 * predictor (core/predict/predict.h), the validator (eval/val.h), the trainer (core/train/trainer.h, through
 * core/lua/lua_train_run.c) and the exporter plugins. A method whose part a build lacks checks its
 * arguments and raises "not available in this build". */
#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"
#include "core/nn/kernels.h"
#include "core/nn/model.h"
#include "core/predict/predict.h"
#include "plugins/plugin_registry.h"
#include "datasets/dataset.h"
#include "datasets/pretrained.h"
#include "eval/val.h"
#include "reports/val_reports.h"

#include <string.h>

/* The userdata: the loaded model and what YOLO() was given. Both NULL once released. */
struct lua_model {
    char *source; /* model YAML name or weights path */
    struct cpose_model *model;
    int busy;     /* a method is running (its callback may not use or close the model) */
};

/* What a method call passes to its run function besides the arguments: the state and the stack
 * index of a Lua callback (0: none; only predict takes one). */
struct method_ctx {
    lua_State *L;
    int callback;
    cJSON *list;   /* results collected when there is no callback */
    long n;        /* results delivered */
};

static struct lua_model *check_model(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    if (!m->source) luaL_argerror(L, 1, "the cpose.Model is closed");
    if (m->busy) luaL_argerror(L, 1, "the cpose.Model is busy (a callback cannot use the model that calls it)");
    return m;
}

static void release(struct lua_model *m)
{
    if (!m->source) return;
    cpose_free(m->source);
    cpose_model_free(m->model);
    m->source = NULL;
    m->model = NULL;
    cpose_lua_object_released();
}

/* cpose.YOLO(model [, {cfg = ..., seed = ...}]) → cpose.Model. `model` is a model YAML
 * (yolov8n-pose.yaml: fresh weights from seed=, default 0) or weights (.h5, .pt, or a pretrained name
 * like yolov8n-pose.pt, downloaded when absent; cfg= gives the YAML for weights that carry none). Errors: the loader's message (missing file, bad YAML, ...). */
static int l_yolo(lua_State *L)
{
    const char *source = luaL_checkstring(L, 1);
    if (!*source) luaL_argerror(L, 1, "empty model name: give a model YAML (yolov8n-pose.yaml) or weights (.h5/.pt)");
    struct cpose_args *a = cpose_lua_checkargs(L, 2, "cpose.YOLO");
    struct lua_model *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m); /* safe to collect before anything is acquired */
    luaL_setmetatable(L, CPOSE_LUA_MODEL);
    const char *cfg = cpose_args_str(a, "cfg");
    struct cpose_model *model = NULL;
    int token = cpose_jobrec_call_begin("cpose.YOLO");
    int rc = cpose_model_load_resolved(source, *cfg ? cfg : NULL, (uint64_t)cpose_args_int(a, "seed", 0), &model);
    cpose_jobrec_call_end(token, rc);
    if (rc != CPOSE_OK) return cpose_lua_fail(L, "cpose.YOLO");
    if (cpose_path_is_file(source)) cpose_jobrec_input(source);
    if (*cfg && cpose_path_is_file(cfg)) cpose_jobrec_input(cfg);
    m->model = model;
    m->source = cpose_strdup(source);
    cpose_lua_object_created();
    return 1;
}

/* model:info{fuse = false, imgsz = 640} → {name, layers, params, gradients, gflops} as Ultralytics'
 * model.info() reports them. */
static int run_info(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result)
{
    struct cpose_model_summary s;
    int rc = cpose_model_summary(m->model, cpose_args_bool(a, "fuse"), (int)cpose_args_int(a, "imgsz", 640), &s);
    if (rc != CPOSE_OK) return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "name", s.name);
    cJSON_AddNumberToObject(r, "layers", (double)s.layers);
    cJSON_AddNumberToObject(r, "params", (double)s.params);
    cJSON_AddNumberToObject(r, "gradients", (double)s.gradients);
    cJSON_AddNumberToObject(r, "gflops", s.gflops);
    *result = r;
    return CPOSE_OK;
}

/* Under lua_pcall: (callback, light userdata cJSON *take) → callback(result as tables). */
static int call_callback(lua_State *L)
{
    cJSON *take = lua_touserdata(L, 2);
    lua_settop(L, 1);
    cpose_lua_push_json(L, take);
    lua_call(L, 1, 0);
    return 0;
}

/* Hands one result to the Lua callback without letting a Lua error unwind through the predictor:
 * the call runs under lua_pcall, and an error becomes a status that stops the run (the predictor
 * cleans up and returns it; the binding raises it afterwards). Pushes only non-allocating values
 * outside the protected call. */
static int deliver(struct method_ctx *c, cJSON *take)
{
    lua_State *L = c->L;
    if (!lua_checkstack(L, 4)) {
        cJSON_Delete(take);
        return cpose_err(CPOSE_ENOMEM, "Lua stack overflow while calling the predict callback");
    }
    lua_pushcfunction(L, cpose_lua_traceback);
    int handler = lua_gettop(L);
    lua_pushcfunction(L, call_callback);
    lua_pushvalue(L, c->callback);
    lua_pushlightuserdata(L, take);
    if (lua_pcall(L, 2, 0, handler) != LUA_OK) {
        int rc = cpose_err(CPOSE_EINVAL, "the callback failed: %s", lua_tostring(L, -1));
        lua_settop(L, handler - 1);
        return rc;
    }
    lua_settop(L, handler - 1);
    return CPOSE_OK;
}

/* One predict result → {path, orig_shape = {h, w}, boxes = {{x1, y1, x2, y2}, ...} (original
 * pixels), scores, classes, keypoints = {{{x, y, conf} × nkpt}, ...}, speed = {preprocess,
 * inference, postprocess} (ms)}; appended to the list, or handed to the callback, of the method_ctx
 * in ud. The image is a job input. */
static int collect_result(void *ud, const struct cpose_pred_result *r, const struct cpose_image *img)
{
    (void)img;
    struct method_ctx *c = ud;
    cpose_jobrec_input(r->path);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", r->path);
    int shape[2] = {r->orig_h, r->orig_w};
    cJSON_AddItemToObject(o, "orig_shape", cJSON_CreateIntArray(shape, 2));
    cJSON *boxes = cJSON_AddArrayToObject(o, "boxes"), *scores = cJSON_AddArrayToObject(o, "scores"),
          *classes = cJSON_AddArrayToObject(o, "classes"), *kpts = cJSON_AddArrayToObject(o, "keypoints");
    for (int64_t i = 0; i < r->n; i++) {
        cJSON_AddItemToArray(boxes, cJSON_CreateFloatArray(r->boxes + 4 * i, 4));
        cJSON_AddItemToArray(scores, cJSON_CreateNumber(r->scores[i]));
        cJSON_AddItemToArray(classes, cJSON_CreateNumber(r->classes[i]));
        if (!r->kpts) continue;
        cJSON *person = cJSON_CreateArray();
        for (int k = 0; k < r->nkpt; k++)
            cJSON_AddItemToArray(person, cJSON_CreateFloatArray(r->kpts + ((size_t)i * r->nkpt + k) * r->kdim, r->kdim));
        cJSON_AddItemToArray(kpts, person);
    }
    cJSON *speed = cJSON_AddObjectToObject(o, "speed");
    cJSON_AddNumberToObject(speed, "preprocess", r->ms_pre);
    cJSON_AddNumberToObject(speed, "inference", r->ms_inf);
    cJSON_AddNumberToObject(speed, "postprocess", r->ms_post);
    c->n++;
    if (c->callback) return deliver(c, o);
    cJSON_AddItemToArray(c->list, o);
    return CPOSE_OK;
}

/* half= and int8= hold for one call, as Ultralytics' model.predict(half=True) / model.val(int8=True,
 * data=...): predict and val switch the model with cpose_cli_apply_precision (bf16 where the CPU has it,
 * else a message and float32; int8 calibrated on data='s val images, else the model's train_args data)
 * and call this after the run, so a later call or an export sees the float32 model. */
static void precision_end(struct lua_model *m)
{
    if (cpose_model_get_precision(m->model) != CPOSE_PREC_F32)
        cpose_model_set_precision(m->model, CPOSE_PREC_F32, NULL, NULL, NULL, 0);
}

/* model:predict{source = ..., conf, iou, imgsz, save, ...} → a list of results (collect_result),
 * in source order, as `cpose predict` computes them; a saving run's folder becomes a job output.
 * half=true / int8=true run this call in bf16 / int8 (cpose_cli_apply_precision, then precision_end).
 * With a callback, model:predict({...}, function(r) ... end), each result goes to the callback as
 * soon as it is ready (nothing accumulates: for large sources) and the call returns {images = n}. */
static int run_predict(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result)
{
    if (cpose_args_is_none(a, "source"))
        return cpose_err(CPOSE_EINVAL, "no source given: pass source=<image, folder, glob, .txt list or http(s) URL>");
    c->list = cJSON_CreateArray();
    struct cpose_predict_summary s;
    memset(&s, 0, sizeof s);
    int rc = cpose_cli_apply_precision(a, m->model, 0);
    if (rc == CPOSE_OK) rc = cpose_predict_run_model(m->model, a, collect_result, c, &s);
    precision_end(m);
    if (rc == CPOSE_OK && s.save_dir) cpose_jobrec_output_dir(s.save_dir);
    cpose_predict_summary_free(&s);
    if (rc != CPOSE_OK) {
        cJSON_Delete(c->list);
        return rc;
    }
    if (c->callback) {
        cJSON_Delete(c->list);
        *result = cJSON_CreateObject();
        cJSON_AddNumberToObject(*result, "images", (double)c->n);
    } else {
        *result = c->list;
    }
    return CPOSE_OK;
}

void cpose_lua_record_split_inputs(const char *data, const char *split_name)
{
    if (!cpose_jobrec_active()) return;
    struct cpose_dataset d;
    int split = cpose_split_from_name(split_name);
    if (split < 0 || cpose_dataset_load(data, &d) != CPOSE_OK) return;
    char **files = NULL;
    size_t n = 0;
    if (cpose_dataset_images(&d, (enum cpose_split)split, &files, &n) == CPOSE_OK) {
        for (size_t i = 0; i < n; i++) {
            cpose_jobrec_input(files[i]);
            char *label = cpose_img2label_path(files[i]);
            if (label && cpose_path_is_file(label)) cpose_jobrec_input(label);
            cpose_free(label);
        }
        cpose_strv_free(files, n);
    }
    cpose_dataset_free(&d);
}

/* model:val{data = ..., imgsz, batch, conf, iou, save_json, half, int8, ...} → Ultralytics' metrics object as
 * tables (eval/val.h: cpose_val_summary_json): {box = {map, map50, map75, maps, mp, mr}, pose =
 * {...}, fitness, images, instances, predictions, speed, coco (when COCOeval ran), save_dir, files}.
 * The data YAML and the split's images and labels are job inputs, the run folder and its files
 * outputs, and the metrics are recorded under Ultralytics' results_dict names
 * (metrics/mAP50-95(P), ...). */
static int run_val(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result)
{
    char *yaml = cpose_find_bundled(cpose_args_str(a, "data"));
    if (yaml) cpose_jobrec_input(yaml);
    cpose_free(yaml);
    struct cpose_val_summary s;
    memset(&s, 0, sizeof s);
    int rc = cpose_cli_apply_precision(a, m->model, 0);
    if (rc == CPOSE_OK) rc = cpose_val_run(m->model, a, &s);
    precision_end(m);
    if (rc == CPOSE_OK) rc = cpose_val_write_reports(&s);
    if (rc != CPOSE_OK) {
        cpose_val_summary_free(&s);
        return rc;
    }
    cpose_lua_record_split_inputs(cpose_args_str(a, "data"), cpose_args_str(a, "split"));
    if (s.save_dir) cpose_jobrec_output_dir(s.save_dir);
    for (int i = 0; i < s.n_files; i++) cpose_jobrec_output(s.files[i]);
    if (s.coco_ran && s.anno_json) cpose_jobrec_input(s.anno_json);
    static const char *tag[2] = {"B", "P"};
    const struct cpose_det_metric *d[2] = {&s.metrics.box, &s.metrics.pose};
    for (int t = 0; t < 2; t++) {
        char name[48];
        snprintf(name, sizeof name, "metrics/precision(%s)", tag[t]);
        cpose_jobrec_metric(name, d[t]->mp);
        snprintf(name, sizeof name, "metrics/recall(%s)", tag[t]);
        cpose_jobrec_metric(name, d[t]->mr);
        snprintf(name, sizeof name, "metrics/mAP50(%s)", tag[t]);
        cpose_jobrec_metric(name, d[t]->map50);
        snprintf(name, sizeof name, "metrics/mAP50-95(%s)", tag[t]);
        cpose_jobrec_metric(name, d[t]->map);
    }
    *result = cpose_val_summary_json(&s);
    cpose_val_summary_free(&s);
    return CPOSE_OK;
}

/* model:export{format = "onnx", ...} → the path written. The given arguments (other than format)
 * go to the format's plugin, which refuses those it does not take (plugins/plugin_registry.h). */
static int run_export(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result)
{
    const char *keys[CPOSE_ARG_COUNT], *values[CPOSE_ARG_COUNT];
    int n = 0;
    for (int i = 0; i < CPOSE_ARG_COUNT; i++)
        if (a->value[i] && i != CPOSE_ARGID_format && i != CPOSE_ARGID_threads && i != CPOSE_ARGID_model)
            keys[n] = cpose_arg_defs[i].name, values[n++] = a->value[i];
    struct cpose_plugin_registry *reg = cpose_plugins_load_default();
    char *path = NULL;
    int rc = cpose_export_run(reg, m->model, m->source, cpose_args_str(a, "format"), keys, values, n, &path);
    cpose_plugins_free(reg);
    if (rc != CPOSE_OK) return rc;
    cpose_jobrec_output(path);
    *result = cJSON_CreateString(path);
    cpose_free(path);
    return CPOSE_OK;
}

/* model:train{data = ..., epochs, imgsz, batch, ..., on_epoch_end = function(e) ... end} → the final
 * metrics (core/lua/lua_train_run.c): Ultralytics' model.train(). The model object then holds the trained
 * weights (best.h5, else last.h5), as Ultralytics reloads them, so model:val{} and model:predict{} use
 * them. on_epoch_end(e) receives each epoch's losses and metrics; returning false stops the run. */
static int run_train(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result)
{
    struct cpose_model *trained = NULL;
    char *path = NULL;
    int rc = cpose_lua_train_model(c->L, c->callback, m->model, m->source, a, &trained, &path, result);
    if (rc != CPOSE_OK) return rc;
    cpose_model_free(m->model);
    cpose_free(m->source);
    m->model = trained;
    m->source = path;
    return CPOSE_OK;
}

/* The methods that run a library part, one entry each. run(m, a, ctx, &result) returns enum
 * cpose_status and on CPOSE_OK may set *result (a cJSON tree the binding returns as tables, e.g.
 * val's {box = {map = ...}, pose = {...}}); run = NULL: not in this build. A leading string
 * argument sets `positional` where Ultralytics has one (model.predict("bus.jpg", conf=0.3)). */
struct model_method {
    const char *name;
    int (*run)(struct lua_model *m, const struct cpose_args *a, struct method_ctx *c, cJSON **result);
    const char *needs;
    const char *positional;
    int takes_callback;
    const char *api_key, *api_value; /* a default the Python API differs from the CLI in */
    const char *callback_key;        /* a function given under this key of the argument table is the callback */
};

static const struct model_method methods[] = {
    /* model.predict() saves nothing unless asked (Ultralytics: save=is_cli) */
    {"predict", run_predict, "the predictor, core/predict/predict.h", "source", 1, "save", "False", NULL},
    {"val", run_val, "the validator, eval/val.h", NULL, 0, NULL, NULL, NULL},
    {"train", run_train, "the trainer, core/train/trainer.h", NULL, 0, NULL, NULL, "on_epoch_end"},
    {"export", run_export, "the exporter plugins, plugins/", NULL, 0, NULL, NULL, NULL},
    {"info", run_info, "the engine, core/nn/model.h", NULL, 0, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

/* The closure behind each method: upvalue 1 = its entry, 2 = "cpose.Model:<name>". Arguments are
 * checked first, so a typo is reported in every build. */
static int method_call(lua_State *L)
{
    const struct model_method *mm = lua_touserdata(L, lua_upvalueindex(1));
    const char *full = lua_tostring(L, lua_upvalueindex(2));
    struct lua_model *m = check_model(L);
    int t = 2;
    if (mm->positional && lua_type(L, 2) == LUA_TSTRING) t = 3;
    struct method_ctx c = {L, 0, NULL, 0};
    int args_idx = t;
    if (lua_type(L, t) == LUA_TFUNCTION) { /* model:predict("bus.jpg", function(r) ... end) */
        c.callback = t;
        args_idx = lua_gettop(L) + 1;       /* none: no argument table */
    } else if (lua_type(L, t + 1) == LUA_TFUNCTION) {
        c.callback = t + 1;
    }
    if (c.callback && !mm->takes_callback) return luaL_error(L, "%s takes no callback function", full);
    if (mm->callback_key && lua_type(L, args_idx) == LUA_TTABLE) { /* model:train{..., on_epoch_end = f} */
        lua_getfield(L, args_idx, mm->callback_key);
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TFUNCTION)
            return luaL_error(L, "%s: '%s' must be a function, got a %s", full, mm->callback_key, luaL_typename(L, -1));
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
        } else {
            c.callback = lua_gettop(L);
            const char *const extra[] = {mm->callback_key, NULL};
            cpose_lua_push_args_without(L, args_idx, full, extra);
            args_idx = lua_gettop(L);
        }
    }
    struct cpose_args *a = cpose_lua_checkargs(L, args_idx, full);
    if (t == 3 && cpose_args_set(a, mm->positional, lua_tostring(L, 2)) != CPOSE_OK) return cpose_lua_fail(L, full);
    if (mm->api_key && !cpose_args_given(a, mm->api_key)) cpose_args_set(a, mm->api_key, mm->api_value);
    if (!mm->run) return cpose_lua_unavailable(L, full, mm->needs);
    cpose_cli_apply_threads(a);
    cJSON *result = NULL;
    int token = cpose_jobrec_call_begin(full);
    m->busy = 1;
    int rc = mm->run(m, a, &c, &result);
    m->busy = 0;
    return cpose_lua_finish_call(L, full, token, rc, result);
}

/* model:close() releases now (as <close> and the collector do). */
static int m_close(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    if (m->busy) luaL_argerror(L, 1, "the cpose.Model is busy (a callback cannot close the model that calls it)");
    release(m);
    return 0;
}

static int mm_gc(lua_State *L)
{
    release(luaL_checkudata(L, 1, CPOSE_LUA_MODEL));
    return 0;
}

static int mm_tostring(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    if (m->source) lua_pushfstring(L, "cpose.Model(%s)", m->source);
    else lua_pushstring(L, "cpose.Model(closed)");
    return 1;
}

/* model.x: methods (upvalue 1), then attributes: task, source, closed, and from the loaded model
 * names {[0] = "person", ...} (0-based as Ultralytics' dict), nc, kpt_shape {17, 3}, stride. */
static int mm_index(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    const char *k = luaL_checkstring(L, 2);
    if (lua_getfield(L, lua_upvalueindex(1), k) != LUA_TNIL) return 1;
    const struct cpose_model_info *info = m->model ? cpose_model_get_info(m->model) : NULL;
    if (strcmp(k, "task") == 0) lua_pushstring(L, "pose");
    else if (strcmp(k, "closed") == 0) lua_pushboolean(L, m->source == NULL);
    else if (!m->source) lua_pushnil(L);
    else if (strcmp(k, "source") == 0) lua_pushstring(L, m->source);
    else if (strcmp(k, "nc") == 0) lua_pushinteger(L, info->nc);
    else if (strcmp(k, "stride") == 0) lua_pushinteger(L, info->max_stride);
    else if (strcmp(k, "kpt_shape") == 0) {
        lua_createtable(L, 2, 0);
        lua_pushinteger(L, info->nkpt);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, info->kdim);
        lua_rawseti(L, -2, 2);
    } else if (strcmp(k, "names") == 0) {
        lua_createtable(L, info->n_names, 1);
        for (int i = 0; i < info->n_names; i++) {
            lua_pushstring(L, info->names[i]);
            lua_rawseti(L, -2, i);
        }
    } else lua_pushnil(L);
    return 1;
}

static const luaL_Reg funcs[] = {{"YOLO", l_yolo}, {NULL, NULL}};
static const luaL_Reg meth[] = {{"close", m_close}, {NULL, NULL}};
static const luaL_Reg metameth[] = {{"__gc", mm_gc}, {"__close", m_close}, {"__tostring", mm_tostring}, {NULL, NULL}};

int cpose_lua_open_model(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (luaL_newmetatable(L, CPOSE_LUA_MODEL)) {
        luaL_setfuncs(L, metameth, 0);
        lua_newtable(L);
        luaL_setfuncs(L, meth, 0);
        for (const struct model_method *mm = methods; mm->name; mm++) {
            lua_pushlightuserdata(L, (void *)mm);
            const char *full = lua_pushfstring(L, "cpose.Model:%s", mm->name);
            cpose_lua_mark_available(L, full, mm->run != NULL);
            lua_pushcclosure(L, method_call, 2);
            lua_setfield(L, -2, mm->name);
        }
        lua_pushcclosure(L, mm_index, 1); /* the methods table as upvalue 1 */
        lua_setfield(L, -2, "__index");
    }
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    return 0;
}
