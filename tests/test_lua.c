/* tests/test_lua.c — the job record API (run.json contents, folder rule, failure records), the Lua
 * argument conversion, userdata release by __gc/__close, and cpose_lua_run_job's error path. */
/* cpose-layer: shell */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_cpose.h"
#include "core/lua/lua_impl.h"
#include "tests/testlib.h"

#include <dirent.h>
#include <lualib.h>

/* sha256("abc"), FIPS 180-2 appendix B.1 */
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* sha256 of the empty string */
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) { perror(path); exit(1); }
    fputs(text, fp);
    fclose(fp);
}

static cJSON *load_json(const char *path)
{
    char *text = NULL;
    size_t len;
    if (cpose_read_file(path, &text, &len) != CPOSE_OK) return NULL;
    cJSON *j = cJSON_Parse(text);
    cpose_free(text);
    return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_jobrec_record(void)
{
    const char *tmp = tl_tmpdir("jobrec");
    char script[512], in[512], out[512], missing[512], save[512];
    snprintf(script, sizeof script, "%s/job.lua", tmp);
    snprintf(in, sizeof in, "%s/abc.txt", tmp);
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(missing, sizeof missing, "%s/never-written.txt", tmp);
    snprintf(save, sizeof save, "%s/job", tmp);
    write_text(script, "");
    write_text(in, "abc");

    /* without an active record every call is a no-op */
    CHECK(!cpose_jobrec_active());
    cpose_jobrec_input(in);
    cpose_jobrec_metric("x", 1);
    CHECK(cpose_jobrec_call_begin("nothing") == -1);
    CHECK(cpose_jobrec_dir() == NULL);

    char *words[] = {"conf=0.5", "plain", "name=a=b"};
    CHECK(cpose_jobrec_begin(script, 3, words, save, 2, 7) == CPOSE_OK);
    CHECK(cpose_jobrec_active());
    CHECK(cpose_jobrec_begin(script, 0, NULL, NULL, 1, 0) == CPOSE_EINVAL);
    cpose_err(CPOSE_EIO, "pending message");
    cpose_jobrec_input(in);
    cpose_jobrec_input(in); /* listed once */
    cpose_jobrec_input(missing);
    CHECK_CONTAINS(cpose_errmsg(), "pending message");
    int tok = cpose_jobrec_call_begin("cpose.val");
    CHECK(tok == 0);
    cpose_jobrec_call_end(tok, CPOSE_EIO);
    write_text(out, "");
    cpose_jobrec_output(out);
    cpose_jobrec_output(missing);
    cpose_jobrec_output_dir("ignored/because/save_dir/given");
    cpose_jobrec_metric("pose_map", 0.25);
    cpose_jobrec_metric("pose_map", 0.5); /* replaces */
    cpose_jobrec_set_result(cJSON_CreateString("fine"));
    CHECK(strcmp(cpose_jobrec_dir(), save) == 0);
    char path[4096];
    CHECK(cpose_jobrec_end(NULL, path, sizeof path) == CPOSE_OK);
    CHECK(!cpose_jobrec_active());
    char want[600];
    snprintf(want, sizeof want, "%s/run.json", save);
    CHECK(strcmp(path, want) == 0);
    CHECK(count_temporaries(save) == 0);

    cJSON *j = load_json(want);
    CHECK(j != NULL);
    if (!j) return;
    CHECK(jstr(j, "status") && strcmp(jstr(j, "status"), "ok") == 0);
    CHECK(cJSON_GetObjectItem(j, "error") == NULL);
    const cJSON *s = cJSON_GetObjectItem(j, "script");
    CHECK(jstr(s, "sha256") && strcmp(jstr(s, "sha256"), SHA_EMPTY) == 0);
    CHECK(jstr(s, "path") && strcmp(jstr(s, "path"), script) == 0);
    CHECK(cJSON_GetObjectItem(j, "threads")->valueint == 2);
    CHECK(cJSON_GetObjectItem(j, "seed")->valueint == 7);
    const cJSON *args = cJSON_GetObjectItem(j, "args");
    CHECK(jstr(args, "conf") && strcmp(jstr(args, "conf"), "0.5") == 0);
    CHECK(jstr(args, "name") && strcmp(jstr(args, "name"), "a=b") == 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "argv")) == 3);
    const cJSON *inputs = cJSON_GetObjectItem(j, "inputs");
    CHECK(cJSON_GetArraySize(inputs) == 2);
    CHECK(jstr(cJSON_GetArrayItem(inputs, 0), "sha256") && strcmp(jstr(cJSON_GetArrayItem(inputs, 0), "sha256"), SHA_ABC) == 0);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(inputs, 1), "sha256")));
    const cJSON *outputs = cJSON_GetObjectItem(j, "outputs");
    CHECK(cJSON_GetArraySize(outputs) == 2);
    CHECK(jstr(cJSON_GetArrayItem(outputs, 0), "sha256") && strcmp(jstr(cJSON_GetArrayItem(outputs, 0), "sha256"), SHA_EMPTY) == 0);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(outputs, 1), "sha256")));
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "pose_map")->valuedouble, 0.5, 0);
    const cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "calls"), 0);
    CHECK(jstr(call, "name") && strcmp(jstr(call, "name"), "cpose.val") == 0);
    CHECK(jstr(call, "status") && strcmp(jstr(call, "status"), "i/o error") == 0);
    CHECK(cJSON_GetObjectItem(call, "seconds")->valuedouble >= 0);
    CHECK(jstr(j, "result") && strcmp(jstr(j, "result"), "fine") == 0);
    CHECK(cJSON_GetObjectItem(j, "seconds")->valuedouble >= 0);
    CHECK(cJSON_GetObjectItem(j, "peak_rss_bytes")->valuedouble > 1e6); /* any process holds > 1 MB */
    cJSON_Delete(j);
}

