/* core/cli/mode_convert.c — the `cpose convert` mode: COCO keypoint JSON folder → YOLO pose labels. */
#include <string.h>

#include "core/cli/cli.h"
#include "datasets/convert.h"
#include "core/base/log.h"

int cpose_mode_convert(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("convert", argc, argv, &a)) return 2;
    cpose_cli_apply_threads(&a);
    struct cpose_convert_opts o = {
        .json_dir = cpose_args_str(&a, "json_dir"),
        .save_dir = cpose_args_str(&a, "save_dir"),
        .use_keypoints = cpose_args_bool(&a, "use_keypoints"),
        .cls91to80 = cpose_args_bool(&a, "cls91to80"),
        .exist_ok = cpose_args_bool(&a, "exist_ok"),
    };
    const char *style = cpose_args_str(&a, "style");
    int rc;
    if (strcmp(style, "json2yolo") == 0) o.style = CPOSE_CONVERT_JSON2YOLO;
    else if (strcmp(style, "ultralytics") == 0) o.style = CPOSE_CONVERT_ULTRALYTICS;
    else {
        cpose_err(CPOSE_EINVAL, "style=%s: use style=json2yolo or style=ultralytics", style);
        cpose_args_free(&a);
        return cpose_cli_fail("convert");
    }
    if (!*o.save_dir) o.save_dir = "new_dir";
    struct cpose_convert_stats st;
    double t0 = cpose_now();
    rc = cpose_convert_coco(&o, &st);
    if (rc != CPOSE_OK) {
        cpose_args_free(&a);
        return cpose_cli_fail("convert");
    }
    cpose_info("convert: %d JSON file(s), %lld label files, %lld rows in %.2f s → %s (dataset YAML: %s/dataset.yaml)",
               st.n_json, st.n_images_written, st.n_lines, cpose_now() - t0, o.save_dir, o.save_dir);
    cpose_args_free(&a);
    return 0;
}
