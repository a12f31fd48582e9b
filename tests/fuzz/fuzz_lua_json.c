/* tests/fuzz/fuzz_lua_json.c — libFuzzer target: the Lua JSON reader (cJSON parse, then the tree
 * converted to Lua values under lua_pcall, as cpose.read_json does), and the values written back. */
#include "core/lua/lua_impl.h"
#include "tests/fuzz/fuzz_util.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

static int push_and_back(lua_State *L)
{
    cJSON *doc = lua_touserdata(L, 1);
    cpose_lua_push_json(L, doc);
    cJSON *holder = cJSON_CreateArray();
    lua_pushlightuserdata(L, holder);
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_holder");
    cpose_lua_to_json(L, -1, holder);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lua_State *L;
    if (!L) L = luaL_newstate();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    cJSON *doc = cJSON_ParseWithOpts(text, NULL, 1);
    free(text);
    if (!doc) return 0;
    lua_pushcfunction(L, push_and_back);
    lua_pushlightuserdata(L, doc);
    lua_pcall(L, 1, 0, 0);
    lua_settop(L, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_holder");
    cJSON_Delete(lua_touserdata(L, -1));
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_holder");
    lua_settop(L, 0);
    return 0;
}
