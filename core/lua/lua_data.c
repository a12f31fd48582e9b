/* core/lua/lua_data.c — the dataset tools in Lua: cpose.convert_coco{}, download{}, extract{}, synth{},
 * dataset{}.
 * One entry per function (core/lua/lua_impl.h: struct cpose_lua_argfn) with a small adapter from the
 * shared argument table to the library call, which also reports what it read and wrote to the
 * job record (core/lua/jobrec.h). */
#include "core/base/alloc.h"
#include "datasets/convert.h"
#include "datasets/dataset.h"
#include "datasets/download.h"
#include "datasets/extract.h"
#include "datasets/synth.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

/* Lists every JSON file in json_dir as a job input (what cpose_convert_coco reads). */
static void record_json_inputs(const char *json_dir)
{
    if (!cpose_jobrec_active()) return;
    char *pattern = cpose_path_join(json_dir, "*.json");
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) cpose_jobrec_input(g.gl_pathv[i]);
    globfree(&g);
    cpose_free(pattern);
}

/* cpose.convert_coco{json_dir, save_dir = "new_dir", use_keypoints, cls91to80, style, exist_ok, strict}
 * → {json, images, lines, skipped, save_dir, yaml (style=ultralytics only)}: the `cpose convert` mode's arguments and
 * defaults; the written dataset YAML is listed as a job output and save_dir as its folder. */
static int run_convert_coco(const struct cpose_args *a, cJSON **result)
{
    struct cpose_convert_opts o = {
        .json_dir = cpose_args_str(a, "json_dir"),
        .save_dir = cpose_args_str(a, "save_dir"),
        .use_keypoints = cpose_args_bool(a, "use_keypoints"),
        .cls91to80 = cpose_args_bool(a, "cls91to80"),
        .exist_ok = cpose_args_bool(a, "exist_ok"),
        .strict = cpose_args_bool(a, "strict"),
    };
    const char *style = cpose_args_str(a, "style");
    if (strcmp(style, "json2yolo") == 0) o.style = CPOSE_CONVERT_JSON2YOLO;
    else if (strcmp(style, "ultralytics") == 0) o.style = CPOSE_CONVERT_ULTRALYTICS;
    else return cpose_err(CPOSE_EINVAL, "style=%s: use style=json2yolo or style=ultralytics", style);
    if (!*o.json_dir) return cpose_err(CPOSE_EINVAL, "json_dir is required: the folder holding the COCO *.json files");
    if (!*o.save_dir) o.save_dir = "new_dir";
    record_json_inputs(o.json_dir);
    struct cpose_convert_stats st;
    int rc = cpose_convert_coco(&o, &st);
    if (rc != CPOSE_OK) return rc;
    /* the dataset YAML: style=ultralytics only (JSON2YOLO writes none) */
    char *yaml = o.style == CPOSE_CONVERT_ULTRALYTICS ? cpose_path_join(o.save_dir, "dataset.yaml") : NULL;
    cpose_jobrec_output_dir(o.save_dir);
    if (yaml) cpose_jobrec_output(yaml);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "json", st.n_json);
    cJSON_AddNumberToObject(r, "images", (double)st.n_images_written);
    cJSON_AddNumberToObject(r, "lines", (double)st.n_lines);
    cJSON_AddNumberToObject(r, "skipped", (double)st.n_skipped);
    cJSON_AddStringToObject(r, "save_dir", o.save_dir);
    if (yaml) cJSON_AddStringToObject(r, "yaml", yaml);
    cpose_free(yaml);
    *result = r;
    return CPOSE_OK;
}

/* cpose.synth{save_dir = "datasets/synth-pose", n_train = 64, n_val = 16, imgsz = 320, seed = 0,
 * exist_ok} → {save_dir, yaml, n_train, n_val}: the `cpose synth` mode's arguments and defaults. save_dir becomes the job's output folder, the YAML an output. */
static int run_synth(const struct cpose_args *a, cJSON **result)
{
    struct cpose_synth_opts o;
    cpose_synth_opts_from_args(a, &o);
    int rc = cpose_synth_generate(&o);
    if (rc != CPOSE_OK) return rc;
    char *yaml = cpose_path_join(o.save_dir, "synth-pose.yaml");
    cpose_jobrec_output_dir(o.save_dir);
    cpose_jobrec_output(yaml);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "save_dir", o.save_dir);
    cJSON_AddStringToObject(r, "yaml", yaml);
    cJSON_AddNumberToObject(r, "n_train", o.n_train);
    cJSON_AddNumberToObject(r, "n_val", o.n_val);
    cpose_free(yaml);
    *result = r;
    return CPOSE_OK;
}

/* cpose.extract{file = ARCHIVE, dir = DEST (default: the archive's folder)} → {file, dir, entries}
 * (zip/tar.*; unsafe entries refused before anything reaches dir). The archive is a job input. */
static int run_extract(const struct cpose_args *a, cJSON **result)
{
    const char *file = cpose_args_str(a, "file");
    if (!*file) return cpose_err(CPOSE_EINVAL, "file= is required (a .zip, .tar, .tar.gz, .tar.xz or .tar.bz2 archive)");
    char *dir = *cpose_args_str(a, "dir") ? cpose_strdup(cpose_args_str(a, "dir")) : cpose_path_dirname(file);
    cpose_jobrec_input(file);
    long n = 0;
    int rc = cpose_extract(file, dir, &n);
    if (rc == CPOSE_OK) {
        cpose_jobrec_output_dir(dir);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "file", file);
        cJSON_AddStringToObject(r, "dir", dir);
        cJSON_AddNumberToObject(r, "entries", (double)n);
        *result = r;
    }
    cpose_free(dir);
    return rc;
}

