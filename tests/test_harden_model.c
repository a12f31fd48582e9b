/* tests/test_harden_model.c — hostile model YAMLs and sizes (issue 11, items 3, 4, 15): stride 0, a
 * depth multiple of 1000, negative nc/width/repeats/channels, width x100, nc 0, width 0 and a
 * bilinear nn.Upsample are refused with a message naming the value; a forward whose activations do
 * not fit the machine's memory is an error naming both figures. Variants are made from the bundled
 * yolov8-pose.yaml by text edits. */
/* cpose-layer: nn */
#define _GNU_SOURCE
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "tests/testlib.h"

#include <stdint.h>
#include <string.h>

static char *base_yaml;
static const char *dir;

/* Loads the bundled YAML with `from` replaced by `to`; returns cpose_model_load's status. */
static int load_variant(const char *from, const char *to)
{
    const char *at = strstr(base_yaml, from);
    CHECK_MSG(at != NULL, "'%s' not in the YAML", from);
    if (!at) return 0;
    char *text = cpose_asprintf("%.*s%s%s", (int)(at - base_yaml), base_yaml, to, at + strlen(from));
    char *sub = cpose_asprintf("%s/v", dir), *path = cpose_asprintf("%s/v/yolov8n-pose.yaml", dir);
    cpose_mkdirs(sub);
    cpose_write_file_atomic(path, text, strlen(text));
    struct cpose_model *m = NULL;
    int rc = cpose_model_load(path, NULL, &m);
    cpose_model_free(m);
    cpose_free(text), cpose_free(sub), cpose_free(path);
    return rc;
}

#define REFUSED(from, to, needle)                                                               \
    do {                                                                                         \
        int rc_ = load_variant(from, to);                                                        \
        CHECK_MSG(rc_ == CPOSE_EINVAL || rc_ == CPOSE_ENOMEM, "%s -> %s loaded (rc %d)", from, to, rc_); \
        CHECK_CONTAINS(cpose_errmsg(), needle);                                                  \
    } while (0)

int main(void)
{
    dir = tl_tmpdir("harden-model");
    char *yaml_path = cpose_asprintf("%s/core/cfg/models/yolov8-pose.yaml",
                                     getenv("CPOSE_SOURCE_DIR") ? getenv("CPOSE_SOURCE_DIR") : CPOSE_SOURCE_DIR);
    size_t n = 0;
    CHECK(cpose_read_file(yaml_path, &base_yaml, &n) == CPOSE_OK);
    if (!base_yaml) return tl_finish();
    /* the unedited file builds (the variants below differ from it by one value) */
    CHECK_MSG(load_variant("nc: 1", "nc: 1") == CPOSE_OK, "%s", cpose_errmsg());
    REFUSED("[64, 3, 2]] # 0", "[64, 3, 0]] # 0", "layer 0 (Conv): stride 0 must be 1 to 8");
    REFUSED("n: [0.33, 0.25, 1024]", "n: [1000, 0.25, 1024]", "depth multiple 1000");
    REFUSED("nc: 1", "nc: -1", "'nc: -1': the number of classes must be 1 to");
    REFUSED("nc: 1", "nc: 0", "'nc: 0'");
    REFUSED("n: [0.33, 0.25, 1024]", "n: [0.33, -0.25, 1024]", "width multiple -0.25");
    REFUSED("n: [0.33, 0.25, 1024]", "n: [0.33, 0, 1024]", "width multiple 0 must");
    REFUSED("n: [0.33, 0.25, 1024]", "n: [0.33, 25, 1024]", "width multiple 25 must");
    REFUSED("n: [0.33, 0.25, 1024]", "n: [0.33, 10, 1024]", "x width multiple 10 = 10240 channels; must be 1 to 8192");
    REFUSED("[-1, 3, C2f, [128, True]]", "[-1, -3, C2f, [128, True]]", "layer 2 (C2f): repeats -3");
    REFUSED("[64, 3, 2]] # 0", "[-64, 3, 2]] # 0", "layer 0 (Conv): output channels -64");
    REFUSED("[64, 3, 2]] # 0", "[64, -3, 2]] # 0", "kernel size -3");
    REFUSED("[None, 2, \"nearest\"]] # 10", "[None, 2, \"bilinear\"]] # 10", "nn.Upsample mode 'bilinear' is not supported");

    /* a forward whose activations exceed the memory: refused before allocating, both figures named */
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 1, &m) == CPOSE_OK);
    if (m) {
        int64_t H = 640, W = 640;
        float *x = cpose_calloc(3 * H * W, sizeof(float));
        float *out = cpose_calloc((size_t)(cpose_model_get_info(m)->n_outputs + 65) * cpose_model_num_anchors(m, H, W) + 65536,
                                  sizeof(float));
        setenv("CPOSE_MEM_LIMIT", "2000000", 1);
        CHECK(cpose_model_predict(m, x, 1, H, W, out) == CPOSE_ENOMEM);
        CHECK_CONTAINS(cpose_errmsg(), "a forward pass on input [1, 3, 640, 640] needs about");
        CHECK_CONTAINS(cpose_errmsg(), "this machine has 0.002 GB available");
        unsetenv("CPOSE_MEM_LIMIT");
        CHECK_MSG(cpose_model_predict(m, x, 1, H, W, out) == CPOSE_OK, "%s", cpose_errmsg());
        cpose_free(x), cpose_free(out);
    }
    cpose_model_free(m);
    cpose_free(base_yaml), cpose_free(yaml_path);
    cpose_remove_tree(dir);
    return tl_finish();
}
