/* core/lua/lua_impl.h — internals shared by the Lua binding files (core/lua_*.c): the per-area
 * registration functions, argument-table conversion and the error-raising conventions.
 *
 * A new library area = one file core/lua_<area>.c exporting cpose_lua_open_<area>(L), which
 * receives the module table at index 1 and adds its functions; plus one line in cpose_libs[]
 * (core/lua/lua_module.c). A new function of an existing area = one struct cpose_lua_argfn entry (or,
 * for a model method, one entry in lua_model.c's methods[]) + a small adapter from struct
 * cpose_args to the library call that also reports inputs/outputs to the job record
 * (core/lua/jobrec.h). Conventions at the boundary:
 *   - misuse (wrong Lua types, unknown argument) → luaL_argerror / luaL_typeerror, or for
 *     argument tables cpose_lua_checkargs' "<fname>: <message>" (the name survives pcall);
 *   - an expected failure of a core call → cpose_lua_fail after the binding has cleaned up (call C,
 *     get the status, release, then raise: never longjmp through core code holding resources);
 *   - a part not built yet → cpose_lua_unavailable, never a fake result. */
#ifndef CPOSE_LUA_IMPL_H
#define CPOSE_LUA_IMPL_H

#include <lauxlib.h>
#include <lua.h>
#include <cjson/cJSON.h>
#include "core/base/args.h"

#define CPOSE_LUA_ARGS "cpose.Args"
#define CPOSE_LUA_MODEL "cpose.Model"
#define CPOSE_LUA_JOBFILE "cpose.JobFile"

/* Registration functions, one per area: module table at index 1; return 0. */
int cpose_lua_open_core(lua_State *L);  /* version, info, args, JSON    (core/lua/lua_core.c) */
int cpose_lua_open_job(lua_State *L);   /* cpose.job.*                   (core/lua/lua_job.c) */
int cpose_lua_open_model(lua_State *L); /* YOLO and cpose.Model          (core/lua/lua_model.c) */
int cpose_lua_open_data(lua_State *L);  /* convert_coco, download, ...   (core/lua/lua_data.c) */
int cpose_lua_open_eval(lua_State *L);  /* eval, report                  (core/lua/lua_eval.c) */
int cpose_lua_open_train(lua_State *L); /* loss, schedule, ema_decay, optimizer_choice (core/lua/lua_train.c) */
int cpose_lua_open_export(lua_State *L); /* export_formats, export_probe, clock (core/lua/lua_export.c) */

/* Converts the key = value table at idx (nil/none = no arguments) into a struct cpose_args owned
 * by a new userdata pushed on the stack (released by the GC, so raising here leaks nothing).
 * Lua booleans → True/False, integers → decimal, floats → shortest round-trip text, strings as
 * they are, arrays of numbers/strings → "[a,b]". Unknown keys and bad values raise
 * "<fname>: <message>" with args.c's message (the nearest valid key / the expected type). */
struct cpose_args *cpose_lua_checkargs(lua_State *L, int idx, const char *fname);

/* Pushes a shallow copy of the argument table at idx (nil/none: an empty table) without the keys in
 * extra[] (NULL-terminated), to give cpose_lua_checkargs when a function also takes keys the shared
 * table lacks or types differently (loss's batch= file, train's on_epoch_end function); the caller
 * reads those from idx. Raises "<fname>: expected a table ..." for a value that is not a table. */
void cpose_lua_push_args_without(lua_State *L, int idx, const char *fname, const char *const *extra);

/* Raises "<fname>: <cpose_errmsg()>". Call only after releasing what the core call held. */
int cpose_lua_fail(lua_State *L, const char *fname);
/* Raises "<fname> is not available in this build (needs <needs>)". */
int cpose_lua_unavailable(lua_State *L, const char *fname, const char *needs);

/* Creates (once) the metatable tname with the metamethods in metameth and __index = a table of
 * meth (the shape of liolib's createmeta). Leaves nothing on the stack. */
void cpose_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *meth, const luaL_Reg *metameth);

