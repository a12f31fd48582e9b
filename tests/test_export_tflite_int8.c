/* tests/test_export_tflite_int8.c — full-integer TFLite and Edge TPU exports of a generated
 * yolov8n-pose.yaml model (seed 0, BN spread) at 160×160, calibrated on 8 `cpose synth` val images:
 *   - format=tflite int8=True data=<yaml>: <stem>_int8.tflite passes the int8 structure check
 *     (tests/helpers/tflite_check.py int8: QUANTIZE/DEQUANTIZE ends, per-channel filters, int32
 *     biases at input × filter scale, LOGISTIC/SOFTMAX at 1/256 and −128, concat inputs requantised)
 *     and runs in ArmNN's TfLite parser on CpuRef; on two val images its output is within the
 *     measured int8 error of cpose's float32 forward (README of exporters/);
 *   - the same model exported with unnormalised coordinates would put scores and pixels in one
 *     int8 tensor: the check that the file's output tensor scale is about 1/255 (values in ~[0, 1])
 *     guards the normalisation the int8 head depends on;
 *   - half=True with int8=True, and a missing data YAML, are refused with messages;
 *   - format=edgetpu without edgetpu_compiler on PATH fails naming the compiler and the written
 *     int8 file (beside the output folder, which is not left behind); with a stand-in compiler on
 *     PATH (a script that checks Ultralytics' arguments and copies its input) the folder holds the
 *     full-integer file, the compiled file with the metadata zip appended, and metadata.yaml.
 * Skips (77) without pyarmnn or flatc. */
/* cpose-layer: plugins */
#include <sys/stat.h>

#include "core/nn/image.h"
#include "datasets/synth.h"
#include "tests/tl_tflite.h"
#include "tests/tl_model.h"