static void test_jobrec_folder_rule(void)
{
    const char *tmp = tl_tmpdir("jobdir");
    char cwd[4096], script[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(tmp) == 0);
    snprintf(script, sizeof script, "%s/nightly.lua", tmp);
    write_text(script, "return 1\n");

    /* rule 3: runs/jobs/<stem>, numbered */
    CHECK(cpose_jobrec_begin(script, 0, NULL, NULL, 1, 0) == CPOSE_OK);
    CHECK(cpose_jobrec_end(NULL, NULL, 0) == CPOSE_OK);
    CHECK(cpose_path_is_file("runs/jobs/nightly/run.json"));
    CHECK(cpose_jobrec_begin(script, 0, NULL, "", 1, 0) == CPOSE_OK);
    CHECK(strcmp(cpose_jobrec_dir(), "runs/jobs/nightly2") == 0);
    CHECK(cpose_jobrec_end("boom", NULL, 0) == CPOSE_OK);
    cJSON *j = load_json("runs/jobs/nightly2/run.json");
    CHECK(j && jstr(j, "status") && strcmp(jstr(j, "status"), "failed") == 0);
    CHECK(j && jstr(j, "error") && strcmp(jstr(j, "error"), "boom") == 0);
    CHECK(j && cJSON_IsNull(cJSON_GetObjectItem(j, "result")));
    cJSON_Delete(j);

    /* rule 2: the first output folder the job reports */
    CHECK(cpose_jobrec_begin(script, 0, NULL, NULL, 1, 0) == CPOSE_OK);
    cpose_jobrec_output_dir("runs/pose/predict3");
    cpose_jobrec_output_dir("runs/pose/val");
    CHECK(cpose_jobrec_end(NULL, NULL, 0) == CPOSE_OK);
    CHECK(cpose_path_is_file("runs/pose/predict3/run.json"));
    CHECK(!cpose_path_is_dir("runs/pose/val"));

    /* an unreadable script: no record is started */
    CHECK(cpose_jobrec_begin("no-such-script.lua", 0, NULL, NULL, 1, 0) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "no-such-script.lua");
    CHECK(!cpose_jobrec_active());
    CHECK(chdir(cwd) == 0);
}

/* lua_CFunction: checkargs(table) → the stored text of the keys named in the rest of the args. */
static int l_args_text(lua_State *L)
{
    struct cpose_args *a = cpose_lua_checkargs(L, 1, "test");
    int n = lua_gettop(L) - 1;
    for (int i = 2; i <= n; i++) {
        int id = cpose_arg_find(luaL_checkstring(L, i));
        lua_pushstring(L, id >= 0 && a->value[id] ? a->value[id] : "(unset)");
    }
    return n - 1;
}

static const char *run_lua(lua_State *L, const char *code)
{
    static char msg[2048];
    if (luaL_dostring(L, code) != LUA_OK) {
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return msg;
    }
    lua_settop(L, 0);
    return NULL;
}

static void test_lua_args_text(void)
{
    lua_State *L = cpose_lua_newstate();
    lua_register(L, "args_text", l_args_text);
    const char *err = run_lua(L,
        "local c, l, s, i, f, b, n, e = args_text({conf = 0.25, classes = {0, 2}, save = false, imgsz = 320.0,\n"
        "  lr0 = 0.1, single_cls = true, name = 'exp', embed = {}}, 'conf', 'classes', 'save', 'imgsz', 'lr0',\n"
        "  'single_cls', 'name', 'embed', 'iou')\n"
        "assert(c == '0.25', c); assert(l == '[0,2]', l); assert(s == 'False', s); assert(i == '320', i)\n"
        "assert(f == '0.1', f); assert(b == 'True', b); assert(n == 'exp', n); assert(e == '[]', e)\n"
        "assert(select(9, args_text({}, 'conf', 'classes', 'save', 'imgsz', 'lr0', 'single_cls', 'name', 'embed', 'iou')) == '(unset)')\n");
    CHECK_MSG(err == NULL, "%s", err);
    err = run_lua(L, "args_text({confx = 1})");
    CHECK_CONTAINS(err, "test: 'confx' is not a valid argument; did you mean 'conf'?");
    err = run_lua(L, "args_text({conf = true})");
    CHECK_CONTAINS(err, "conf takes a number");
    err = run_lua(L, "args_text({[1] = 'x'})");
    CHECK_CONTAINS(err, "key = value");
    lua_close(L);
}

