/* core/lua_model.c — cpose.YOLO(model) and the "cpose.Model" userdata with the Ultralytics methods
 * predict/val/train/export. The engine, predictor, validator, trainer and exporters are bound
 * here as they land; until then each method checks its arguments against args.def and raises
 * "not available in this build". */
#include "alloc.h"
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

/* The method bodies: arguments first (a typo is reported in every build), then the part. */
static int m_predict(lua_State *L)
{
    check_model(L);
    int t = 2;
    if (lua_type(L, 2) == LUA_TSTRING) t = 3; /* model:predict("img.jpg" [, {...}]) as Ultralytics */
    struct cpose_args *a = cpose_lua_checkargs(L, t, "cpose.Model:predict");
    if (t == 3 && cpose_args_set(a, "source", lua_tostring(L, 2)) != CPOSE_OK) return cpose_lua_fail(L, "cpose.Model:predict");
    return cpose_lua_unavailable(L, "cpose.Model:predict", "the predictor, core/predict.h");
}

static int m_val(lua_State *L)
{
    check_model(L);
    cpose_lua_checkargs(L, 2, "cpose.Model:val");
    return cpose_lua_unavailable(L, "cpose.Model:val", "the validator, eval/ and core/model.h");
}

static int m_train(lua_State *L)
{
    check_model(L);
    cpose_lua_checkargs(L, 2, "cpose.Model:train");
    return cpose_lua_unavailable(L, "cpose.Model:train", "the trainer, core/train");
}

static int m_export(lua_State *L)
{
    check_model(L);
    cpose_lua_checkargs(L, 2, "cpose.Model:export");
    return cpose_lua_unavailable(L, "cpose.Model:export", "the exporter plugins, plugins/");
}

static int m_info(lua_State *L)
{
    check_model(L);
    return cpose_lua_unavailable(L, "cpose.Model:info", "the engine, core/model.h");
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
static const luaL_Reg meth[] = {
    {"predict", m_predict}, {"val", m_val}, {"train", m_train}, {"export", m_export},
    {"info", m_info},       {"close", m_close}, {NULL, NULL},
};
static const luaL_Reg metameth[] = {
    {"__gc", mm_gc}, {"__close", mm_gc}, {"__tostring", mm_tostring}, {"__index", mm_index}, {NULL, NULL},
};

int cpose_lua_open_model(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_newclass(L, CPOSE_LUA_MODEL, meth, metameth);
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    return 0;
}
