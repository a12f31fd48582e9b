/* core/lua_data.c — the dataset tools in Lua: cpose.convert_coco{}, download{}, extract{}, synth{}.
 * Bound to datasets/ as those parts land; until then each checks its arguments against args.def
 * and raises "not available in this build". */
#include "lua_impl.h"

static int l_convert_coco(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.convert_coco");
    return cpose_lua_unavailable(L, "cpose.convert_coco", "the COCO converter, datasets/");
}

static int l_download(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.download");
    return cpose_lua_unavailable(L, "cpose.download", "the downloader, datasets/");
}

static int l_extract(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.extract");
    return cpose_lua_unavailable(L, "cpose.extract", "the archive extractor, datasets/");
}

static int l_synth(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.synth");
    return cpose_lua_unavailable(L, "cpose.synth", "the synthetic dataset generator, datasets/");
}

static const luaL_Reg funcs[] = {
    {"convert_coco", l_convert_coco}, {"download", l_download}, {"extract", l_extract}, {"synth", l_synth},
    {NULL, NULL},
};

int cpose_lua_open_data(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    return 0;
}
