/* core/lua/lua_train.c — the training engine's numbers in Lua, for inspection: cpose.loss{} (the v8 pose
 * loss, as `cpose loss` prints it), cpose.schedule{} (the lr / momentum / accumulation schedule as a
 * "cpose.Schedule" object), cpose.ema_decay() and cpose.optimizer_choice{} (Ultralytics' optimizer=auto).
 *
 * These functions take keys the shared argument table (core/base/args.def) does not have or types
 * differently — loss's batch= is a file here, schedule's nb=, n_images=, nc= — so each binding takes
 * those out of the Lua table first and checks the rest with cpose_lua_checkargs as usual. */
#include "core/base/fsutil.h"
#include "core/cli/cli.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"
#include "core/nn/model.h"
#include "core/train/ema.h"
#include "core/train/optim.h"
#include "core/train/schedule.h"
#include "core/train/train_step.h"

#include <math.h>
#include <string.h>

#define CPOSE_LUA_SCHEDULE "cpose.Schedule"

/* The integer under key in the table at idx (a Lua integer or an integral float); fallback when
 * absent. Raises "<fname>: '<key>' ..." for another type or a value below min. */
static lua_Integer extra_int(lua_State *L, int idx, const char *fname, const char *key, lua_Integer fallback,
                             lua_Integer min, const char *what)
{
    if (lua_isnoneornil(L, idx)) return fallback;
    lua_getfield(L, idx, key);
    lua_Integer v = fallback;
    if (!lua_isnil(L, -1)) {
        int isnum = 0;
        v = lua_tointegerx(L, -1, &isnum);
        if (!isnum || lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "%s: '%s' must be an integer (%s), got %s", fname, key, what, luaL_tolstring(L, -1, NULL));
        if (v < min) luaL_error(L, "%s: '%s' = %I must be at least %I (%s)", fname, key, v, min, what);
    }
    lua_pop(L, 1);
    return v;
}

/* ---- cpose.loss ---- */

/* The loss computation once the arguments are checked: loads model=, reads the batch file, runs one
 * forward + loss + backward on the train executor. Fills items[5], *total and *grad_norm. Releases
 * everything before returning. */
static int loss_run(const struct cpose_args *a, const char *batch_path, float items[5], float *total,
                    double *grad_norm)
{
    struct cpose_model *m = NULL;
    struct cpose_train_exec *ex = NULL;
    struct cpose_loss_batch b;
    memset(&b, 0, sizeof b);
    int rc = cpose_cli_load_model(a, &m);
    if (rc != CPOSE_OK) goto done;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    if ((rc = cpose_loss_batch_read(batch_path, info, &b)) != CPOSE_OK) goto done;
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, info->nc, info->nkpt, info->kdim);
    cfg.gain_box = (float)cpose_args_float(a, "box", cfg.gain_box);
    cfg.gain_pose = (float)cpose_args_float(a, "pose", cfg.gain_pose);
    cfg.gain_kobj = (float)cpose_args_float(a, "kobj", cfg.gain_kobj);
    cfg.gain_cls = (float)cpose_args_float(a, "cls", cfg.gain_cls);
    cfg.gain_dfl = (float)cpose_args_float(a, "dfl", cfg.gain_dfl);
    if ((rc = cpose_train_exec_new(m, &ex)) != CPOSE_OK) goto done;
    if ((rc = cpose_train_loss_step(ex, info, &cfg, &b, 0, items, total)) != CPOSE_OK) goto done;
    *grad_norm = cpose_train_exec_grad_norm(ex);
done:
    cpose_train_exec_free(ex);
    cpose_loss_batch_free(&b);
    cpose_model_free(m);
    return rc;
}

/* cpose.loss{model = W.h5 | X.yaml, batch = B.h5, cfg, seed, threads, box, pose, kobj, cls, dfl}
 * → {box, pose, kobj, cls, dfl, total, grad_norm}: the v8 pose loss of the model (train mode, batch
 * statistics) on one batch file stored like fixtures/ultralytics/parity_loss_seed0.h5, exactly what
 * `cpose loss` prints: the five gain-multiplied items, the total (Σ items × batch size) and the global
 * L2 norm of the parameter gradients. The gains default to Ultralytics' (7.5, 12, 1, 0.5, 1.5).
 * batch= names the file here (it is the batch size everywhere else). The model and batch files are
 * job inputs. Errors: the loader's or the batch reader's message (file, dataset, what is expected). */
