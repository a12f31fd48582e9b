/* core/lua/lua_runner.c — `cpose run job.lua key=value ...`: runs a Lua job under lua_pcall with a
 * traceback, hands it its arguments, and writes the job record (run.json) however the job ends. */
#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/base/log.h"
#include "core/lua/lua_cpose.h"
#include "core/lua/lua_impl.h"

#include <lauxlib.h>
#include <lualib.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Builds the `arg` table: [0] = script, [1..] = words, [key] = value for key=value words. */
static void push_arg_table(lua_State *L, const char *script, int argc, char **argv)
{
    lua_createtable(L, argc, 4);
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
        const char *eq = strchr(argv[i], '=');
        if (eq && eq != argv[i]) {
            lua_pushlstring(L, argv[i], (size_t)(eq - argv[i]));
            lua_pushstring(L, eq + 1);
            lua_rawset(L, -3);
        }
    }
}

/* lua_CFunction: (value, lightuserdata cJSON *holder array) → appends the value to the holder. */
static int convert_result(lua_State *L)
{
    cJSON *holder = lua_touserdata(L, 2);
    cpose_lua_to_json(L, 1, holder);
    return 0;
}

/* ---- what a job reads, how it exits, and Ctrl-C ---- */

/* package.searchers[2] wrapper: Lua modules the job requires are inputs (the searcher returns
 * the loader and the file name). Upvalue 1 = the original searcher. */
static int recording_searcher(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 2);
    if (lua_isfunction(L, -2) && lua_type(L, -1) == LUA_TSTRING) cpose_jobrec_input(lua_tostring(L, -1));
    return 2;
}

/* dofile/loadfile wrapper: records a named file as an input, then calls the original (upvalue 1). */
static int recording_loader(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) cpose_jobrec_input(lua_tostring(L, 1));
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* os.exit(code) in a job: closes the state (uncommitted job files are aborted), writes run.json
 * (status ok for 0/true, else failed with "os.exit(N)") and ends the process with the code, as
 * the standard os.exit does. */
static int job_exit(lua_State *L)
{
    int code;
    if (lua_isboolean(L, 1)) code = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
    else code = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
    lua_close(L);
    char msg[64];
    snprintf(msg, sizeof msg, "the job called os.exit(%d)", code);
    if (cpose_jobrec_end(code == 0 ? NULL : msg, NULL, 0) != CPOSE_OK)
        cpose_warn("run.json not written: %s", cpose_errmsg());
    fflush(NULL);
    exit(code);
}

static void install_job_hooks(lua_State *L)
{
    lua_getglobal(L, "os");
    lua_pushcfunction(L, job_exit);
    lua_setfield(L, -2, "exit");
    lua_pop(L, 1);
    static const char *loaders[] = {"dofile", "loadfile"};
    for (int i = 0; i < 2; i++) {
        lua_getglobal(L, loaders[i]);
        lua_pushcclosure(L, recording_loader, 1);
        lua_setglobal(L, loaders[i]);
    }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    lua_rawgeti(L, -1, 2);
    lua_pushcclosure(L, recording_searcher, 1);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}

/* SIGINT/SIGTERM while the script runs: like lua.c, a hook raises "interrupted" at the next Lua
 * step, so the job ends through the normal failure path (files aborted, run.json written). A
 * second signal acts as usual (default action). */
static lua_State *volatile running_state;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted (signal)");
}

static void on_signal(int sig)
{
    signal(sig, SIG_DFL);
    if (running_state) lua_sethook(running_state, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void catch_signals(lua_State *L)
{
    running_state = L;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

static void release_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_state = NULL;
}

/* ---- the job ---- */

struct runner_opts {
    int threads;
    long long seed;
    char save_dir[4096];
};

/* Reads the runner's own keys (threads, seed, save_dir, verbose) from the words, checking their
 * values against args.def; other key=value words belong to the script. */
static int runner_opts(int argc, char **argv, struct runner_opts *o)
{
    static const char *keys[] = {"threads", "seed", "save_dir", "verbose"};
    struct cpose_args a;
    cpose_args_init(&a);
    int rc = CPOSE_OK;
    for (int i = 0; i < argc && rc == CPOSE_OK; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq) continue;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strlen(keys[k]) == (size_t)(eq - argv[i]) && strncmp(argv[i], keys[k], (size_t)(eq - argv[i])) == 0)
                rc = cpose_args_set(&a, keys[k], eq + 1);
    }
    if (rc == CPOSE_OK) {
        cpose_cli_apply_threads(&a);
        if (cpose_args_given(&a, "verbose") && !cpose_args_bool(&a, "verbose")) cpose_log_set_level(CPOSE_LOG_WARN);
        o->threads = omp_get_max_threads();
        o->seed = (long long)cpose_args_int(&a, "seed", 0);
        snprintf(o->save_dir, sizeof o->save_dir, "%s", cpose_args_str(&a, "save_dir"));
    }
    cpose_args_free(&a);
    return rc;
}

