/* core/lua_data.c — the dataset tools in Lua: cpose.convert_coco{}, download{}, extract{}, synth{}.
 * One entry per function (core/lua_impl.h: struct cpose_lua_argfn); run = NULL until datasets/
 * provides it, which makes the call raise "not available in this build" after checking its
 * arguments against args.def. */
#include "lua_impl.h"

static const struct cpose_lua_argfn funcs[] = {
    {"convert_coco", NULL, "the COCO converter, datasets/"},
    {"download", NULL, "the downloader, datasets/"},
    {"extract", NULL, "the archive extractor, datasets/"},
    {"synth", NULL, "the synthetic dataset generator, datasets/"},
    {NULL, NULL, NULL},
};

int cpose_lua_open_data(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_setargfns(L, 1, "cpose.", funcs);
    return 0;
}