static int l_loss(lua_State *L)
{
    static const char *const fname = "cpose.loss";
    static const char *const extra[] = {"batch", NULL};
    cpose_lua_push_args_without(L, 1, fname, extra);
    struct cpose_args *a = cpose_lua_checkargs(L, -1, fname);
    if (lua_istable(L, 1)) lua_getfield(L, 1, "batch");
    else lua_pushnil(L);
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
        return luaL_error(L, "%s: give the batch file: batch = \"B.h5\" (HDF5 datasets img, batch_idx, cls, bboxes, "
                          "keypoints), got %s", fname, luaL_typename(L, -1));
    const char *batch_path = lua_tostring(L, -1);
    cpose_cli_apply_threads(a);
    float items[5] = {0}, total = 0;
    double grad_norm = 0;
    int token = cpose_jobrec_call_begin(fname);
    int rc = loss_run(a, batch_path, items, &total, &grad_norm);
    cJSON *r = NULL;
    if (rc == CPOSE_OK) {
        const char *model = cpose_args_str(a, "model");
        cpose_jobrec_input(batch_path);
        if (cpose_path_is_file(model)) cpose_jobrec_input(model);
        static const char *const names[5] = {"box", "pose", "kobj", "cls", "dfl"};
        r = cJSON_CreateObject();
        for (int i = 0; i < 5; i++) cJSON_AddNumberToObject(r, names[i], items[i]);
        cJSON_AddNumberToObject(r, "total", total);
        cJSON_AddNumberToObject(r, "grad_norm", grad_norm);
    }
    return cpose_lua_finish_call(L, fname, token, rc, r);
}

/* ---- cpose.schedule ---- */

/* The userdata behind cpose.schedule{}: the schedule's configuration and the optimizer it applies to. */
struct lua_schedule {
    struct cpose_sched_cfg s;
    struct cpose_optim_choice choice;
    double weight_decay; /* group 1's decay after Ultralytics' batch scaling */
    long n_images;       /* 0: not given */
    int nc;
};

static struct lua_schedule *check_schedule(lua_State *L)
{
    return luaL_checkudata(L, 1, CPOSE_LUA_SCHEDULE);
}

/* cpose.schedule{epochs, batch, nb | n_images, optimizer, lr0, lrf, momentum, cos_lr, warmup_epochs,
 * warmup_momentum, warmup_bias_lr, nbs, weight_decay, nc} → a cpose.Schedule: the values Ultralytics'
 * trainer uses while it runs (core/train/schedule.h states the formulas).
 *   nb: batches per epoch (default ceil(n_images / batch)); n_images: the training set size, needed
 *   for optimizer=auto (its iteration count is ceil(n_images / max(batch, nbs)) · epochs); nc: classes
 *   (default 1; auto's AdamW lr is round(0.002·5/(4+nc), 6)). Other keys as in args.def.
 * Fields: optimizer (the chosen name), lr0, momentum (the optimizer's own), warmup_bias_lr (0 after
 * auto), weight_decay (the weight group's, scaled by batch·accumulate/nbs), nb, nw (warmup iterations,
 * −1 without warmup), accumulate (after warmup), epochs, iterations (when n_images is known).
 * Methods: s:at(epoch, ni) → {lr = {pg0, pg1, pg2}, momentum, accumulate} at global iteration ni of
 * epoch (0-based, as Ultralytics counts); s:lf(epoch) → the lr factor. */
static int l_schedule(lua_State *L)
{
    static const char *const fname = "cpose.schedule";
    static const char *const extra[] = {"nb", "n_images", "nc", NULL};
    cpose_lua_push_args_without(L, 1, fname, extra);
    struct cpose_args *a = cpose_lua_checkargs(L, -1, fname);
    lua_Integer n_images = extra_int(L, 1, fname, "n_images", 0, 1, "the number of training images");
    lua_Integer nc = extra_int(L, 1, fname, "nc", 1, 1, "the number of classes");
    int64_t epochs = cpose_args_int(a, "epochs", 100), batch = cpose_args_int(a, "batch", 16),
            nbs = cpose_args_int(a, "nbs", 64);
    if (epochs < 1) return luaL_error(L, "%s: epochs=%d must be at least 1", fname, (int)epochs);
    if (batch < 1) return luaL_error(L, "%s: batch=%d must be at least 1", fname, (int)batch);
    if (nbs < 1) return luaL_error(L, "%s: nbs=%d must be at least 1", fname, (int)nbs);
    lua_Integer nb_default = n_images ? (n_images + batch - 1) / batch : 0;
    lua_Integer nb = extra_int(L, 1, fname, "nb", nb_default, 1, "batches per epoch");
    if (nb == 0)
        return luaL_error(L, "%s: give nb = batches per epoch, or n_images = the training set size", fname);
    const char *optimizer = cpose_args_str(a, "optimizer");
    if (strcmp(optimizer, "auto") == 0 && !n_images)
        return luaL_error(L, "%s: optimizer=auto chooses by the iteration count: give n_images = the training set "
                          "size (or name the optimizer, e.g. optimizer = \"SGD\")", fname);

    struct lua_schedule *ls = lua_newuserdatauv(L, sizeof *ls, 0);
    memset(ls, 0, sizeof *ls);
    luaL_setmetatable(L, CPOSE_LUA_SCHEDULE);
    struct cpose_sched_cfg *s = &ls->s;
    cpose_sched_cfg_default(s, (int)epochs, (int)batch, (long)nb);
    s->nbs = (int)nbs;
    s->lrf = cpose_args_float(a, "lrf", s->lrf);
    s->cos_lr = cpose_args_bool(a, "cos_lr");
    s->warmup_epochs = cpose_args_float(a, "warmup_epochs", s->warmup_epochs);
    s->warmup_momentum = cpose_args_float(a, "warmup_momentum", s->warmup_momentum);
    s->warmup_bias_lr = cpose_args_float(a, "warmup_bias_lr", s->warmup_bias_lr);
    s->momentum = cpose_args_float(a, "momentum", s->momentum);
    ls->n_images = (long)n_images;
    ls->nc = (int)nc;
    long iterations = n_images ? cpose_optim_iterations((long)n_images, (int)batch, (int)nbs, (int)epochs) : 0;
    if (cpose_optim_choose(optimizer, ls->nc, iterations, cpose_args_float(a, "lr0", 0.01), s->momentum,
                           &s->warmup_bias_lr, &ls->choice) != CPOSE_OK)
        return cpose_lua_fail(L, fname);
    ls->weight_decay = cpose_optim_scaled_decay(cpose_args_float(a, "weight_decay", 0.0005), (int)batch, (int)nbs);
    return 1;
}