static void test_lua_release(void)
{
    lua_State *L = cpose_lua_newstate();
    long base = cpose_lua_live_objects();
    const char *err = run_lua(L, "collectgarbage('stop')\n"
                                 "cpose = require 'cpose'\n"
                                 "models = {}\n"
                                 "for i = 1, 3 do models[i] = cpose.YOLO('yolov8n-pose.yaml') end\n");
    CHECK_MSG(err == NULL, "%s", err);
    CHECK(cpose_lua_live_objects() == base + 3);
    /* <close> releases at scope exit while the collector is stopped */
    err = run_lua(L, "do local m <close> = cpose.YOLO('yolov8n-pose.yaml'); assert(not m.closed) end");
    CHECK_MSG(err == NULL, "%s", err);
    CHECK(cpose_lua_live_objects() == base + 3);
    /* also when the scope is left by an error */
    err = run_lua(L, "local ok = pcall(function() local m <close> = cpose.YOLO('yolov8n-pose.yaml'); error('x') end)\n"
                     "assert(not ok)");
    CHECK_MSG(err == NULL, "%s", err);
    CHECK(cpose_lua_live_objects() == base + 3);
    /* __gc releases what nobody references */
    err = run_lua(L, "models = nil; collectgarbage('restart'); collectgarbage(); collectgarbage()");
    CHECK_MSG(err == NULL, "%s", err);
    CHECK(cpose_lua_live_objects() == base);
    /* outside `cpose run` the job API is inert, and says so where it must */
    err = run_lua(L, "assert(cpose.job.active() == false); cpose.job.input('x'); cpose.job.metric('m', 1)\n"
                     "local ok, e = pcall(cpose.job.dir); assert(not ok); error(e)");
    CHECK_CONTAINS(err, "cpose.job.dir: no job is running");
    err = run_lua(L, "cpose.job.metric('m', 'high')");
    CHECK_CONTAINS(err, "bad argument #2 to 'metric' (number expected, got string)");
    /* lua_close releases the rest */
    err = run_lua(L, "keep = cpose.YOLO('yolov8n-pose.yaml'); local t = os.tmpname(); keepf = cpose.job.open(t .. '.out'); os.remove(t)");
    CHECK_MSG(err == NULL, "%s", err);
    CHECK(cpose_lua_live_objects() == base + 2);
    lua_close(L);
    CHECK(cpose_lua_live_objects() == base);
}

static void test_run_job_failure(void)
{
    const char *tmp = tl_tmpdir("runjob");
    char script[512], save[512], rec[600], word[600];
    snprintf(script, sizeof script, "%s/fails.lua", tmp);
    snprintf(save, sizeof save, "%s/out", tmp);
    snprintf(word, sizeof word, "save_dir=%s", save);
    write_text(script, "local cpose = require 'cpose'\n"
                       "local function f() return cpose.eval{gt = 'missing-gt.json', pred = 'x.json'} end\n"
                       "f()\n");
    char *words[] = {word};
    int rc = cpose_lua_run_job(script, 1, words);
    CHECK(rc == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "fails.lua:2: cpose.eval: ");
    CHECK_CONTAINS(cpose_errmsg(), "stack traceback");
    CHECK_CONTAINS(cpose_errmsg(), "fails.lua:3: in main chunk");
    snprintf(rec, sizeof rec, "%s/run.json", save);
    cJSON *j = load_json(rec);
    CHECK(j && jstr(j, "status") && strcmp(jstr(j, "status"), "failed") == 0);
    CHECK(j && jstr(j, "error") && strstr(jstr(j, "error"), "missing-gt.json"));
    cJSON_Delete(j);
    CHECK(!cpose_jobrec_active());

    write_text(script, "return {n = 3, list = {1, 2}, nested = {a = {b = true}}, f = print}\n");
    CHECK(cpose_lua_run_job(script, 1, words) == CPOSE_OK);
    j = load_json(rec);
    const cJSON *r = j ? cJSON_GetObjectItem(j, "result") : NULL;
    CHECK(r && cJSON_GetObjectItem(r, "n")->valuedouble == 3);
    CHECK(r && cJSON_GetArraySize(cJSON_GetObjectItem(r, "list")) == 2);
    CHECK(r && cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "nested"), "a"), "b")));
    CHECK(r && jstr(r, "f") && strstr(jstr(r, "f"), "function")); /* not JSON: its tostring */
    cJSON_Delete(j);
}

