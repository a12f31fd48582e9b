/* core/lua_core.c — cpose.version, cpose.info() and cpose.args{}: the build and the argument table. */
#include "lua_impl.h"

#include <omp.h>
#include <stdlib.h>

/* cpose.info() → {version, threads, cores, lua, openmp, available = {["cpose.eval"] = false, ...}}:
 * what this build runs with and which parts it has. */
static int l_info(lua_State *L)
{
    lua_createtable(L, 0, 6);
    lua_pushstring(L, CPOSE_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, omp_get_max_threads());
    lua_setfield(L, -2, "threads");
    lua_pushinteger(L, omp_get_num_procs());
    lua_setfield(L, -2, "cores");
    lua_pushstring(L, LUA_RELEASE);
    lua_setfield(L, -2, "lua");
    lua_pushinteger(L, _OPENMP);
    lua_setfield(L, -2, "openmp");
    cpose_lua_push_available(L);
    lua_setfield(L, -2, "available");
    return 1;
}

/* Pushes the effective value of argument i typed as args.def declares it (nil for None). */
static void push_typed(lua_State *L, const struct cpose_args *a, int i)
{
    const char *name = cpose_arg_defs[i].name;
    if (cpose_args_is_none(a, name)) {
        lua_pushnil(L);
        return;
    }
    switch (cpose_arg_defs[i].type) {
    case CPOSE_ARG_INT: lua_pushinteger(L, (lua_Integer)cpose_args_int(a, name, 0)); break;
    case CPOSE_ARG_FLOAT: lua_pushnumber(L, cpose_args_float(a, name, 0)); break;
    case CPOSE_ARG_BOOL: lua_pushboolean(L, cpose_args_bool(a, name)); break;
    case CPOSE_ARG_STR: lua_pushstring(L, cpose_args_str(a, name)); break;
    case CPOSE_ARG_LIST: {
        int64_t v[256];
        int n = cpose_args_int_list(a, name, v, 256);
        lua_createtable(L, n, 0);
        for (int k = 0; k < n; k++) {
            lua_pushinteger(L, (lua_Integer)v[k]);
            lua_rawseti(L, -2, k + 1);
        }
        break;
    }
    }
}

/* cpose.args{key = value, ...} → the full argument set after defaults, typed (None keys absent):
 * what a mode would see. Unknown keys and bad values raise like every binding. */
static int l_args(lua_State *L)
{
    struct cpose_args *a = cpose_lua_checkargs(L, 1, "cpose.args");
    lua_createtable(L, 0, CPOSE_ARG_COUNT);
    for (int i = 0; i < CPOSE_ARG_COUNT; i++) {
        push_typed(L, a, i);
        lua_setfield(L, -2, cpose_arg_defs[i].name);
    }
    return 1;
}

static const luaL_Reg funcs[] = {
    {"info", l_info},
    {"args", l_args},
    {NULL, NULL},
};

int cpose_lua_open_core(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    lua_pushstring(L, CPOSE_VERSION);
    lua_setfield(L, 1, "version");
    return 0;
}
