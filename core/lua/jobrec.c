/* core/lua/jobrec.c — the process's job record (inputs, outputs, calls, metrics, result) and run.json. */
#include "core/lua/jobrec.h"
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct jobrec {
    char *script, *script_sha, *save_dir, *dir;
    char *first_out_dir;
    double t0;
    time_t wall0;
    int threads;
    long long seed;
    cJSON *argv, *args, *inputs, *outputs, *calls, *metrics, *result;
};

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jobrec *rec;

static void iso_utc(time_t t, char buf[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void rec_free(struct jobrec *r)
{
    if (!r) return;
    cpose_free(r->script);
    cpose_free(r->script_sha);
    cpose_free(r->save_dir);
    cpose_free(r->dir);
    cpose_free(r->first_out_dir);
    cJSON_Delete(r->argv);
    cJSON_Delete(r->args);
    cJSON_Delete(r->inputs);
    cJSON_Delete(r->outputs);
    cJSON_Delete(r->calls);
    cJSON_Delete(r->metrics);
    cJSON_Delete(r->result);
    cpose_free(r);
}

int cpose_jobrec_begin(const char *script, int argc, char **argv, const char *save_dir, int threads, long long seed)
{
    char hex[65];
    if (rec) return cpose_err(CPOSE_EINVAL, "a job record is already active (one job per process)");
    int rc = cpose_sha256_file(script, hex);
    if (rc) return rc;
    struct jobrec *r = cpose_calloc(1, sizeof *r);
    r->script = cpose_strdup(script);
    r->script_sha = cpose_strdup(hex);
    r->save_dir = save_dir && *save_dir ? cpose_strdup(save_dir) : NULL;
    r->t0 = cpose_now();
    r->wall0 = time(NULL);
    r->threads = threads;
    r->seed = seed;
    r->argv = cJSON_CreateArray();
    r->args = cJSON_CreateObject();
    for (int i = 0; i < argc; i++) {
        cJSON_AddItemToArray(r->argv, cJSON_CreateString(argv[i]));
        const char *eq = strchr(argv[i], '=');
        if (eq && eq != argv[i]) {
            char *key = cpose_strndup(argv[i], (size_t)(eq - argv[i]));
            cJSON_DeleteItemFromObjectCaseSensitive(r->args, key);
            cJSON_AddStringToObject(r->args, key, eq + 1);
            cpose_free(key);
        }
    }
    r->inputs = cJSON_CreateArray();
    r->outputs = cJSON_CreateArray();
    r->calls = cJSON_CreateArray();
    r->metrics = cJSON_CreateObject();
    pthread_mutex_lock(&rec_lock);
    rec = r;
    pthread_mutex_unlock(&rec_lock);
    return CPOSE_OK;
}

int cpose_jobrec_active(void) { return rec != NULL; }

static int listed(cJSON *arr, const char *path)
{
    cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "path");
        if (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0) return 1;
    }
    return 0;
}

void cpose_jobrec_input(const char *path)
{
    if (!rec || !path) return;
    pthread_mutex_lock(&rec_lock);
    int seen = !rec || listed(rec->inputs, path);
    pthread_mutex_unlock(&rec_lock);
    if (seen) return;
    /* hash outside the lock: inputs can be large */
    char hex[65];
    char saved[4096];
    snprintf(saved, sizeof saved, "%s", cpose_errmsg()); /* hashing must not clobber a pending message */
    int ok = cpose_path_is_file(path) && cpose_sha256_file(path, hex) == CPOSE_OK;
    cpose_err(CPOSE_OK, "%s", saved);
    pthread_mutex_lock(&rec_lock);
    if (rec && !listed(rec->inputs, path)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        if (ok) cJSON_AddStringToObject(o, "sha256", hex);
        else cJSON_AddNullToObject(o, "sha256");
        cJSON_AddItemToArray(rec->inputs, o);
    }
    pthread_mutex_unlock(&rec_lock);
}

void cpose_jobrec_output(const char *path)
{
    if (!rec || !path) return;
    pthread_mutex_lock(&rec_lock);
    if (rec && !listed(rec->outputs, path)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddItemToArray(rec->outputs, o);
    }
    pthread_mutex_unlock(&rec_lock);
}

void cpose_jobrec_output_dir(const char *dir)
{
    if (!rec || !dir) return;
    pthread_mutex_lock(&rec_lock);
    if (rec && !rec->first_out_dir) rec->first_out_dir = cpose_strdup(dir);
    pthread_mutex_unlock(&rec_lock);
}

void cpose_jobrec_metric(const char *name, double value)
{
    if (!rec || !name) return;
    pthread_mutex_lock(&rec_lock);
    if (rec) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec->metrics, name);
        cJSON_AddNumberToObject(rec->metrics, name, value);
    }
    pthread_mutex_unlock(&rec_lock);
}

int cpose_jobrec_call_begin(const char *name)
{
    if (!rec) return -1;
    pthread_mutex_lock(&rec_lock);
    int token = -1;
    if (rec) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddNumberToObject(o, "start", cpose_now() - rec->t0);
        cJSON_AddItemToArray(rec->calls, o);
        token = cJSON_GetArraySize(rec->calls) - 1;
    }
    pthread_mutex_unlock(&rec_lock);
    return token;
}

