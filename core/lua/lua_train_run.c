/* core/lua/lua_train_run.c — model:train{} on the trainer (core/train/trainer.h): the on_epoch_end
 * callback bridge (a Lua function called under lua_pcall, never unwinding through the trainer), the
 * epoch and result tables, and the run's record in run.json (inputs, outputs, metrics). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"
#include "core/nn/model.h"
#include "core/train/trainer.h"
#include "reports/results_csv.h"

/* Column indices of struct cpose_train_epoch's values (cpose_results_csv_keys' order). */
enum { COL_LOSS = 0, COL_METRIC = 5, COL_LR = 18 };

/* What the callback bridge needs: the state, the callback's stack index and the first error. */
struct train_bridge {
    lua_State *L;
    int callback;
    char *error; /* the callback's error with its traceback, owned; NULL when none */
};

/* One epoch as a table: {epoch, epochs, losses = {box, pose, kobj, cls, dfl}, metrics = {box = {mp, mr,
 * map50, map}, pose = {...}}, fitness, is_best, validated, instances, seconds, lr = {pg0, pg1, pg2},
 * row = {["train/box_loss"] = ..., every results.csv column by its name}}. The epoch is 1-based. */
static cJSON *epoch_json(const struct cpose_train_epoch *e)
{
    static const char *const loss_names[5] = {"box", "pose", "kobj", "cls", "dfl"};
    static const char *const metric_names[4] = {"mp", "mr", "map50", "map"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "epoch", e->epoch);
    cJSON_AddNumberToObject(o, "epochs", e->epochs);
    cJSON *losses = cJSON_AddObjectToObject(o, "losses");
    for (int k = 0; k < 5; k++) cJSON_AddNumberToObject(losses, loss_names[k], e->values[COL_LOSS + k]);
    cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
    for (int t = 0; t < 2; t++) {
        cJSON *m = cJSON_AddObjectToObject(metrics, t ? "pose" : "box");
        for (int k = 0; k < 4; k++) cJSON_AddNumberToObject(m, metric_names[k], e->values[COL_METRIC + 4 * t + k]);
    }
    cJSON_AddNumberToObject(o, "fitness", e->fitness);
    cJSON_AddBoolToObject(o, "is_best", e->is_best);
    cJSON_AddBoolToObject(o, "validated", e->validated);
    cJSON_AddNumberToObject(o, "instances", (double)e->instances);
    cJSON_AddNumberToObject(o, "seconds", e->seconds);
    cJSON_AddItemToObject(o, "lr", cJSON_CreateDoubleArray(e->values + COL_LR, 3));
    cJSON *row = cJSON_AddObjectToObject(o, "row");
    for (int k = 0; k < CPOSE_RESULTS_NCOLS; k++) cJSON_AddNumberToObject(row, cpose_results_csv_keys[k], e->values[k]);
    return o;
}

/* Under lua_pcall: (callback, light userdata epoch) → the callback's first result. */
static int call_on_epoch_end(lua_State *L)
{
    const struct cpose_train_epoch *e = lua_touserdata(L, 2);
    lua_settop(L, 1);
    cpose_lua_push_json(L, epoch_json(e));
    lua_call(L, 1, 1);
    return 1;
}

/* The trainer's on_epoch_end: calls the Lua function; returning false stops the run (nil or anything
 * else goes on). A Lua error is kept for the binding to raise and stops the run. */
static int on_epoch_end(void *user, const struct cpose_train_epoch *e)
{
    struct train_bridge *b = user;
    lua_State *L = b->L;
    if (b->error) return 0;
    if (!lua_checkstack(L, 4)) {
        b->error = cpose_strdup("Lua stack overflow while calling on_epoch_end");
        return 0;
    }
    lua_pushcfunction(L, cpose_lua_traceback);
    int handler = lua_gettop(L);
    lua_pushcfunction(L, call_on_epoch_end);
    lua_pushvalue(L, b->callback);
    lua_pushlightuserdata(L, (void *)e);
    int go = 1;
    if (lua_pcall(L, 2, 1, handler) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        b->error = cpose_strdup(msg ? msg : "(an error object that is not a string)");
        go = 0;
    } else if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
        go = 0;
    }
    lua_settop(L, handler - 1);
    return go;
}

/* nftw visitor: every regular file of the run folder is a job output. */
static int record_output(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (type == FTW_F) cpose_jobrec_output(path);
    return 0;
}

/* The run in the job record: what it read (data YAML, both splits' images and labels, weights), what
 * it wrote (every file of the run folder) and its metrics under results.csv's column names — the last
 * epoch's row, then the final validation of best.h5 (the metrics/... columns of B and P, and fitness), as Ultralytics'
 * trainer.metrics ends. Times are not metrics: a rerun with the same seed and threads repeats them. */
