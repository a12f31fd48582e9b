/* core/lua_model.c — cpose.YOLO(model) and the "cpose.Model" userdata with the Ultralytics methods
 * predict/val/train/export/info. The engine (core/model.h) and the predictor (core/predict.h) are
 * bound; the validator, trainer and exporters are bound here as they land (one entry in methods[]
 * each); until then those methods check their arguments and raise "not available in this build". */
#include "alloc.h"
#include "cli.h"
#include "fsutil.h"
#include "jobrec.h"
#include "lua_impl.h"
#include "model.h"
#include "predict.h"

#include <string.h>

/* The userdata: the loaded model and what YOLO() was given. Both NULL once released. */
struct lua_model {
    char *source; /* model YAML name or weights path */
    struct cpose_model *model;
};

static struct lua_model *check_model(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    if (!m->source) luaL_argerror(L, 1, "the cpose.Model is closed");
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
 * (yolov8n-pose.yaml: fresh weights from seed=, default 0) or weights (.h5; cfg= gives the YAML
 * for weights that carry none). Errors: the loader's message (missing file, bad YAML, ...). */
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
    int rc = cpose_model_load_seeded(source, *cfg ? cfg : NULL, (uint64_t)cpose_args_int(a, "seed", 0), &model);
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
static int run_info(struct lua_model *m, const struct cpose_args *a, cJSON **result)
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

/* One predict result → {path, orig_shape = {h, w}, boxes = {{x1, y1, x2, y2}, ...} (original
 * pixels), scores, classes, keypoints = {{{x, y, conf} × nkpt}, ...}, speed = {preprocess,
 * inference, postprocess} (ms)}; appended to the list in ud. The image is a job input. */
static int collect_result(void *ud, const struct cpose_pred_result *r, const struct cpose_image *img)
{
    (void)img;
    cJSON *list = ud;
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
    cJSON_AddItemToArray(list, o);
    return CPOSE_OK;
}

/* model:predict{source = ..., conf, iou, imgsz, save, ...} → a list of results (collect_result),
 * in source order, as `cpose predict` computes them; a saving run's folder becomes a job output. */
static int run_predict(struct lua_model *m, const struct cpose_args *a, cJSON **result)
{
    if (cpose_args_is_none(a, "source"))
        return cpose_err(CPOSE_EINVAL, "no source given: pass source=<image, folder, glob, .txt list or http(s) URL>");
    cJSON *list = cJSON_CreateArray();
    struct cpose_predict_summary s;
    memset(&s, 0, sizeof s);
    int rc = cpose_predict_run_model(m->model, a, collect_result, list, &s);
    if (rc == CPOSE_OK && s.save_dir) cpose_jobrec_output_dir(s.save_dir);
    cpose_predict_summary_free(&s);
    if (rc != CPOSE_OK) {
        cJSON_Delete(list);
        return rc;
    }
    *result = list;
    return CPOSE_OK;
}

/* The methods that run a library part, one entry each. run(m, a, &result) returns enum
 * cpose_status and on CPOSE_OK may set *result (a cJSON tree the binding returns as tables, e.g.
 * val's {box = {map = ...}, pose = {...}}); run = NULL: not in this build. A leading string
 * argument sets `positional` where Ultralytics has one (model.predict("bus.jpg", conf=0.3)). */
struct model_method {
    const char *name;
    int (*run)(struct lua_model *m, const struct cpose_args *a, cJSON **result);
    const char *needs;
    const char *positional;
};

static const struct model_method methods[] = {
    {"predict", run_predict, "the predictor, core/predict.h", "source"},
    {"val", NULL, "the validation loop (dataset → predict → eval/metrics.h)", NULL},
    {"train", NULL, "the trainer, core/train", NULL},
    {"export", NULL, "the exporter plugins, plugins/", NULL},
    {"info", run_info, "the engine, core/model.h", NULL},
    {NULL, NULL, NULL, NULL},
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
    struct cpose_args *a = cpose_lua_checkargs(L, t, full);
    if (t == 3 && cpose_args_set(a, mm->positional, lua_tostring(L, 2)) != CPOSE_OK) return cpose_lua_fail(L, full);
    if (!mm->run) return cpose_lua_unavailable(L, full, mm->needs);
    cpose_cli_apply_threads(a);
    cJSON *result = NULL;
    int token = cpose_jobrec_call_begin(full);
    int rc = mm->run(m, a, &result);
    cpose_jobrec_call_end(token, rc);
    if (rc != CPOSE_OK) {
        cJSON_Delete(result);
        return cpose_lua_fail(L, full);
    }
    cpose_lua_push_json(L, result);
    return 1;
}

/* model:close() releases now (as <close> and the collector do). */
static int m_close(lua_State *L)
{
    release(luaL_checkudata(L, 1, CPOSE_LUA_MODEL));
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
static const luaL_Reg metameth[] = {{"__gc", mm_gc}, {"__close", mm_gc}, {"__tostring", mm_tostring}, {NULL, NULL}};

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