int cpose_lua_run_job(const char *script, int argc, char **argv)
{
    struct runner_opts o;
    int rc = runner_opts(argc, argv, &o);
    if (rc) return rc;
    if ((rc = cpose_jobrec_begin(script, argc, argv, o.save_dir, o.threads, o.seed)) != CPOSE_OK)
        return cpose_err_context(rc, "cannot run '%s'", script);

    char *error = NULL;
    lua_State *L = cpose_lua_newstate();
    if (!L) {
        error = cpose_strdup("cannot create a Lua state (out of memory)");
        goto done;
    }
    /* math.randomseed(seed): a job's own randomness follows seed= like the rest of cpose */
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, (lua_Integer)o.seed);
    lua_call(L, 1, 0);
    lua_pop(L, 1);

    install_job_hooks(L);
    push_arg_table(L, script, argc, argv);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "arg");
    int argt = lua_gettop(L);
    lua_pushcfunction(L, cpose_lua_traceback);
    int handler = lua_gettop(L);
    int status = luaL_loadfile(L, script);
    if (status == LUA_OK) {
        lua_pushvalue(L, argt);
        catch_signals(L);
        status = lua_pcall(L, 1, 1, handler);
        release_signals();
    }
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        error = cpose_strdup(msg ? msg : "(error object is not a string)");
    } else if (!lua_isnil(L, -1)) {
        cJSON *holder = cJSON_CreateArray();
        lua_pushcfunction(L, convert_result);
        lua_insert(L, -2);
        lua_pushlightuserdata(L, holder);
        if (lua_pcall(L, 2, 0, handler) != LUA_OK) {
            cpose_warn("run.json: the job's result could not be recorded: %s", lua_tostring(L, -1));
        } else {
            cJSON *res = cJSON_DetachItemFromArray(holder, 0);
            cpose_jobrec_set_result(res);
        }
        cJSON_Delete(holder);
    }
    lua_close(L); /* collects userdata: uncommitted job files are aborted before the record is written */

done:;
    char path[4096];
    int wrc = cpose_jobrec_end(error, path, sizeof path);
    if (wrc != CPOSE_OK && error) cpose_warn("run.json not written: %s", cpose_errmsg()); /* else reported below */
    else if (wrc == CPOSE_OK) cpose_debug("job record: %s", path);
    if (error) {
        rc = cpose_err(CPOSE_EINVAL, "%s", error);
        cpose_free(error);
        return rc;
    }
    return wrc;
}

/* The script to run: the path as given; else, for a bare name (no '/'), the job scripts shipped
 * with cpose (the source tree's scripts/, then the install's share/cpose/scripts). Caller frees. */
static char *find_script(const char *name)
{
    if (cpose_path_is_file(name) || strchr(name, '/')) return cpose_strdup(name);
    const char *dirs[] = {CPOSE_SOURCE_DIR "/scripts", CPOSE_DATA_DIR "/scripts"};
    for (int i = 0; i < 2; i++) {
        char *p = cpose_path_join(dirs[i], name);
        if (cpose_path_is_file(p)) return p;
        cpose_free(p);
    }
    return cpose_strdup(name);
}

int cpose_mode_run(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
        printf("usage: cpose run job.lua [word ...] [key=value ...]\n"
               "  job.lua: a path, or the name of a job script shipped in scripts/ (quickstart.lua,\n"
               "  nightly.lua, coco_eval.lua, ...: the source tree's or the install's share/cpose/scripts)\n"
               "  runs the Lua job with `arg` = {[0] = job.lua, words..., key = value} (also its `...`);\n"
               "  `local cpose = require \"cpose\"` gives the module (core/lua/lua_cpose.h).\n"
               "  runner keys: threads=N  seed=N (also math.randomseed)  save_dir=DIR  verbose=False\n"
               "  writes run.json (script and input sha256, arguments, calls, outputs, metrics, result)\n"
               "  into save_dir, else the first output folder the job creates, else runs/jobs/<name>N.\n"
               "  A failing job exits 1 with the error and the Lua traceback (also in run.json).\n");
        return 0;
    }
    if (argc < 1 || strchr(argv[0], '=')) {
        fprintf(stderr, "cpose run: give a Lua job script first: cpose run job.lua [key=value ...]\n");
        return 2;
    }
    char *script = find_script(argv[0]);
    int rc = cpose_lua_run_job(script, argc - 1, argv + 1);
    cpose_free(script);
    return rc != CPOSE_OK ? cpose_cli_fail("run") : 0;
}
