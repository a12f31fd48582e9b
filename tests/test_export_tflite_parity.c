/* tests/test_export_tflite_parity.c — the TFLite exporter on the parity fixture (bncal weights and
 * input, 640×640): fp32 and fp16 files in ArmNN's TfLite parser on CpuRef against cpose's forward
 * (tests/tl_tflite.h): fp32 within 1e-4 on scores and 1e-2 px on coordinates; fp16 within the
 * tolerances measured on this input (README of exporters/). Labelled slow: the reference backend
 * takes minutes at 640. Skips (77) without ../shared/fixtures, pyarmnn or flatc. */
/* cpose-layer: plugins */
#include "core/nn/h5io.h"
#include "tests/tl_tflite.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *wpath = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *ipath = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_plugin_registry *r = tlt_setup("export-tflite-parity");
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
    struct cpose_h5 *f = NULL;
    float *x = NULL;
    int nd = 0;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_open(ipath, &f) == CPOSE_OK);
    if (f) {
        CHECK(cpose_h5_read_f32(f, "input", &x, &nd, d) == CPOSE_OK);
        cpose_h5_close(f);
    }
    CHECK(nd == 4 && d[2] == 640 && d[3] == 640);
    if (m && x && nd == 4) tlt_parity(r, m, x, 640, 640, 3.0, 1.5e-2);  /* fp16 measured: 2.15 px, 9.1e-3 */
    cpose_free(x);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
