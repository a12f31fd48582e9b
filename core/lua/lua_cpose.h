/* core/lua/lua_cpose.h — the embedded Lua 5.4: the `cpose` module (require "cpose") and the job runner
 * behind `cpose run job.lua key=value ...`.
 *
 * The module mirrors the Ultralytics Python API:
 *
 *     local cpose = require "cpose"                  -- no global is set
 *     local model = cpose.YOLO("yolov8n-pose.yaml")  -- userdata cpose.Model (__gc/__close)
 *     local r = model:predict{source = "images/", conf = 0.25}
 *     local r = model:train{data = "coco8-pose.yaml", epochs = 3,       -- the final metrics; the model
 *                           on_epoch_end = function(e) ... end}     -- then holds best.h5 (false stops)
 *     local m = model:val{data = "coco8-pose.yaml"}  -- m.box.map, m.pose.map50, m.pose.maps ...
 *     local d = cpose.convert_coco{json_dir = "annotations/", save_dir = "coco-pose"}
 *     return {pose_map = m.pose.map}                 -- stored as "result" in run.json
 *
 * Every argument table is checked against core/base/args.def, the table the CLI uses (same names and
 * defaults; Lua booleans/numbers/strings/arrays become the CLI's text forms). An unknown key
 * raises "<function>: 'confx' is not a valid argument; did you mean 'conf'?"; a library failure
 * raises "<function>: <the C message>"; a part this build lacks raises "cpose.X is not available
 * in this build (needs <part>)". cpose.info() → {version, threads, cores, lua, openmp,
 * available = {[name] = bool}}; cpose.args{...} → the typed argument set after defaults;
 * cpose.job.{active, dir, input, output, output_dir, metric, open} → the job record (see
 * core/lua/jobrec.h; open() gives an atomic file writer). The training engine's numbers
 * (core/lua/lua_train.c): cpose.loss{model, batch = B.h5} → {box, pose, kobj, cls, dfl, total, grad_norm}
 * as `cpose loss` prints them; cpose.schedule{epochs, batch, nb | n_images, optimizer, ...} → an object
 * with :at(epoch, ni) → {lr = {pg0, pg1, pg2}, momentum, accumulate}; cpose.ema_decay(updates [, decay,
 * tau]); cpose.optimizer_choice{...}. How to bind a part: core/lua/lua_impl.h. */
#ifndef CPOSE_LUA_CPOSE_H
#define CPOSE_LUA_CPOSE_H

#include <lua.h>
#include "core/base/status.h"

/* The module opener (lua_CFunction): returns the `cpose` table. */
CPOSE_API int luaopen_cpose(lua_State *L);
/* Registers luaopen_cpose in package.preload so `require "cpose"` finds it (no global set).
 * Needs the package library opened first (luaL_openlibs). */
CPOSE_API void cpose_lua_preload(lua_State *L);
/* A fresh state with the standard libraries and the cpose module preloaded; NULL on OOM.
 * The caller closes it with lua_close. */
CPOSE_API lua_State *cpose_lua_newstate(void);

/* Runs `script` as a job: argv (argc words after the script) become the global `arg` (arg[0] =
 * script, arg[1..] = the words, arg.key = value for key=value words) and the script's `...`
 * (the same table). Runner keys among the words: threads= (compute threads), seed= (recorded,
 * seeds math.random), save_dir= (job folder, see core/lua/jobrec.h). Writes run.json whether the job
 * succeeds or fails. Returns CPOSE_OK, or CPOSE_EINVAL with the Lua error and traceback as the
 * message (cpose_errmsg) when the job failed, or the error that prevented starting it. */
CPOSE_API int cpose_lua_run_job(const char *script, int argc, char **argv);

/* Number of cpose userdata objects (models, job files, ...) created and not yet released; for
 * tests of __gc/__close. */
CPOSE_API long cpose_lua_live_objects(void);

#endif