static void record_run(const struct cpose_args *a, const char *source, const struct cpose_train_result *r)
{
    if (!cpose_jobrec_active()) return;
    const char *data = cpose_args_str(a, "data");
    char *yaml = cpose_find_bundled(data);
    if (yaml) cpose_jobrec_input(yaml);
    cpose_free(yaml);
    cpose_lua_record_split_inputs(data, "train");
    cpose_lua_record_split_inputs(data, "val");
    if (cpose_path_is_file(source)) cpose_jobrec_input(source);
    const char *pre = cpose_args_str(a, "pretrained");
    if (cpose_parse_bool(pre) < 0 && cpose_path_is_file(pre)) cpose_jobrec_input(pre);
    const char *resume = cpose_args_str(a, "resume");
    if (cpose_parse_bool(resume) < 0 && cpose_path_is_file(resume)) cpose_jobrec_input(resume);
    cpose_jobrec_output_dir(r->save_dir);
    nftw(r->save_dir, record_output, 16, FTW_PHYS);
    for (int k = 0; k < CPOSE_RESULTS_NCOLS; k++) cpose_jobrec_metric(cpose_results_csv_keys[k], r->final.values[k]);
    if (r->final_validated) {
        const struct cpose_det_metric *d[2] = {&r->final_val.metrics.box, &r->final_val.metrics.pose};
        static const char *const tag[2] = {"B", "P"};
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
        cpose_jobrec_metric("fitness", cpose_val_fitness(&r->final_val.metrics));
    }
    cpose_jobrec_metric("best_fitness", r->best_fitness);
    cpose_jobrec_metric("epochs", r->epochs_done);
}

/* The method's result: the final validation of best.h5 as model:val{} returns it (box, pose, fitness,
 * ...; absent when nothing was validated), then the run's own fields: save_dir, best, last, epochs (done),
 * stopped ("finished" | "patience" | "time" | "callback"), best_fitness, best_epoch, seconds, final (the
 * last epoch's table, as the callback saw it). */
static cJSON *result_json(const struct cpose_train_result *r)
{
    static const char *const stopped[4] = {"finished", "patience", "time", "callback"};
    cJSON *o = r->final_validated ? cpose_val_summary_json(&r->final_val) : cJSON_CreateObject();
    cJSON_DeleteItemFromObject(o, "save_dir");
    cJSON_AddStringToObject(o, "save_dir", r->save_dir);
    if (r->best) cJSON_AddStringToObject(o, "best", r->best);
    if (r->last) cJSON_AddStringToObject(o, "last", r->last);
    cJSON_AddNumberToObject(o, "epochs", r->epochs_done);
    cJSON_AddStringToObject(o, "stopped", stopped[r->stopped >= 0 && r->stopped <= 3 ? r->stopped : 0]);
    cJSON_AddNumberToObject(o, "best_fitness", r->best_fitness);
    cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
    cJSON_AddItemToObject(o, "final", epoch_json(&r->final));
    return o;
}

int cpose_lua_train_model(lua_State *L, int callback, struct cpose_model *start, const char *source,
                          const struct cpose_args *a, struct cpose_model **trained, char **trained_path,
                          cJSON **result)
{
    *trained = NULL, *trained_path = NULL, *result = NULL;
    if (cpose_args_given(a, "model"))
        return cpose_err(CPOSE_EINVAL, "model= is not taken here: model:train{} trains the model it is called on "
                         "(cpose.YOLO(\"%s\")); drop model=, or call cpose.YOLO with the other model", source);
    /* args.yaml names the model the run started from, as Ultralytics' args do */
    struct cpose_args run_args;
    cpose_args_init(&run_args);
    for (int i = 0; i < CPOSE_ARG_COUNT; i++) run_args.value[i] = cpose_strdup(a->value[i]);
    int rc = cpose_args_set(&run_args, "model", source);
    struct train_bridge b = {L, callback, NULL};
    struct cpose_train_callbacks cb = {.user = &b, .on_epoch_end = callback ? on_epoch_end : NULL};
    struct cpose_trainer_cfg cfg = {.args = &run_args, .model = start, .label = "cpose.Model:train"};
    struct cpose_train_result r;
    memset(&r, 0, sizeof r);
    if (rc == CPOSE_OK) rc = cpose_train_run(&cfg, &cb, &r);
    if (rc == CPOSE_OK && b.error) rc = cpose_err(CPOSE_EINVAL, "the on_epoch_end callback failed: %s", b.error);
    if (rc == CPOSE_OK) {
        record_run(&run_args, source, &r);
        const char *weights = r.best ? r.best : r.last;
        if (!weights) rc = cpose_err(CPOSE_EIO, "the run in %s saved no weights (save=False?)", r.save_dir);
        else if ((rc = cpose_model_load(weights, NULL, trained)) == CPOSE_OK) *trained_path = cpose_strdup(weights);
    }
    if (rc == CPOSE_OK) *result = result_json(&r);
    cpose_free(b.error);
    cpose_train_result_free(&r);
    cpose_args_free(&run_args);
    return rc;
}
