/* plugins/plugin_calib.h — the calibration pass int8 exporters share (host side; plugins reach it
 * through host->calibrate, cpose_plugin.h): the graph view run forward in float32 over calibration
 * images, recording the min and max of every view value.
 *
 * The images: Ultralytics' rule for int8 exports — the `data=` dataset YAML's val images (the model's
 * train_args data when data= is not given), the first round(fraction · n) of them in sorted order
 * (at least one), each letterboxed to the view's H×W (scale to fit, up or down, INTER_LINEAR, pad 114,
 * centred) and scaled to [0, 1] RGB, as validation feeds the network.
 * The rule for a range: plain min/max of the value over all images (no percentile clipping). */
#ifndef CPOSE_PLUGIN_CALIB_H
#define CPOSE_PLUGIN_CALIB_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/status.h"
#include "plugins/cpose_plugin.h"

/* Runs view v forward on images (n images, each float32 RGB [3, H, W] in [0, 1], H and W the view's),
 * batch by batch at the view's batch size (a short last batch is filled by repeating images), and
 * writes ranges[i] = {min, max} of node i's value over every image. Convolutions run on cpose's
 * oneDNN kernel, every other op on plain loops here. Returns CPOSE_OK or an error naming the node. */
CPOSE_API int cpose_calib_run_view(const struct cpose_view *v, const float *const *images, size_t n,
                                   struct cpose_value_range *ranges);

/* The view's output for one batch (B images, NCHW [B, 3, H, W]): *out malloc'ed with the output
 * node's numel floats. The same interpreter as above; used by tests and by the int8 references. */
CPOSE_API int cpose_calib_forward(const struct cpose_view *v, const float *input, float **out);

/* The calibration image files for an export: data (a dataset YAML; "" → the model's train_args
 * data, train_args_yaml may be NULL), fraction in (0, 1]. *files (cpose_strv_free) and *n. Errors:
 * no data anywhere ("int8=True needs data=..."), an unreadable YAML or split. */
CPOSE_API int cpose_calib_files(const char *data, const char *train_args_yaml, double fraction, char ***files, size_t *n,
                                char **data_used);

/* One calibration image: the file at path letterboxed to H×W (scale to fit, up or down, pad 114,
 * centred) into out as [3, H, W] RGB in [0, 1] (caller-allocated, 3·H·W floats). Errors: an
 * unreadable image (CPOSE_EIO naming the file). */
CPOSE_API int cpose_calib_image(const char *path, int64_t H, int64_t W, float *out);

#endif
