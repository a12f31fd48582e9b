/* core/cli/export_probe.h — what cpose can do with an exported model: its size on disk, whether a
 * reader of cpose's loads it back (model= on the exported path), and how far its forward is from the
 * source model's on one input. Shared by `cpose benchmark` and the Lua module (cpose.export_probe). */
#ifndef CPOSE_EXPORT_PROBE_H
#define CPOSE_EXPORT_PROBE_H

#include <stdint.h>

#include "core/base/status.h"

struct cpose_model;

/* Bytes of a file, or of every file under a folder (MB = 1e6 bytes as Ultralytics' file_size); -1 if absent. */
CPOSE_API double cpose_path_size_mb(const char *path);

struct cpose_export_probe {
    int status;        /* CPOSE_OK: read back and ran; CPOSE_ENOTSUP: no reader for this format;
                        * another status: the reader or the forward failed (msg says why) */
    double max_delta;  /* max |exported − source| over the whole prediction (CPOSE_OK only) */
    char msg[512];
};

/* Loads `path` with cpose's readers and, when src is non-NULL, runs both models on one synthetic
 * image [1,3,H,W] (a fixed pattern in [0,1]) and records the largest difference. Never fails as
 * a whole: the outcome is in *p (returns p->status). */
CPOSE_API int cpose_export_probe(struct cpose_model *src, const char *path, int64_t H, int64_t W,
                                 struct cpose_export_probe *p);

#endif
