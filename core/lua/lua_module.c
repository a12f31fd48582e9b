/* core/lua/lua_module.c — the `cpose` Lua module: the list of binding areas, the module opener, and the
 * helpers every binding shares (argument tables, error raising, classes, object accounting). */
#include "core/lua/lua_cpose.h"
#include "core/lua/lua_impl.h"

#include <lualib.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* One line per library area: the area's file adds its functions to the module table. */
static const luaL_Reg cpose_libs[] = {
    {"core", cpose_lua_open_core},   {"job", cpose_lua_open_job},   {"model", cpose_lua_open_model},
    {"data", cpose_lua_open_data},   {"eval", cpose_lua_open_eval}, {"train", cpose_lua_open_train},
    {"export", cpose_lua_open_export},
    {NULL, NULL},
};

int luaopen_cpose(lua_State *L)
{
    luaL_checkversion(L);
    lua_newtable(L);
    int mod = lua_gettop(L);
    for (const luaL_Reg *lib = cpose_libs; lib->name; lib++) {
        lua_pushcfunction(L, lib->func);
        lua_pushvalue(L, mod);
        lua_call(L, 1, 0);
    }
    return 1;
}

void cpose_lua_preload(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cpose);
    lua_setfield(L, -2, "cpose");
    lua_pop(L, 1);
}

lua_State *cpose_lua_newstate(void)
{
    lua_State *L = luaL_newstate();
    if (!L) return NULL;
    luaL_openlibs(L);
    cpose_lua_preload(L);
    return L;
}

static atomic_long live_objects;
void cpose_lua_object_created(void) { atomic_fetch_add(&live_objects, 1); }
void cpose_lua_object_released(void) { atomic_fetch_sub(&live_objects, 1); }
long cpose_lua_live_objects(void) { return atomic_load(&live_objects); }

/* ---- argument tables ---- */

static int args_gc(lua_State *L)
{
    cpose_args_free(luaL_checkudata(L, 1, CPOSE_LUA_ARGS));
    return 0;
}

/* Writes the text form of the scalar at idx into buf; 0 when it is not a boolean/number/string. */
static int scalar_text(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "True" : "False"); return 1;
    case LUA_TSTRING: snprintf(buf, n, "%s", lua_tostring(L, idx)); return 1;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double v = lua_tonumber(L, idx);
            snprintf(buf, n, "%.15g", v);
            if (strtod(buf, NULL) != v) snprintf(buf, n, "%.17g", v);
        }
        return 1;
    default: return 0;
    }
}

/* Text of the value at vidx for key (scalars as they are, arrays as "[a,b]"); raises on others.
 * Uses only the C stack for text, so raising leaks nothing. */
static void value_text(lua_State *L, const char *fname, const char *key, int vidx, char *buf, size_t n)
{
    if (scalar_text(L, vidx, buf, n)) {
        if (lua_type(L, vidx) == LUA_TSTRING && lua_rawlen(L, vidx) >= n)
            luaL_error(L, "%s: the value of '%s' is too long", fname, key);
        return;
    }
    if (lua_type(L, vidx) != LUA_TTABLE)
        luaL_error(L, "%s: '%s' = %s: a value must be a string, number, boolean or list", fname, key,
                   luaL_typename(L, vidx));
    lua_Integer len = (lua_Integer)lua_rawlen(L, vidx);
    size_t used = 0;
    buf[used++] = '[';
    for (lua_Integer i = 1; i <= len; i++) {
        char item[128];
        lua_rawgeti(L, vidx, i);
        int ok = lua_type(L, -1) != LUA_TBOOLEAN && scalar_text(L, -1, item, sizeof item);
        lua_pop(L, 1);
        if (!ok) luaL_error(L, "%s: '%s' = {...}: list items must be numbers or strings", fname, key);
        size_t il = strlen(item);
        if (used + il + 3 >= n) luaL_error(L, "%s: the list given for '%s' is too long", fname, key);
        if (i > 1) buf[used++] = ',';
        memcpy(buf + used, item, il);
        used += il;
    }
    /* a table with keys other than 1..n is not a list */
    lua_pushnil(L);
    while (lua_next(L, vidx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
            luaL_error(L, "%s: '%s' = {...}: expected a list such as {0, 2}", fname, key);
    }
    buf[used++] = ']';
    buf[used] = 0;
}

struct cpose_args *cpose_lua_checkargs(lua_State *L, int idx, const char *fname)
{
    idx = lua_absindex(L, idx);
    int has = !lua_isnoneornil(L, idx);
    if (has && !lua_istable(L, idx))
        luaL_error(L, "%s: expected a table of key = value arguments, got a %s", fname, luaL_typename(L, idx));
    struct cpose_args *a = lua_newuserdatauv(L, sizeof *a, 0);
    cpose_args_init(a);
    if (luaL_newmetatable(L, CPOSE_LUA_ARGS)) {
        lua_pushcfunction(L, args_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    if (!has) return a;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 1);
            const char *tn = luaL_typename(L, -1);
            const char *ks = luaL_tolstring(L, -1, NULL);
            luaL_error(L, "%s: arguments are key = value pairs (e.g. conf = 0.5); got a value under the %s key %s",
                       fname, tn, ks);
        }
        const char *key = lua_tostring(L, -2);
        char text[4096];
        value_text(L, fname, key, lua_gettop(L), text, sizeof text);
        if (cpose_args_set(a, key, text) != CPOSE_OK) cpose_lua_fail(L, fname);
        lua_pop(L, 1);
    }
    return a;
}

void cpose_lua_push_args_without(lua_State *L, int idx, const char *fname, const char *const *extra)
{
    idx = lua_absindex(L, idx);
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        luaL_error(L, "%s: expected a table of key = value arguments, got a %s", fname, luaL_typename(L, idx));
    lua_newtable(L);
    if (lua_isnoneornil(L, idx)) return;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    for (const char *const *k = extra; *k; k++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *k);
    }
}

int cpose_lua_fail(lua_State *L, const char *fname)
{
    return luaL_error(L, "%s: %s", fname, cpose_errmsg());
}

int cpose_lua_unavailable(lua_State *L, const char *fname, const char *needs)
{
    return luaL_error(L, "%s is not available in this build (needs %s)", fname, needs);
}

void cpose_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *meth, const luaL_Reg *metameth)
{
    if (luaL_newmetatable(L, tname)) {
        luaL_setfuncs(L, metameth, 0);
        lua_newtable(L);
        luaL_setfuncs(L, meth, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}