static const int64_t H = 160, W = 160, C = 56, A = 20 * 20 + 10 * 10 + 5 * 5;

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The int8 file against cpose's forward on val image `file`. */
static void against_forward(struct cpose_model *m, const char *tfl, const char *file, double *dc, double *dp)
{
    struct cpose_image img = {0}, lb = {0};
    struct cpose_letterbox info;
    CHECK(cpose_image_read(file, &img) == CPOSE_OK);
    CHECK(cpose_image_letterbox(&img, (int)W, (int)H, 0, 32, 1, &lb, &info) == CPOSE_OK);
    float *x = malloc((size_t)(3 * H * W) * sizeof(float)), *ref = malloc((size_t)(C * A) * sizeof(float));
    cpose_image_to_chw_rgb(&lb, x);
    cpose_image_free(&img), cpose_image_free(&lb);
    CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
    size_t n = 0;
    float *got = tlt_armnn(tfl, x, H, W, &n);
    CHECK_MSG(got && n == (size_t)(C * A), "ArmNN run of %s", tfl);
    *dc = *dp = INFINITY;
    if (got && n == (size_t)(C * A)) tlt_compare(got, ref, C, A, H, W, 1, 3, dc, dp);
    free(got), free(x), free(ref);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct cpose_plugin_registry *r = tlt_setup("export-tflite-int8");
    CHECK_MSG(cpose_plugins_find(r, "edgetpu") != NULL, "no edgetpu plugin");
    char root[700], yaml[800], model_arg[700];
    snprintf(root, sizeof root, "%s/synth", tlt_dir);
    struct cpose_synth_opts so = {root, 1, 8, 160, 5, 1};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    snprintf(yaml, sizeof yaml, "%s/synth-pose.yaml", root);
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", tlt_dir);
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    tl_spread_bn(m);

    /* tflite int8 */
    char *path = NULL;
    const char *keys[4] = {"imgsz", "int8", "data", "project"}, *vals[4] = {"160", "True", yaml, tlt_dir};
    CHECK_MSG(cpose_export_run(r, m, model_arg, "tflite", keys, vals, 3, &path) == CPOSE_OK, "%s", cpose_errmsg());
    char tfl[1200], cmd[4000];
    snprintf(tfl, sizeof tfl, "%s/yolov8n-pose_int8.tflite", path ? path : "?");
    CHECK_MSG(exists(tfl), "no %s", tfl);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/tflite_check.py' int8 '%s/tests/helpers/tflite_excerpt.fbs' "
             "'%s' %lld %lld %lld %lld", tlt_src, tlt_src, tfl, (long long)H, (long long)W, (long long)C, (long long)A);
    CHECK_MSG(system(cmd) == 0, "int8 structure of %s", tfl);
    double dc, dp, dc2, dp2;
    char img[900];
    snprintf(img, sizeof img, "%s/images/val/000000000001.jpg", root);
    against_forward(m, tfl, img, &dc, &dp);
    snprintf(img, sizeof img, "%s/images/val/000000000006.jpg", root);
    against_forward(m, tfl, img, &dc2, &dp2);
    printf("int8 (ArmNN CpuRef) vs cpose float32 forward, 2 val images: max |d| coordinates %.3g / %.3g px, scores and "
           "visibility %.3g / %.3g\n", dc, dc2, dp, dp2);
    CHECK_MSG(fmax(dc, dc2) < 8.0, "int8 coordinates off by %.3g px", fmax(dc, dc2));
    CHECK_MSG(fmax(dp, dp2) < 0.05, "int8 scores off by %.3g", fmax(dp, dp2));
    /* the output tensor holds normalised values: its int8 scale covers about [0, 1], not pixels */
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import sys, tempfile; sys.path.insert(0, '%s/tests/helpers'); "
             "import tflite_check as tc; d = tempfile.mkdtemp(); m = tc.decode('%s/tests/helpers/tflite_excerpt.fbs', '%s', d, "
             "False); t = [x for x in m['subgraphs'][0]['tensors'] if x['name'] == 'output0/int8'][0]; "
             "s = t['quantization']['scale'][0]; print('output0 int8 scale', s); sys.exit(0 if s < 0.02 else 1)\"",
             tlt_src, tlt_src, tfl);
    CHECK_MSG(system(cmd) == 0, "the int8 output's scale is not that of normalised coordinates");
    cpose_free(path), path = NULL;

    /* refusals */
    const char *k2[4] = {"imgsz", "int8", "half", "data"}, *v2[4] = {"160", "True", "True", yaml};
    CHECK(cpose_export_run(r, m, model_arg, "tflite", k2, v2, 4, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "half=True and int8=True");
    v2[2] = "False", v2[3] = "/nonexistent/calib.yaml";
    CHECK(cpose_export_run(r, m, model_arg, "tflite", k2, v2, 4, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/calib.yaml");

    /* edgetpu without the compiler */
    char edge_dir[900], folder[1000], beside[1000];
    snprintf(edge_dir, sizeof edge_dir, "%s/edge", tlt_dir);
    snprintf(folder, sizeof folder, "%s/yolov8n-pose_saved_model", edge_dir);
    snprintf(beside, sizeof beside, "%s/yolov8n-pose_full_integer_quant.tflite", edge_dir);
    char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", "/nonexistent-bin", 1);
    const char *k3[4] = {"imgsz", "data", "fraction", "project"}, *v3[4] = {"160", yaml, "0.5", edge_dir};
    char edge_model[900];
    snprintf(edge_model, sizeof edge_model, "%s/yolov8n-pose.h5", edge_dir);
    CHECK(cpose_mkdirs(edge_dir) == CPOSE_OK);
    CHECK(cpose_export_run(r, m, edge_model, "edgetpu", k3, v3, 3, &path) != CPOSE_OK && !path);
    const char *msg = cpose_errmsg();
    CHECK_CONTAINS(msg, "edgetpu_compiler not found on PATH");
    CHECK_CONTAINS(msg, beside);
    CHECK_MSG(exists(beside), "the int8 file %s was not written", beside);
    CHECK_MSG(!exists(folder), "a failed edgetpu export left %s", folder);
    setenv("PATH", old_path, 1);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/tflite_check.py' int8 '%s/tests/helpers/tflite_excerpt.fbs' "
             "'%s' %lld %lld %lld %lld", tlt_src, tlt_src, beside, (long long)H, (long long)W, (long long)C, (long long)A);
    CHECK_MSG(system(cmd) == 0, "int8 structure of %s", beside);

    /* edgetpu with a stand-in compiler: Ultralytics' arguments, output <name>_edgetpu.tflite in --out_dir */
    char bin[900], script[1000];
    snprintf(bin, sizeof bin, "%s/bin", tlt_dir);
    CHECK(cpose_mkdirs(bin) == CPOSE_OK);
    snprintf(script, sizeof script, "%s/edgetpu_compiler", bin);
    FILE *f = fopen(script, "w");
    if (f) {
        fputs("#!/bin/sh\n[ \"$1 $2 $3 $4 $5\" = \"-s -d -k 10 --out_dir\" ] || { echo \"bad args: $*\" >&2; exit 2; }\n"
              "out=\"$6/$(basename \"$7\" .tflite)_edgetpu.tflite\"\nhead -c 1000 \"$7\" > \"$out\"\n", f);
        fclose(f);
    }
    chmod(script, 0755);
    char newpath[2000];
    snprintf(newpath, sizeof newpath, "%s:%s", bin, old_path);
    setenv("PATH", newpath, 1);
    CHECK_MSG(cpose_export_run(r, m, edge_model, "edgetpu", k3, v3, 3, &path) == CPOSE_OK, "%s", cpose_errmsg());
    setenv("PATH", old_path, 1);
    char full[1200], tpu[1200], meta[1200];
    snprintf(full, sizeof full, "%s/yolov8n-pose_full_integer_quant.tflite", folder);
    snprintf(tpu, sizeof tpu, "%s/yolov8n-pose_full_integer_quant_edgetpu.tflite", folder);
    snprintf(meta, sizeof meta, "%s/metadata.yaml", folder);
    CHECK(exists(full) && exists(tpu) && exists(meta));
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import zipfile, json, sys; z = zipfile.ZipFile('%s'); "
             "m = json.loads(z.read('metadata.json')); d = open('%s', 'rb').read(1000); "
             "sys.exit(0 if m['task'] == 'pose' and m['imgsz'] == [160, 160] and d == open('%s', 'rb').read(1000) else 1)\"",
             tpu, tpu, full);
    CHECK_MSG(system(cmd) == 0, "%s: not the compiler's bytes followed by the metadata zip", tpu);
    free(old_path);
    cpose_free(path);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
