/* core/cli/mode_download.c — the `cpose download` mode: one URL (url= dir= file= sha256= size=
 * retries= timeout=), or a dataset YAML's download: entries (data=). */
#include <stdio.h>
#include <stdlib.h>

#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "datasets/dataset.h"
#include "datasets/download.h"
#include "core/base/log.h"

int cpose_mode_download(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("download", argc, argv, &a)) return 2;
    int rc;
    if (*cpose_args_str(&a, "data") && !*cpose_args_str(&a, "url")) {
        struct cpose_dataset d;
        rc = cpose_dataset_load(cpose_args_str(&a, "data"), &d);
        if (rc == CPOSE_OK) {
            rc = d.n_download ? cpose_dataset_download(&d)
                              : cpose_err(CPOSE_EINVAL, "%s has no download: key", d.yaml_path);
            cpose_dataset_free(&d);
        }
    } else {
        struct cpose_download_opts o = {
            .url = cpose_args_str(&a, "url"),
            .dir = cpose_args_str(&a, "dir"),
            .file = cpose_args_str(&a, "file"),
            .sha256 = cpose_args_str(&a, "sha256"),
            .size = cpose_args_int(&a, "size", -1),
            .retries = (int)cpose_args_int(&a, "retries", 3),
            .timeout = cpose_args_float(&a, "timeout", 30),
            .backoff = 1.0,
        };
        const char *b = getenv("CPOSE_DOWNLOAD_BACKOFF"); /* tests shorten the retry delay */
        if (b && *b) o.backoff = atof(b);
        char *path = NULL;
        rc = cpose_download(&o, &path);
        if (rc == CPOSE_OK) printf("%s\n", path);
        cpose_free(path);
    }
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("download") : 0;
}