void cpose_jobrec_call_end(int token, int status)
{
    if (!rec || token < 0) return;
    pthread_mutex_lock(&rec_lock);
    cJSON *o = rec ? cJSON_GetArrayItem(rec->calls, token) : NULL;
    if (o) {
        double start = cJSON_GetObjectItemCaseSensitive(o, "start")->valuedouble;
        cJSON_AddNumberToObject(o, "seconds", cpose_now() - rec->t0 - start);
        cJSON_AddStringToObject(o, "status", status == CPOSE_OK ? "ok" : cpose_status_name(status));
    }
    pthread_mutex_unlock(&rec_lock);
}

void cpose_jobrec_set_result(cJSON *take_result)
{
    if (!rec) {
        cJSON_Delete(take_result);
        return;
    }
    pthread_mutex_lock(&rec_lock);
    cJSON_Delete(rec->result);
    rec->result = take_result;
    pthread_mutex_unlock(&rec_lock);
}

const char *cpose_jobrec_dir(void)
{
    if (!rec) {
        cpose_err(CPOSE_EINVAL, "no job is running (the job folder exists only under `cpose run`)");
        return NULL;
    }
    pthread_mutex_lock(&rec_lock);
    if (!rec->dir) {
        if (rec->save_dir) {
            if (cpose_mkdirs(rec->save_dir) == CPOSE_OK) rec->dir = cpose_strdup(rec->save_dir);
        } else if (rec->first_out_dir) {
            if (cpose_mkdirs(rec->first_out_dir) == CPOSE_OK) rec->dir = cpose_strdup(rec->first_out_dir);
        } else {
            char *stem = cpose_path_stem(rec->script);
            rec->dir = cpose_increment_run_dir("runs/jobs", stem, 0);
            cpose_free(stem);
        }
    }
    const char *d = rec->dir;
    pthread_mutex_unlock(&rec_lock);
    return d;
}

static cJSON *hashed_outputs(cJSON *outputs)
{
    cJSON *arr = cJSON_CreateArray(), *it;
    cJSON_ArrayForEach(it, outputs)
    {
        const char *path = cJSON_GetObjectItemCaseSensitive(it, "path")->valuestring;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        char hex[65];
        if (cpose_path_is_file(path) && cpose_sha256_file(path, hex) == CPOSE_OK) cJSON_AddStringToObject(o, "sha256", hex);
        else cJSON_AddNullToObject(o, "sha256");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

int cpose_jobrec_end(const char *error, char *out_path, size_t n)
{
    if (out_path && n) out_path[0] = 0;
    if (!rec) return cpose_err(CPOSE_EINVAL, "no job record is active");
    char saved[4096];
    snprintf(saved, sizeof saved, "%s", cpose_errmsg());
    const char *dir = cpose_jobrec_dir();
    struct jobrec *r = rec;
    pthread_mutex_lock(&rec_lock);
    rec = NULL;
    pthread_mutex_unlock(&rec_lock);
    if (!dir) {
        int rc = cpose_err_context(CPOSE_EIO, "cannot create the job folder for run.json");
        rec_free(r);
        return rc;
    }

    cJSON *root = cJSON_CreateObject();
    char t0[32], t1[32], cwd[4096];
    time_t wall1 = time(NULL);
    iso_utc(r->wall0, t0);
    iso_utc(wall1, t1);
    cJSON_AddStringToObject(root, "cpose_version", CPOSE_VERSION);
    cJSON *script = cJSON_AddObjectToObject(root, "script");
    cJSON_AddStringToObject(script, "path", r->script);
    cJSON_AddStringToObject(script, "sha256", r->script_sha);
    if (getcwd(cwd, sizeof cwd)) cJSON_AddStringToObject(root, "cwd", cwd);
    cJSON_AddItemToObject(root, "argv", r->argv);
    cJSON_AddItemToObject(root, "args", r->args);
    r->argv = r->args = NULL;
    cJSON_AddNumberToObject(root, "threads", r->threads);
    cJSON_AddNumberToObject(root, "seed", (double)r->seed);
    cJSON_AddStringToObject(root, "status", error ? "failed" : "ok");
    if (error) cJSON_AddStringToObject(root, "error", error);
    cJSON_AddStringToObject(root, "started", t0);
    cJSON_AddStringToObject(root, "ended", t1);
    cJSON_AddNumberToObject(root, "seconds", cpose_now() - r->t0);
    cJSON_AddNumberToObject(root, "peak_rss_bytes", (double)cpose_peak_rss_bytes());
    cJSON_AddItemToObject(root, "calls", r->calls);
    cJSON_AddItemToObject(root, "inputs", r->inputs);
    cJSON_AddItemToObject(root, "outputs", hashed_outputs(r->outputs));
    cJSON_AddItemToObject(root, "metrics", r->metrics);
    cJSON_AddItemToObject(root, "result", r->result ? r->result : cJSON_CreateNull());
    r->calls = r->inputs = r->metrics = r->result = NULL;

    char *text = cJSON_Print(root);
    char *path = cpose_path_join(dir, "run.json");
    struct cpose_atomic_file f;
    int rc = cpose_atomic_open(&f, path);
    if (rc == CPOSE_OK) {
        if (fputs(text, f.fp) < 0 || fputc('\n', f.fp) < 0) {
            rc = cpose_err(CPOSE_EIO, "write failed on '%s'", path);
            cpose_atomic_abort(&f);
        } else {
            rc = cpose_atomic_commit(&f);
        }
    }
    if (rc == CPOSE_OK) {
        if (out_path && n) snprintf(out_path, n, "%s", path);
        cpose_err(CPOSE_OK, "%s", saved);
    }
    free(text);
    cpose_free(path);
    cJSON_Delete(root);
    rec_free(r);
    return rc;
}
