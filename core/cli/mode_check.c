/* core/cli/mode_check.c — the `cpose check data=X.yaml` mode: resolves a dataset YAML and verifies
 * every split's images and labels, printing Ultralytics' scan lines and each problem. */
#include <string.h>

#include "core/cli/cli.h"
#include "datasets/dataset.h"
#include "datasets/download.h"
#include "datasets/labels.h"
#include "core/base/log.h"

int cpose_mode_check(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("check", argc, argv, &a)) return 2;
    cpose_cli_apply_threads(&a);
    const char *data = cpose_args_str(&a, "data");
    struct cpose_dataset d;
    int rc = CPOSE_OK, bad = 0;
    if (!*data) {
        cpose_err(CPOSE_EINVAL, "data= is required (a dataset YAML, e.g. data=coco8-pose.yaml)");
        cpose_args_free(&a);
        return cpose_cli_fail("check");
    }
    if ((rc = cpose_dataset_load(data, &d)) != CPOSE_OK) {
        cpose_args_free(&a);
        return cpose_cli_fail("check");
    }
    if ((rc = cpose_dataset_ensure(&d, 1)) != CPOSE_OK) {
        cpose_dataset_free(&d);
        cpose_args_free(&a);
        return cpose_cli_fail("check");
    }
    cpose_info("%s: path %s, %d classes, kpt_shape [%d, %d]", d.yaml_path, d.path, d.nc, d.kpt_shape[0], d.kpt_shape[1]);
    static const char *names[] = {"train", "val", "test"};
    for (int s = 0; s < CPOSE_SPLIT_COUNT; s++) {
        if (!d.n_splits[s]) continue;
        char **files = NULL;
        size_t n = 0;
        if ((rc = cpose_dataset_images(&d, s, &files, &n)) != CPOSE_OK) {
            cpose_cli_fail("check");
            bad = 1;
            continue;
        }
        char prefix[16];
        snprintf(prefix, sizeof prefix, "%s: ", names[s]);
        struct cpose_scan_opts o = {d.nc, d.kpt_shape[0], d.kpt_shape[1], prefix, 1, NULL};
        struct cpose_label_set ls;
        if ((rc = cpose_labels_scan(files, n, &o, &ls)) != CPOSE_OK) {
            cpose_cli_fail("check");
            bad = 1;
        } else {
            if (ls.nc) bad = 1;
            cpose_labels_free(&ls);
        }
        cpose_strv_free(files, n);
    }
    cpose_dataset_free(&d);
    cpose_args_free(&a);
    return bad;
}
