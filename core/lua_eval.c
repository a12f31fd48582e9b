/* core/lua_eval.c — evaluation and reports in Lua: cpose.eval{} (COCOeval on gt/pred JSON) and
 * cpose.report{}. Bound to eval/ and reports/ as they land; until then each checks its arguments
 * against args.def and raises "not available in this build". */
#include "lua_impl.h"

static int l_eval(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.eval");
    return cpose_lua_unavailable(L, "cpose.eval", "COCOeval, eval/");
}

static int l_report(lua_State *L)
{
    cpose_lua_checkargs(L, 1, "cpose.report");
    return cpose_lua_unavailable(L, "cpose.report", "the report writers, reports/");
}

static const luaL_Reg funcs[] = {{"eval", l_eval}, {"report", l_report}, {NULL, NULL}};

int cpose_lua_open_eval(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    return 0;
}