static void set_number(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_integer(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* s:at(epoch, ni) → {lr = {pg0, pg1, pg2}, momentum, accumulate}: group 0 holds the biases, 1 the
 * weights with decay, 2 the norm weights (Ultralytics' param_groups order). */
static int s_at(lua_State *L)
{
    struct lua_schedule *ls = check_schedule(L);
    lua_Integer epoch = luaL_checkinteger(L, 2), ni = luaL_checkinteger(L, 3);
    luaL_argcheck(L, epoch >= 0, 2, "the epoch counts from 0");
    luaL_argcheck(L, ni >= 0, 3, "the global iteration counts from 0");
    struct cpose_sched_point p;
    cpose_sched_at(&ls->s, ls->choice.kind, ls->choice.lr, ls->choice.momentum, (int)epoch, (long)ni, &p);
    lua_createtable(L, 0, 3);
    lua_createtable(L, CPOSE_OPTIM_NGROUPS, 0);
    for (int j = 0; j < CPOSE_OPTIM_NGROUPS; j++) {
        lua_pushnumber(L, p.lr[j]);
        lua_rawseti(L, -2, j + 1);
    }
    lua_setfield(L, -2, "lr");
    set_number(L, "momentum", p.momentum);
    set_integer(L, "accumulate", p.accumulate);
    return 1;
}

/* s:lf(epoch) → the scheduler's lr factor at epoch (a number; fractions allowed). */
static int s_lf(lua_State *L)
{
    struct lua_schedule *ls = check_schedule(L);
    lua_pushnumber(L, cpose_sched_lf(&ls->s, luaL_checknumber(L, 2)));
    return 1;
}

/* Methods first, then the schedule's fields (see l_schedule). */
static int s_index(lua_State *L)
{
    struct lua_schedule *ls = check_schedule(L);
    const char *k = luaL_checkstring(L, 2);
    if (lua_getfield(L, lua_upvalueindex(1), k) != LUA_TNIL) return 1;
    const struct cpose_sched_cfg *s = &ls->s;
    if (strcmp(k, "optimizer") == 0) lua_pushstring(L, cpose_optim_name(ls->choice.kind));
    else if (strcmp(k, "lr0") == 0) lua_pushnumber(L, ls->choice.lr);
    else if (strcmp(k, "momentum") == 0) lua_pushnumber(L, ls->choice.momentum);
    else if (strcmp(k, "warmup_bias_lr") == 0) lua_pushnumber(L, s->warmup_bias_lr);
    else if (strcmp(k, "weight_decay") == 0) lua_pushnumber(L, ls->weight_decay);
    else if (strcmp(k, "nb") == 0) lua_pushinteger(L, s->nb);
    else if (strcmp(k, "nw") == 0) lua_pushinteger(L, cpose_sched_warmup_iters(s));
    else if (strcmp(k, "accumulate") == 0) lua_pushinteger(L, cpose_optim_accumulate(s->nbs, s->batch));
    else if (strcmp(k, "epochs") == 0) lua_pushinteger(L, s->epochs);
    else if (strcmp(k, "iterations") == 0 && ls->n_images)
        lua_pushinteger(L, cpose_optim_iterations(ls->n_images, s->batch, s->nbs, s->epochs));
    else lua_pushnil(L);
    return 1;
}

static int s_tostring(lua_State *L)
{
    struct lua_schedule *ls = check_schedule(L);
    lua_pushfstring(L, "cpose.Schedule(%s, lr0 %f, %d epochs × %d batches)", cpose_optim_name(ls->choice.kind),
                    ls->choice.lr, ls->s.epochs, (int)ls->s.nb);
    return 1;
}

/* ---- cpose.ema_decay, cpose.optimizer_choice ---- */

/* cpose.ema_decay(updates [, decay = 0.9999, tau = 2000]) → decay·(1 − exp(−updates/tau)), the
 * weight ModelEMA gives the average at its updates-th update. */
static int l_ema_decay(lua_State *L)
{
    lua_Integer updates = luaL_checkinteger(L, 1);
    double decay = luaL_optnumber(L, 2, 0.9999), tau = luaL_optnumber(L, 3, 2000);
    luaL_argcheck(L, updates >= 0, 1, "the update count is at least 0");
    luaL_argcheck(L, decay >= 0 && decay <= 1, 2, "the decay is in [0, 1]");
    luaL_argcheck(L, tau > 0, 3, "tau is positive");
    lua_pushnumber(L, cpose_ema_decay_at(decay, tau, (long)updates));
    return 1;
}

/* cpose.optimizer_choice{optimizer = "auto", nc = 1, iterations | n_images (+ epochs, batch, nbs), lr0,
 * momentum, warmup_bias_lr} → {optimizer, lr, momentum, warmup_bias_lr, iterations}: what Ultralytics'
 * build_optimizer picks (core/train/optim.h: auto → SGD(0.01, 0.9) above 10000 iterations, else
 * AdamW(round(0.002·5/(4+nc), 6), 0.9) with warmup_bias_lr 0; a named optimizer keeps lr0 and momentum).
 * An unknown name raises the list of valid ones. */
static int l_optimizer_choice(lua_State *L)
{
    static const char *const fname = "cpose.optimizer_choice";
    static const char *const extra[] = {"iterations", "n_images", "nc", NULL};
    cpose_lua_push_args_without(L, 1, fname, extra);
    struct cpose_args *a = cpose_lua_checkargs(L, -1, fname);
    lua_Integer nc = extra_int(L, 1, fname, "nc", 1, 1, "the number of classes");
    lua_Integer n_images = extra_int(L, 1, fname, "n_images", 0, 1, "the number of training images");
    lua_Integer iterations = extra_int(L, 1, fname, "iterations", -1, 0, "optimizer steps planned");
    const char *optimizer = cpose_args_str(a, "optimizer");
    if (iterations < 0 && n_images)
        iterations = cpose_optim_iterations((long)n_images, (int)cpose_args_int(a, "batch", 16),
                                            (int)cpose_args_int(a, "nbs", 64), (int)cpose_args_int(a, "epochs", 100));
    if (iterations < 0 && strcmp(optimizer, "auto") == 0)
        return luaL_error(L, "%s: optimizer=auto chooses by the iteration count: give iterations= or n_images= "
                          "(with epochs, batch, nbs)", fname);
    double wbl = cpose_args_float(a, "warmup_bias_lr", 0.1);
    struct cpose_optim_choice c;
    if (cpose_optim_choose(optimizer, (int)nc, (long)(iterations < 0 ? 0 : iterations), cpose_args_float(a, "lr0", 0.01),
                           cpose_args_float(a, "momentum", 0.937), &wbl, &c) != CPOSE_OK)
        return cpose_lua_fail(L, fname);
    lua_createtable(L, 0, 5);
    lua_pushstring(L, cpose_optim_name(c.kind));
    lua_setfield(L, -2, "optimizer");
    set_number(L, "lr", c.lr);
    set_number(L, "momentum", c.momentum);
    set_number(L, "warmup_bias_lr", wbl);
    if (iterations >= 0) set_integer(L, "iterations", iterations);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"loss", l_loss},
    {"schedule", l_schedule},
    {"ema_decay", l_ema_decay},
    {"optimizer_choice", l_optimizer_choice},
    {NULL, NULL},
};
static const luaL_Reg sched_meth[] = {{"at", s_at}, {"lf", s_lf}, {NULL, NULL}};

int cpose_lua_open_train(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (luaL_newmetatable(L, CPOSE_LUA_SCHEDULE)) {
        lua_pushcfunction(L, s_tostring);
        lua_setfield(L, -2, "__tostring");
        luaL_newlib(L, sched_meth);
        lua_pushcclosure(L, s_index, 1); /* the methods table as upvalue 1 */
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    for (const luaL_Reg *f = funcs; f->name; f++) {
        lua_pushfstring(L, "cpose.%s", f->name);
        cpose_lua_mark_available(L, lua_tostring(L, -1), 1);
        lua_pop(L, 1);
    }
    return 0;
}
