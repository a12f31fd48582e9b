/* core/lua/lua_core.c — cpose.version, cpose.info(), cpose.args{} (the build and the argument table) and
 * cpose.read_json / cpose.write_json for the small JSON documents jobs exchange (metrics, stats). */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

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

/* cpose.read_json(path) → the document as Lua values (objects → tables, arrays → sequences,
 * null → nil). For small documents (cJSON holds the whole tree). The file is a job input. */
static int l_read_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char *text = NULL;
    size_t len = 0;
    if (cpose_read_file(path, &text, &len) != CPOSE_OK) return cpose_lua_fail(L, "cpose.read_json");
    cJSON *doc = cJSON_ParseWithOpts(text, NULL, 1);
    if (!doc) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        cpose_err(CPOSE_EINVAL, "'%s' is not valid JSON (at byte %ld)", path, off);
        cpose_free(text);
        return cpose_lua_fail(L, "cpose.read_json");
    }
    cpose_free(text);
    cpose_jobrec_input(path);
    cpose_lua_push_json(L, doc);
    return 1;
}

/* lua_CFunction run under lua_pcall: (value, holder) → the value appended to the cJSON holder. */
static int convert_value(lua_State *L)
{
    cpose_lua_to_json(L, 1, lua_touserdata(L, 2));
    return 0;
}

/* cpose.write_json(path, value) writes value as pretty JSON atomically (never half a file) and
 * lists it as a job output. Tables with keys 1..n become arrays; see cpose_lua_to_json. */
static int l_write_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    cJSON *holder = cJSON_CreateArray();
    lua_pushcfunction(L, convert_value);
    lua_pushvalue(L, 2);
    lua_pushlightuserdata(L, holder);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        cJSON_Delete(holder);
        return lua_error(L);
    }
    char *text = cJSON_Print(cJSON_GetArrayItem(holder, 0));
    cJSON_Delete(holder);
    char *dir = cpose_path_dirname(path);
    int rc = cpose_mkdirs(dir);
    cpose_free(dir);
    if (rc == CPOSE_OK) {
        rc = cpose_write_file_atomic(path, text, strlen(text));
    }
    free(text); /* cJSON allocates with malloc */
    if (rc != CPOSE_OK) return cpose_lua_fail(L, "cpose.write_json");
    cpose_jobrec_output(path);
    return 0;
}

static const luaL_Reg funcs[] = {
    {"info", l_info},
    {"args", l_args},
    {"read_json", l_read_json},
    {"write_json", l_write_json},
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