/* An argument-table library function, bound by one table entry: cpose.<name>{key = value}.
 * run(a, &result) returns enum cpose_status; on CPOSE_OK *result (NULL = nothing) is a cJSON tree
 * owned by the caller, which the binding returns to Lua as tables. run = NULL: not in this build.
 * Binding a library function = a small adapter with this signature + one entry. */
struct cpose_lua_argfn {
    const char *name;                                          /* "convert_coco" */
    int (*run)(const struct cpose_args *a, cJSON **result);    /* NULL: not available */
    const char *needs;                                         /* "the COCO converter, datasets/" */
};
/* Sets table[idx][name] for each entry (list ends with name NULL) to a function that checks the
 * argument table ("<prefix><name>: ..." errors), applies threads=, runs the entry timed in the
 * job record, and returns its result as Lua values, or raises the C message (after the C side
 * has returned and released what it held). Also marks availability (cpose.info().available). */
void cpose_lua_setargfns(lua_State *L, int idx, const char *prefix, const struct cpose_lua_argfn *fns);

/* Records whether fullname ("cpose.Model:predict") is available in this build. */
void cpose_lua_mark_available(lua_State *L, const char *fullname, int available);
/* Pushes a new table {fullname = true|false} of everything marked. */
void cpose_lua_push_available(lua_State *L);

/* Pushes take (ownership passes; NULL → nil) as Lua values: objects → tables, arrays → sequences,
 * integral numbers → integers. take is parked in a collectable box first, so a memory error while
 * converting frees it (only a failure to allocate that box itself would leak it). */
void cpose_lua_push_json(lua_State *L, cJSON *take);
/* Ends a bound call: closes its job-record entry (token from cpose_jobrec_call_begin), then
 * raises the recorded C error when rc failed (freeing take_result) or pushes take_result. */
int cpose_lua_finish_call(lua_State *L, const char *fname, int token, int rc, cJSON *take_result);
/* Appends the Lua value at idx to the cJSON array holder: tables with keys 1..n → arrays, other
 * tables → objects (keys via tostring), non-finite numbers → null; a function, coroutine or userdata,
 * or nesting deeper than 1000 levels (a cycle), raises an error naming the key. Call under lua_pcall;
 * holder owns whatever was attached. */
void cpose_lua_to_json(lua_State *L, int idx, cJSON *holder);
/* Same, for the job result in run.json: a function, coroutine or userdata is warned about (naming its
 * key) and recorded as null instead of raising; nesting beyond 1000 levels still raises. */
void cpose_lua_to_json_lenient(lua_State *L, int idx, cJSON *holder);

/* Message handler for lua_pcall (as lua.c's): the error as text plus a stack traceback; a usage
 * error, a table {usage = "msg"} (scripts/lib/cpose_jobs.lua), is the message alone. */
int cpose_lua_traceback(lua_State *L);

/* Lists the images of split_name ("train", "val", "test") of dataset YAML data and their label files
 * as job inputs (hashed); nothing without an active job or when the dataset does not load
 * (core/lua/lua_model.c). */
void cpose_lua_record_split_inputs(const char *data, const char *split_name);

/* model:train{} (core/lua/lua_train_run.c): trains a copy of start (borrowed, unchanged) with the
 * arguments a (model= refused: the model is start, whose name is source), calling the Lua function at
 * stack index callback (0: none) after each epoch under lua_pcall. On CPOSE_OK: *trained is the model
 * loaded from best.h5 (else last.h5), *trained_path that file (caller frees both) and *result the final
 * metrics (cJSON, caller owns); the run is written to the job record. A callback error stops the run
 * and is returned as CPOSE_EINVAL with its message once the trainer has cleaned up. */
struct cpose_model;
int cpose_lua_train_model(lua_State *L, int callback, struct cpose_model *start, const char *source,
                          const struct cpose_args *a, struct cpose_model **trained, char **trained_path,
                          cJSON **result);

/* Live-object accounting for cpose userdata (see cpose_lua_live_objects). */
void cpose_lua_object_created(void);
void cpose_lua_object_released(void);

#endif