/* Stand-ins for library functions bound through struct cpose_lua_argfn: they compute from their
 * arguments, so the expected Lua values are known here. */
static int run_good(const struct cpose_args *a, cJSON **result)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *box = cJSON_AddObjectToObject(r, "box");
    cJSON_AddNumberToObject(box, "map", cpose_args_float(a, "conf", 0) * 2);
    cJSON *pose = cJSON_AddObjectToObject(r, "pose");
    double maps[] = {0.25, 0.5};
    cJSON_AddItemToObject(pose, "maps", cJSON_CreateDoubleArray(maps, 2));
    cJSON_AddNumberToObject(r, "images", (double)cpose_args_int(a, "batch", 0));
    cJSON_AddStringToObject(r, "name", cpose_args_str(a, "name"));
    cJSON_AddNullToObject(r, "nothing");
    *result = r;
    return CPOSE_OK;
}

static int run_bad(const struct cpose_args *a, cJSON **result)
{
    *result = cJSON_CreateObject(); /* a partial result: the binding must free it */
    return cpose_err(CPOSE_EIO, "cannot read '%s': No such file or directory", cpose_args_str(a, "data"));
}

static const struct cpose_lua_argfn test_fns[] = {
    {"good", run_good, "-"}, {"bad", run_bad, "-"}, {"later", NULL, "the test part, tests/"}, {NULL, NULL, NULL},
};

static void test_argfn_binding(void)
{
    const char *tmp = tl_tmpdir("argfn");
    char script[512], save[512], rec[600];
    snprintf(script, sizeof script, "%s/s.lua", tmp);
    snprintf(save, sizeof save, "%s/job", tmp);
    snprintf(rec, sizeof rec, "%s/run.json", save);
    write_text(script, "");
    CHECK(cpose_jobrec_begin(script, 0, NULL, save, 1, 0) == CPOSE_OK);

    lua_State *L = cpose_lua_newstate();
    lua_newtable(L);
    cpose_lua_setargfns(L, -1, "t.", test_fns);
    lua_setglobal(L, "t");
    const char *err = run_lua(L,
        "local r = t.good{conf = 0.25, batch = 8, name = 'exp'}\n"
        "assert(r.box.map == 0.5, 'map ' .. tostring(r.box.map))\n"
        "assert(#r.pose.maps == 2 and r.pose.maps[1] == 0.25 and r.pose.maps[2] == 0.5, 'maps')\n"
        "assert(r.images == 8 and math.type(r.images) == 'integer', 'integer')\n"
        "assert(r.name == 'exp' and r.nothing == nil, 'name')\n"
        "assert(t.good().box.map == 0, 'no arguments')\n");
    CHECK_MSG(err == NULL, "%s", err);
    err = run_lua(L, "t.bad{data = 'missing.yaml'}");
    CHECK_CONTAINS(err, "t.bad: cannot read 'missing.yaml': No such file or directory");
    err = run_lua(L, "t.later{conf = 0.5}");
    CHECK_CONTAINS(err, "t.later is not available in this build (needs the test part, tests/)");
    err = run_lua(L, "t.later{confx = 0.5}");
    CHECK_CONTAINS(err, "t.later: 'confx' is not a valid argument; did you mean 'conf'?");
    err = run_lua(L, "t.good{threads = 'two'}");
    CHECK_CONTAINS(err, "threads takes an integer");
    lua_close(L);

    CHECK(cpose_jobrec_end(NULL, NULL, 0) == CPOSE_OK);
    cJSON *j = load_json(rec);
    const cJSON *calls = j ? cJSON_GetObjectItem(j, "calls") : NULL;
    CHECK(cJSON_GetArraySize(calls) == 3); /* good, good, bad: unavailable and refused calls never ran */
    CHECK(jstr(cJSON_GetArrayItem(calls, 0), "name") && strcmp(jstr(cJSON_GetArrayItem(calls, 0), "name"), "t.good") == 0);
    CHECK(jstr(cJSON_GetArrayItem(calls, 0), "status") && strcmp(jstr(cJSON_GetArrayItem(calls, 0), "status"), "ok") == 0);
    CHECK(jstr(cJSON_GetArrayItem(calls, 2), "status") && strcmp(jstr(cJSON_GetArrayItem(calls, 2), "status"), "i/o error") == 0);
    cJSON_Delete(j);
}

int main(void)
{
    test_argfn_binding();
    test_jobrec_record();
    test_jobrec_folder_rule();
    test_lua_args_text();
    test_lua_release();
    test_run_job_failure();
    return tl_finish();
}
