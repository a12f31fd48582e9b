/* core/lua/lua_job.c — cpose.job: the running job's record (folder, inputs, outputs, metrics) and
 * cpose.job.open(), an atomic file writer for scripts (no half-written file if the job fails). */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"

#include <string.h>

struct jobfile {
    struct cpose_atomic_file f; /* f.fp NULL once committed or aborted */
    char *path;
};

/* cpose.job.active() → true under `cpose run`. */
static int l_active(lua_State *L)
{
    lua_pushboolean(L, cpose_jobrec_active());
    return 1;
}

/* cpose.job.dir() → the job folder (created on first use; see core/lua/jobrec.h for the rule). */
static int l_dir(lua_State *L)
{
    const char *d = cpose_jobrec_dir();
    if (!d) return cpose_lua_fail(L, "cpose.job.dir");
    lua_pushstring(L, d);
    return 1;
}

static int l_input(lua_State *L)
{
    cpose_jobrec_input(luaL_checkstring(L, 1));
    return 0;
}

static int l_output(lua_State *L)
{
    cpose_jobrec_output(luaL_checkstring(L, 1));
    return 0;
}

static int l_output_dir(lua_State *L)
{
    cpose_jobrec_output_dir(luaL_checkstring(L, 1));
    return 0;
}

static int l_metric(lua_State *L)
{
    cpose_jobrec_metric(luaL_checkstring(L, 1), luaL_checknumber(L, 2));
    return 0;
}

static struct jobfile *check_open(lua_State *L)
{
    struct jobfile *jf = luaL_checkudata(L, 1, CPOSE_LUA_JOBFILE);
    if (!jf->f.fp) luaL_argerror(L, 1, "the job file is already committed or aborted");
    return jf;
}

static void release(struct jobfile *jf)
{
    if (jf->f.fp) cpose_atomic_abort(&jf->f);
    if (jf->path) {
        cpose_free(jf->path);
        jf->path = NULL;
        cpose_lua_object_released();
    }
}

/* cpose.job.open(path) → a writer: f:write(...) as io; f:commit() renames it into place and lists
 * it as an output; f:abort() (or an error / collection before commit) leaves nothing at path. As a
 * to-be-closed variable it commits on normal scope exit and aborts when leaving by an error. */
static int l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct jobfile *jf = lua_newuserdatauv(L, sizeof *jf, 0);
    memset(jf, 0, sizeof *jf); /* collectable before anything is acquired */
    luaL_setmetatable(L, CPOSE_LUA_JOBFILE);
    char *dir = cpose_path_dirname(path);
    int rc = cpose_mkdirs(dir);
    cpose_free(dir);
    if (rc == CPOSE_OK) rc = cpose_atomic_open(&jf->f, path);
    if (rc != CPOSE_OK) return cpose_lua_fail(L, "cpose.job.open");
    jf->path = cpose_strdup(path);
    cpose_lua_object_created();
    return 1;
}

static int f_write(lua_State *L)
{
    struct jobfile *jf = check_open(L);
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++) {
        size_t len;
        const char *s = luaL_checklstring(L, i, &len);
        if (len && fwrite(s, 1, len, jf->f.fp) != len) {
            cpose_err(CPOSE_EIO, "write failed on '%s'", jf->path);
            release(jf);
            return cpose_lua_fail(L, "JobFile:write");
        }
    }
    lua_settop(L, 1);
    return 1;
}

static int commit(lua_State *L, struct jobfile *jf)
{
    char *path = cpose_strdup(jf->path);
    int rc = cpose_atomic_commit(&jf->f);
    memset(&jf->f, 0, sizeof jf->f);
    release(jf);
    if (rc == CPOSE_OK) cpose_jobrec_output(path);
    cpose_free(path);
    return rc;
}

static int f_commit(lua_State *L)
{
    struct jobfile *jf = check_open(L);
    lua_pushstring(L, jf->path);
    if (commit(L, jf) != CPOSE_OK) return cpose_lua_fail(L, "JobFile:commit");
    return 1;
}

static int f_abort(lua_State *L)
{
    release(luaL_checkudata(L, 1, CPOSE_LUA_JOBFILE));
    return 0;
}

static int f_close(lua_State *L)
{
    struct jobfile *jf = luaL_checkudata(L, 1, CPOSE_LUA_JOBFILE);
    if (!jf->f.fp) return 0;
    if (!lua_isnil(L, 2)) release(jf); /* leaving the scope by an error */
    else if (commit(L, jf) != CPOSE_OK) return cpose_lua_fail(L, "JobFile:close");
    return 0;
}

static int f_gc(lua_State *L)
{
    release(luaL_checkudata(L, 1, CPOSE_LUA_JOBFILE));
    return 0;
}

static int f_tostring(lua_State *L)
{
    struct jobfile *jf = luaL_checkudata(L, 1, CPOSE_LUA_JOBFILE);
    if (jf->f.fp) lua_pushfstring(L, "cpose.JobFile(%s)", jf->path);
    else lua_pushstring(L, "cpose.JobFile(closed)");
    return 1;
}

static const luaL_Reg funcs[] = {
    {"active", l_active}, {"dir", l_dir},       {"input", l_input}, {"output", l_output},
    {"output_dir", l_output_dir}, {"metric", l_metric}, {"open", l_open},   {NULL, NULL},
};
static const luaL_Reg meth[] = {{"write", f_write}, {"commit", f_commit}, {"abort", f_abort}, {NULL, NULL}};
static const luaL_Reg metameth[] = {{"__gc", f_gc}, {"__close", f_close}, {"__tostring", f_tostring}, {NULL, NULL}};

int cpose_lua_open_job(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_newclass(L, CPOSE_LUA_JOBFILE, meth, metameth);
    luaL_newlib(L, funcs);
    lua_setfield(L, 1, "job");
    return 0;
}
