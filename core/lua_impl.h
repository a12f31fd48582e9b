/* core/lua_impl.h — internals shared by the Lua binding files (core/lua_*.c): the per-area
 * registration functions, argument-table conversion and the error-raising conventions.
 *
 * Binding one library area = one file core/lua_<area>.c exporting cpose_lua_open_<area>(L),
 * which receives the module table at index 1 and adds its functions with luaL_setfuncs; plus one
 * line in cpose_libs[] (core/lua_module.c). Conventions at the boundary:
 *   - misuse (wrong Lua types, unknown argument) → luaL_argerror / luaL_typeerror, or for
 *     argument tables cpose_lua_checkargs' "<fname>: <message>" (the name survives pcall);
 *   - an expected failure of a core call → cpose_lua_fail after the binding has cleaned up (call C,
 *     get the status, release, then raise: never longjmp through core code holding resources);
 *   - a part not built yet → cpose_lua_unavailable, never a fake result. */
#ifndef CPOSE_LUA_IMPL_H
#define CPOSE_LUA_IMPL_H

#include <lauxlib.h>
#include <lua.h>
#include "args.h"

#define CPOSE_LUA_ARGS "cpose.Args"
#define CPOSE_LUA_MODEL "cpose.Model"
#define CPOSE_LUA_JOBFILE "cpose.JobFile"

/* Registration functions, one per area: module table at index 1; return 0. */
int cpose_lua_open_core(lua_State *L);  /* version, info, args          (core/lua_core.c) */
int cpose_lua_open_job(lua_State *L);   /* cpose.job.*                   (core/lua_job.c) */
int cpose_lua_open_model(lua_State *L); /* YOLO and cpose.Model          (core/lua_model.c) */
int cpose_lua_open_data(lua_State *L);  /* convert_coco, download, ...   (core/lua_data.c) */
int cpose_lua_open_eval(lua_State *L);  /* eval, report                  (core/lua_eval.c) */

/* Converts the key = value table at idx (nil/none = no arguments) into a struct cpose_args owned
 * by a new userdata pushed on the stack (released by the GC, so raising here leaks nothing).
 * Lua booleans → True/False, integers → decimal, floats → shortest round-trip text, strings as
 * they are, arrays of numbers/strings → "[a,b]". Unknown keys and bad values raise
 * "<fname>: <message>" with args.c's message (the nearest valid key / the expected type). */
struct cpose_args *cpose_lua_checkargs(lua_State *L, int idx, const char *fname);

/* Raises "<fname>: <cpose_errmsg()>". Call only after releasing what the core call held. */
int cpose_lua_fail(lua_State *L, const char *fname);
/* Raises "<fname> is not available in this build (needs <needs>)". */
int cpose_lua_unavailable(lua_State *L, const char *fname, const char *needs);

/* Creates (once) the metatable tname with the metamethods in metameth and __index = a table of
 * meth (unless metameth has its own __index, which then receives the methods table as upvalue 1).
 * Leaves nothing on the stack. */
void cpose_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *meth, const luaL_Reg *metameth);

/* Live-object accounting for cpose userdata (see cpose_lua_live_objects). */
void cpose_lua_object_created(void);
void cpose_lua_object_released(void);

#endif
