/* core/nn/export_meta.h — metadata.yaml of the folder export formats (ncnn, OpenVINO, ...) read
 * back for the importers: each key Ultralytics' AutoBackend uses (description, stride, task, batch,
 * imgsz, names, kpt_shape) as the Python-literal text ONNX metadata_props carry ("{0: 'person'}",
 * "[640, 640]"), so the readers hand it to the ONNX-level import unchanged. */
#ifndef CPOSE_EXPORT_META_H
#define CPOSE_EXPORT_META_H

#include "core/base/status.h"

#define CPOSE_EXPORT_META_MAX 8

struct cpose_export_meta {
    int n;
    char *key[CPOSE_EXPORT_META_MAX];    /* owned */
    char *value[CPOSE_EXPORT_META_MAX];  /* owned, Python-literal text */
};

/* Reads path (a metadata.yaml). A missing file is not an error (meta->n = 0: the model gets
 * defaults); a file that is not YAML, or a key of the wrong shape (names not a mapping of ids,
 * imgsz not two integers), is an error naming the file, line and key. */
int cpose_export_meta_read(const char *path, struct cpose_export_meta *meta);
void cpose_export_meta_clear(struct cpose_export_meta *meta);

#endif
