/* eval/val_shard.h — sharded validation (mpirun -np N cpose val): each rank evaluates whole batches
 * and turns every image's result into a record (predictions and labels in original-image pixels, and
 * the predictions.json fields); rank 0 gathers the records of all ranks and replays them in global
 * image order, so the metrics and predictions.json are those of one process, bit for bit. */
#ifndef CPOSE_VAL_SHARD_H
#define CPOSE_VAL_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

/* One image's result, as the metrics and predictions.json take it. Arrays are borrowed. */
struct cpose_val_record {
    int64_t index;        /* the image's place in the dataset's batch order (batch index · batch + i) */
    const char *path;     /* the image file */
    int ori_w, ori_h;
    int n, ng;            /* predictions after NMS, labels */
    int K, kdim;          /* keypoints per instance, values per predicted keypoint (2 or 3) */
    const float *pb, *pc; /* n × 4 boxes (x1 y1 x2 y2), n scores */
    const int *pcl;       /* n classes (model class ids) */
    const float *pk;      /* n × K × 3 keypoints (x, y, conf), or NULL when K = 0 */
    const float *kraw;    /* n × K × kdim keypoints as predictions.json writes them */
    const float *gb;      /* ng × 4 label boxes */
    const int *gcl;       /* ng label classes */
    const float *gk;      /* ng × K × 3 label keypoints, or NULL when K = 0 */
};

/* A growing byte stream of records (8-byte aligned; streams concatenate). */
struct cpose_val_stream {
    unsigned char *bytes;
    size_t len, cap;
};

/* Appends r to s. CPOSE_ENOMEM on allocation failure. */
CPOSE_API int cpose_val_stream_put(struct cpose_val_stream *s, const struct cpose_val_record *r);
CPOSE_API void cpose_val_stream_free(struct cpose_val_stream *s); /* NULL-safe, leaves s empty */

/* Calls fn for every record in bytes[0..len) (one stream or several concatenated), in increasing
 * index. Stops at the first fn error and returns it. A malformed stream is CPOSE_EINVAL naming the
 * offset. Records point into bytes: valid while bytes is. */
CPOSE_API int cpose_val_stream_replay(const void *bytes, size_t len,
                                      int (*fn)(void *ctx, const struct cpose_val_record *r), void *ctx);

#endif
