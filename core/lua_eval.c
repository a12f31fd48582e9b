/* core/lua_eval.c — evaluation and reports in Lua: cpose.eval{} (COCOeval on gt/pred JSON → stats
 * table) and cpose.report{}. One entry per function (core/lua_impl.h: struct cpose_lua_argfn);
 * run = NULL until eval/ and reports/ provide them. */
#include "lua_impl.h"

static const struct cpose_lua_argfn funcs[] = {
    {"eval", NULL, "COCOeval, eval/"},
    {"report", NULL, "the report writers, reports/"},
    {NULL, NULL, NULL},
};

int cpose_lua_open_eval(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_setargfns(L, 1, "cpose.", funcs);
    return 0;
}