/* cpose.download{url, dir = ".", file, sha256, size, retries = 3, timeout = 30} → {path}: resumable,
 * retried, verified (datasets/download.h); or cpose.download{data = YAML} runs the dataset YAML's
 * download: entries → {data}. The downloaded file is a job output. */
static int run_download(const struct cpose_args *a, cJSON **result)
{
    const char *url = cpose_args_str(a, "url"), *data = cpose_args_str(a, "data");
    if (!*url && *data) {
        struct cpose_dataset d;
        cpose_jobrec_input(data);
        int rc = cpose_dataset_load(data, &d);
        if (rc != CPOSE_OK) return rc;
        rc = d.n_download ? cpose_dataset_download(&d) : cpose_err(CPOSE_EINVAL, "%s has no download: key", d.yaml_path);
        cpose_dataset_free(&d);
        if (rc != CPOSE_OK) return rc;
        *result = cJSON_CreateObject();
        cJSON_AddStringToObject(*result, "data", data);
        return CPOSE_OK;
    }
    if (!*url) return cpose_err(CPOSE_EINVAL, "url= is required (or data= for a dataset YAML's download: entries)");
    const char *dir = cpose_args_str(a, "dir"), *file = cpose_args_str(a, "file"), *sha = cpose_args_str(a, "sha256");
    struct cpose_download_opts o = {
        .url = url,
        .dir = *dir ? dir : ".",
        .file = *file ? file : NULL,
        .sha256 = *sha ? sha : NULL,
        .size = cpose_args_int(a, "size", -1),
        .retries = (int)cpose_args_int(a, "retries", 3),
        .timeout = cpose_args_float(a, "timeout", 30),
        .backoff = 1.0,
        .quiet = !cpose_args_bool(a, "verbose"),
        .allow_file = 1, /* the job's own URL argument: a local file:// path is the author's choice */
    };
    char *path = NULL;
    int rc = cpose_download(&o, &path);
    if (rc != CPOSE_OK) return rc;
    cpose_jobrec_output(path);
    *result = cJSON_CreateObject();
    cJSON_AddStringToObject(*result, "path", path);
    cpose_free(path);
    return CPOSE_OK;
}

/* cpose.dataset{data = YAML} → {yaml, path, nc, names = {"person", ...} (names[1] is class 0), kpt_shape = {K, D}, flip_idx,
 * train = {entries}, val = {...}, test = {...}}: the dataset YAML resolved with Ultralytics' rules
 * (datasets/dataset.h); each split lists its folders / .txt files as absolute paths (a source for
 * model:predict{}). flip_idx and kpt_shape are absent when the YAML has none. The YAML is a job input. */
static int run_dataset(const struct cpose_args *a, cJSON **result)
{
    const char *data = cpose_args_str(a, "data");
    if (!*data) return cpose_err(CPOSE_EINVAL, "data= is required: a dataset YAML (e.g. coco8-pose.yaml)");
    struct cpose_dataset d;
    int rc = cpose_dataset_load(data, &d);
    if (rc != CPOSE_OK) return rc;
    cpose_jobrec_input(d.yaml_path);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "yaml", d.yaml_path);
    cJSON_AddStringToObject(r, "path", d.path);
    cJSON_AddNumberToObject(r, "nc", d.nc);
    cJSON *names = cJSON_AddArrayToObject(r, "names");
    for (int i = 0; i < d.nc; i++) cJSON_AddItemToArray(names, cJSON_CreateString(d.names[i]));
    if (d.kpt_shape[0]) cJSON_AddItemToObject(r, "kpt_shape", cJSON_CreateIntArray(d.kpt_shape, 2));
    if (d.flip_idx) cJSON_AddItemToObject(r, "flip_idx", cJSON_CreateIntArray(d.flip_idx, d.n_flip_idx));
    static const char *const split_names[CPOSE_SPLIT_COUNT] = {"train", "val", "test"};
    for (int s = 0; s < CPOSE_SPLIT_COUNT; s++) {
        cJSON *list = cJSON_AddArrayToObject(r, split_names[s]);
        for (int i = 0; i < d.n_splits[s]; i++) cJSON_AddItemToArray(list, cJSON_CreateString(d.splits[s][i]));
    }
    cpose_dataset_free(&d);
    *result = r;
    return CPOSE_OK;
}

static const struct cpose_lua_argfn funcs[] = {
    {"convert_coco", run_convert_coco, "the COCO converter, datasets/convert.h"},
    {"download", run_download, "the downloader, datasets/download.h"},
    {"extract", run_extract, "the archive extractor, datasets/extract.h"},
    {"synth", run_synth, "the synthetic dataset generator, datasets/synth.h"},
    {"dataset", run_dataset, "the dataset YAML reader, datasets/dataset.h"},
    {NULL, NULL, NULL},
};

int cpose_lua_open_data(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_setargfns(L, 1, "cpose.", funcs);
    return 0;
}
