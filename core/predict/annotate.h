/* core/predict/annotate.h — drawing predict results on an image the way Ultralytics' Results.plot()
 * does for pose: boxes with "name 0.87" labels, keypoints and the COCO-17 skeleton. */
#ifndef CPOSE_ANNOTATE_H
#define CPOSE_ANNOTATE_H

#include <stdint.h>
#include "core/nn/image.h"
#include "core/predict/predict.h"
#include "core/base/status.h"

/* COCO-17 skeleton as 1-based keypoint pairs (Ultralytics' Annotator.skeleton), 19 limbs. */
CPOSE_API extern const int cpose_coco_skeleton[19][2];
/* Ultralytics' pose palette (20 colours, used as OpenCV BGR triples as Ultralytics does) and the
 * palette index of each keypoint (17) and each limb (19). */
CPOSE_API extern const uint8_t cpose_pose_palette[20][3];
CPOSE_API extern const int cpose_kpt_color_idx[17];
CPOSE_API extern const int cpose_limb_color_idx[19];
/* Ultralytics' 20-colour class palette: class c → BGR of hex palette[c % 20]. */
CPOSE_API void cpose_class_color(int cls, uint8_t bgr[3]);

struct cpose_annotate_opts {
    int line_width;   /* 0 = Ultralytics' default max(round((h + w + 3) / 2 · 0.003), 2) */
    int show_boxes, show_labels, show_conf;
    int kpt_radius;   /* 5 */
    double kpt_conf;  /* keypoints (and limbs touching them) with conf < this are not drawn: 0.5 */
};
CPOSE_API void cpose_annotate_opts_default(struct cpose_annotate_opts *o);

/* Line width Ultralytics' Annotator picks for a w×h image when none is given. */
CPOSE_API int cpose_annotate_line_width(int w, int h);

/* Draws r on img (BGR, r's original image) in place: boxes in reverse detection order with
 * labels `names[cls] conf` (class id when names is NULL), then keypoints (circles, filled,
 * radius kpt_radius) and, for 17-keypoint results, skeleton limbs of thickness 2. Points on the
 * image border (x or y a multiple of the size, e.g. clipped to 0) are not drawn. Cannot fail. */
CPOSE_API void cpose_annotate_result(struct cpose_image *img, const struct cpose_pred_result *r,
                                     char *const *names, int n_names, const struct cpose_annotate_opts *o);

#endif
