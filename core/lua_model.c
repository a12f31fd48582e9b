/* core/lua_model.c — cpose.YOLO(model) and the "cpose.Model" userdata with the Ultralytics methods
 * predict/val/train/export/info. The engine, predictor, validator, trainer and exporters are
 * bound here as they land (one entry in methods[] each); until then each method checks its
 * arguments against args.def and raises "not available in this build". */
#include "alloc.h"
#include "cli.h"
#include "fsutil.h"
#include "jobrec.h"
#include "lua_impl.h"

#include <string.h>

/* The userdata. `model` becomes the engine's struct cpose_model * when core/model.h is merged
 * (cpose_model_load in l_yolo, cpose_model_free in release). */
struct lua_model {
    char *source; /* what YOLO() was given: model YAML name or weights path; NULL once released */
    void *model;
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
    m->source = NULL;
    m->model = NULL;
    cpose_lua_object_released();
}

/* cpose.YOLO(model) → cpose.Model. `model` is a model YAML (yolov8n-pose.yaml) or weights. */
static int l_yolo(lua_State *L)
{
    const char *source = luaL_checkstring(L, 1);
    if (!*source) luaL_argerror(L, 1, "empty model name: give a model YAML (yolov8n-pose.yaml) or weights (.h5/.pt)");
    struct lua_model *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m); /* safe to collect before anything is acquired */
    luaL_setmetatable(L, CPOSE_LUA_MODEL);
    if (cpose_path_is_file(source)) cpose_jobrec_input(source);
    m->source = cpose_strdup(source);
    cpose_lua_object_created();
    return 1;
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
    {"predict", NULL, "the predictor, core/predict.h", "source"},
    {"val", NULL, "the validator, eval/ and core/model.h", NULL},
    {"train", NULL, "the trainer, core/train", NULL},
    {"export", NULL, "the exporter plugins, plugins/", NULL},
    {"info", NULL, "the engine, core/model.h", NULL},
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

/* model.x: methods (upvalue 1), then attributes: task, source, closed. */
static int mm_index(lua_State *L)
{
    struct lua_model *m = luaL_checkudata(L, 1, CPOSE_LUA_MODEL);
    const char *k = luaL_checkstring(L, 2);
    if (lua_getfield(L, lua_upvalueindex(1), k) != LUA_TNIL) return 1;
    if (strcmp(k, "task") == 0) lua_pushstring(L, "pose");
    else if (strcmp(k, "source") == 0) m->source ? (void)lua_pushstring(L, m->source) : lua_pushnil(L);
    else if (strcmp(k, "closed") == 0) lua_pushboolean(L, m->source == NULL);
    else lua_pushnil(L);
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
