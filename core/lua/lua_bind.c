/* core/lua/lua_bind.c — the table-driven binding of argument-table functions (cpose.X{key = value}),
 * JSON ↔ Lua value conversion, and the registry of which parts this build has. */
#include "core/cli/cli.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"

#include <math.h>
#include <string.h>

#define AVAILABLE_KEY "cpose.available"
#define JSONBOX "cpose.JSONBox"

void cpose_lua_mark_available(lua_State *L, const char *fullname, int available)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, AVAILABLE_KEY);
    lua_pushboolean(L, available);
    lua_setfield(L, -2, fullname);
    lua_pop(L, 1);
}

void cpose_lua_push_available(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, AVAILABLE_KEY);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_remove(L, -2);
}

int cpose_lua_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
        else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* ---- JSON → Lua ---- */

static void push_json(lua_State *L, const cJSON *j, int depth)
{
    luaL_checkstack(L, 4, "JSON value too deep");
    if (!j || cJSON_IsNull(j) || depth > 64) {
        lua_pushnil(L);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (v == floor(v) && fabs(v) < 9007199254740992.0) lua_pushinteger(L, (lua_Integer)v);
        else lua_pushnumber(L, v);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsArray(j)) {
        lua_createtable(L, cJSON_GetArraySize(j), 0);
        lua_Integer i = 1;
        for (const cJSON *c = j->child; c; c = c->next, i++) {
            push_json(L, c, depth + 1);
            lua_rawseti(L, -2, i);
        }
    } else if (cJSON_IsObject(j)) {
        lua_newtable(L);
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c, depth + 1);
            lua_setfield(L, -2, c->string);
        }
    } else {
        lua_pushnil(L);
    }
}

static int jsonbox_gc(lua_State *L)
{
    cJSON **box = luaL_checkudata(L, 1, JSONBOX);
    cJSON_Delete(*box);
    *box = NULL;
    return 0;
}

void cpose_lua_push_json(lua_State *L, cJSON *take)
{
    /* park the tree in a collectable box first: a memory error while converting frees it */
    cJSON **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = take;
    if (luaL_newmetatable(L, JSONBOX)) {
        lua_pushcfunction(L, jsonbox_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    push_json(L, take, 0);
    cJSON_Delete(*box);
    *box = NULL;
    lua_remove(L, -2);
}

/* ---- Lua → JSON ---- */

static void attach(cJSON *parent, const char *key, cJSON *item)
{
    if (cJSON_IsArray(parent)) cJSON_AddItemToArray(parent, item);
    else cJSON_AddItemToObject(parent, key, item);
}

static int is_sequence(lua_State *L, int idx, lua_Integer *n)
{
    *n = (lua_Integer)lua_rawlen(L, idx);
    if (*n == 0) return 0;
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > *n) {
            lua_pop(L, 1);
            return 0;
        }
    }
    return count == *n;
}

static void to_json(lua_State *L, int idx, cJSON *parent, const char *key, int depth)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "value too deep");
    switch (lua_type(L, idx)) {
    case LUA_TNIL: attach(parent, key, cJSON_CreateNull()); return;
    case LUA_TBOOLEAN: attach(parent, key, cJSON_CreateBool(lua_toboolean(L, idx))); return;
    case LUA_TNUMBER: {
        double v = lua_tonumber(L, idx);
        attach(parent, key, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
        return;
    }
    case LUA_TSTRING: attach(parent, key, cJSON_CreateString(lua_tostring(L, idx))); return;
    case LUA_TTABLE:
        if (depth < 32) {
            lua_Integer n;
            if (is_sequence(L, idx, &n)) {
                cJSON *arr = cJSON_CreateArray();
                attach(parent, key, arr);
                for (lua_Integer i = 1; i <= n; i++) {
                    lua_rawgeti(L, idx, i);
                    to_json(L, -1, arr, NULL, depth + 1);
                    lua_pop(L, 1);
                }
            } else {
                cJSON *obj = cJSON_CreateObject();
                attach(parent, key, obj);
                lua_pushnil(L);
                while (lua_next(L, idx)) {
                    lua_pushvalue(L, -2);
                    const char *k = luaL_tolstring(L, -1, NULL);
                    to_json(L, -3, obj, k, depth + 1);
                    lua_pop(L, 3);
                }
            }
            return;
        }
        /* too deep (or cyclic): recorded as text */
        __attribute__((fallthrough));
    default: {
        const char *s = luaL_tolstring(L, idx, NULL);
        attach(parent, key, cJSON_CreateString(s));
        lua_pop(L, 1);
    }
    }
}

void cpose_lua_to_json(lua_State *L, int idx, cJSON *holder)
{
    to_json(L, idx, holder, NULL, 0);
}

/* ---- argument-table functions ---- */

/* The closure behind each entry: upvalue 1 = the entry (light userdata), 2 = its full name. */
static int argfn_call(lua_State *L)
{
    const struct cpose_lua_argfn *fn = lua_touserdata(L, lua_upvalueindex(1));
    const char *full = lua_tostring(L, lua_upvalueindex(2));
    struct cpose_args *a = cpose_lua_checkargs(L, 1, full);
    if (!fn->run) return cpose_lua_unavailable(L, full, fn->needs);
    cpose_cli_apply_threads(a);
    cJSON *result = NULL;
    int token = cpose_jobrec_call_begin(full);
    int rc = fn->run(a, &result);
    return cpose_lua_finish_call(L, full, token, rc, result);
}

int cpose_lua_finish_call(lua_State *L, const char *fname, int token, int rc, cJSON *take_result)
{
    cpose_jobrec_call_end(token, rc);
    if (rc != CPOSE_OK) {
        cJSON_Delete(take_result);
        return cpose_lua_fail(L, fname);
    }
    cpose_lua_push_json(L, take_result);
    return 1;
}

void cpose_lua_setargfns(lua_State *L, int idx, const char *prefix, const struct cpose_lua_argfn *fns)
{
    idx = lua_absindex(L, idx);
    for (const struct cpose_lua_argfn *fn = fns; fn->name; fn++) {
        lua_pushlightuserdata(L, (void *)fn);
        const char *full = lua_pushfstring(L, "%s%s", prefix, fn->name);
        cpose_lua_mark_available(L, full, fn->run != NULL);
        lua_pushcclosure(L, argfn_call, 2);
        lua_setfield(L, idx, fn->name);
    }
}
