/* tests/test_plugin_loader.c — the plugin loader and export driver (plugins/plugin_loader.c,
 * plugin_export.c) with the test plugins of tests/plugins/: a good plugin loads and exports; a
 * wrong ABI major, a too-small struct, a missing entry symbol and a second plugin claiming a format
 * are refused, each naming its file (and both version numbers), without stopping the others;
 * arguments a format does not take, bad values and unknown formats are refused by name; a plugin
 * failing half-way leaves nothing at the output path; output names follow Ultralytics. */
/* cpose-layer: plugins */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static const char *problem_with(const struct cpose_plugin_registry *r, const char *needle)
{
    for (int i = 0; i < r->n_problems; i++)
        if (strstr(r->problems[i], needle)) return r->problems[i];
    return NULL;
}

int main(void)
{
    const char *base = getenv("CPOSE_TEST_PLUGINS");
    if (!base) {
        printf("SKIP: CPOSE_TEST_PLUGINS not set (run through ctest)\n");
        return 77;
    }
    char ok_dir[4200], bad_dir[4200];
    snprintf(ok_dir, sizeof ok_dir, "%s/plugins_ok", base);
    snprintf(bad_dir, sizeof bad_dir, "%s/plugins_bad", base);

    /* a good folder: both plugins, no problem */
    const char *p1[1] = {ok_dir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(p1, 1);
    CHECK(r->n == 2 && r->n_problems == 0);
    CHECK(cpose_plugins_find(r, "testfmt") && cpose_plugins_find(r, "otherfmt"));
    CHECK(cpose_plugins_find(r, "nope") == NULL);
    cpose_plugins_free(r);

    /* a bad folder: the good one loads, each bad one is refused naming its file */
    const char *p2[1] = {bad_dir};
    r = cpose_plugins_load_paths(p2, 1);
    for (int i = 0; i < r->n_problems; i++) printf("refused: %s\n", r->problems[i]);
    CHECK(r->n == 1 && r->n_problems == 4);
    CHECK(cpose_plugins_find(r, "testfmt") && strstr(cpose_plugins_find(r, "testfmt")->path, "cpose-export-a_good.so"));
    const char *m = problem_with(r, "cpose-export-b_wrong_abi.so");
    CHECK_MSG(m && strstr(m, "major version 99") && strstr(m, "needs 1"), "%s", m ? m : "(none)");
    m = problem_with(r, "cpose-export-c_small.so");
    char want[64];
    snprintf(want, sizeof want, "at least %zu", sizeof(struct cpose_plugin));
    CHECK_MSG(m && strstr(m, "size 24") && strstr(m, want), "%s", m ? m : "(none)");
    m = problem_with(r, "cpose-export-d_no_entry.so");
    CHECK_MSG(m && strstr(m, "no entry symbol cpose_plugin_entry"), "%s", m ? m : "(none)");
    m = problem_with(r, "cpose-export-e_dup.so");
    CHECK_MSG(m && strstr(m, "'testfmt' is already provided by") && strstr(m, "cpose-export-a_good.so"), "%s", m ? m : "(none)");
    cpose_plugins_free(r);

    /* an earlier folder shadows a later one's format quietly */
    const char *p3[2] = {ok_dir, bad_dir};
    r = cpose_plugins_load_paths(p3, 2);
    CHECK(strstr(cpose_plugins_find(r, "testfmt")->path, "plugins_ok/"));
    CHECK(problem_with(r, "e_dup") == NULL && problem_with(r, "wrong_abi") != NULL);
    cpose_plugins_free(r);

    /* the version rule directly */
    struct cpose_plugin fake = {2, 0, sizeof(struct cpose_plugin), "f", ".f", 0, NULL, NULL, NULL};
    CHECK(cpose_plugin_check(&fake, "x.so") == CPOSE_EABI);
    CHECK_CONTAINS(cpose_errmsg(), "x.so: plugin ABI major version 2, this cpose needs 1");

    /* exports through the good plugin */
    r = cpose_plugins_load_paths(p1, 1);
    struct cpose_model *model = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &model) == CPOSE_OK);
    const char *dir = tl_tmpdir("plugin-loader");
    char *weights = cpose_path_join(dir, "w.h5"), *out = NULL;
    CHECK(cpose_export_run(r, model, weights, "testfmt", NULL, NULL, 0, &out) == CPOSE_OK);
    char *expect = cpose_path_join(dir, "w.test.txt"), *text = NULL;
    size_t len = 0;
    CHECK(out && !strcmp(out, expect));
    CHECK(cpose_read_file(expect, &text, &len) == CPOSE_OK);
    CHECK_MSG(text && !strncmp(text, "testfmt ", 8) && strstr(text, " {0: 'person'} 64\n"), "%s", text ? text : "");
    cpose_free(text), cpose_free(out), out = NULL;
    remove(expect);

    /* an argument the format does not take, a bad value, an unknown format */
    const char *k1[1] = {"half"}, *v1[1] = {"True"};
    CHECK(cpose_export_run(r, model, weights, "testfmt", k1, v1, 1, &out) == CPOSE_EINVAL && !out);
    CHECK_CONTAINS(cpose_errmsg(), "format=testfmt does not take argument 'half' (it takes: imgsz, fail, project, name, exist_ok)");
    const char *k2[1] = {"imgsz"}, *v2[1] = {"big"};
    CHECK(cpose_export_run(r, model, weights, "testfmt", k2, v2, 1, &out) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "imgsz=big is not a valid size");
    CHECK(cpose_export_run(r, model, weights, "nope", NULL, NULL, 0, &out) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "unknown export format 'nope' (found: testfmt, otherfmt;");

    /* a plugin failing half-way: the error comes back with the file, nothing is left */
    const char *k3[1] = {"fail"}, *v3[1] = {"True"};
    CHECK(cpose_export_run(r, model, weights, "testfmt", k3, v3, 1, &out) != CPOSE_OK && !out);
    CHECK_CONTAINS(cpose_errmsg(), "failing on purpose");
    CHECK_CONTAINS(cpose_errmsg(), "cpose-export-good.so");
    CHECK_MSG(count_entries(dir) == 0, "%d files left in %s", count_entries(dir), dir);

    /* a YAML model exports into the run folder project/name; an unwritable folder is refused */
    char *project = cpose_path_join(dir, "runs");
    const char *k4[2] = {"project", "name"}, *v4[2] = {project, "exp"};
    CHECK(cpose_export_run(r, model, "yolov8n-pose.yaml", "testfmt", k4, v4, 2, &out) == CPOSE_OK);
    char *in_run = cpose_asprintf("%s/exp/yolov8n-pose.test.txt", project);
    CHECK_MSG(out && !strcmp(out, in_run), "%s", out ? out : "(null)");
    cpose_free(out), out = NULL;
    const char *v5[2] = {"/proc/cpose-no-such-folder", "exp"};
    CHECK(cpose_export_run(r, model, "yolov8n-pose.yaml", "testfmt", k4, v5, 2, &out) != CPOSE_OK && !out);
    CHECK_CONTAINS(cpose_errmsg(), "/proc/cpose-no-such-folder");

    cpose_free(in_run), cpose_free(project), cpose_free(expect), cpose_free(weights);
    cpose_model_free(model);
    cpose_plugins_free(r);
    return tl_finish();
}
