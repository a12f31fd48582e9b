/* core/base/fsutil.h — file-system helpers: paths, directories, whole-file reads, atomic writes,
 * sha256, bundled-config lookup and Ultralytics' run-directory numbering. */
#ifndef CPOSE_FSUTIL_H
#define CPOSE_FSUTIL_H

#include <stddef.h>
#include <stdio.h>
#include "core/base/status.h"

/* "a" + "b" → "a/b" (no doubled slash); caller frees. */
CPOSE_API char *cpose_path_join(const char *a, const char *b);
/* Directory part of a path ("." when none); caller frees. */
CPOSE_API char *cpose_path_dirname(const char *path);
/* Pointer to the last component inside path (not allocated). */
CPOSE_API const char *cpose_path_basename(const char *path);
/* File name without directory and last extension ("a/b/c.jpg" → "c"); caller frees. */
CPOSE_API char *cpose_path_stem(const char *path);
/* Pointer to the extension including the dot, or "" (not allocated). */
CPOSE_API const char *cpose_path_ext(const char *path);
CPOSE_API int cpose_path_is_dir(const char *path);
CPOSE_API int cpose_path_is_file(const char *path);

/* mkdir -p. Returns CPOSE_OK or CPOSE_EIO with the failing directory in the message. */
CPOSE_API int cpose_mkdirs(const char *path);
/* rm -rf (used only on folders cpose created, e.g. temporary extraction folders). */
CPOSE_API int cpose_remove_tree(const char *path);
/* Removes path when it holds no file at any depth (only folders, or nothing): a run folder that a
 * failed run created but never wrote into. Returns 1 when removed, 0 otherwise; NULL-safe. */
CPOSE_API int cpose_remove_dir_if_no_files(const char *path);
/* Bytes of a file, or of every file under a folder (symlinks not followed); -1 when path is absent. */
CPOSE_API double cpose_path_tree_bytes(const char *path);

/* Reads a whole file into a NUL-terminated cpose_malloc'ed buffer. */
CPOSE_API int cpose_read_file(const char *path, char **out, size_t *len);

/* Atomic writes: open "<path>.tmp.<pid>", write, then commit (fflush + fsync + rename) or abort
 * (close + unlink). A crash never leaves a half-written file at path. */
struct cpose_atomic_file {
    FILE *fp;
    char *path, *tmp_path;
};
CPOSE_API int cpose_atomic_open(struct cpose_atomic_file *f, const char *path);
CPOSE_API int cpose_atomic_commit(struct cpose_atomic_file *f);
CPOSE_API void cpose_atomic_abort(struct cpose_atomic_file *f);
/* Writes len bytes to path atomically. */
CPOSE_API int cpose_write_file_atomic(const char *path, const void *data, size_t len);

/* Lowercase hex sha256 of a file (65 bytes incl. NUL) or of a buffer. */
CPOSE_API int cpose_sha256_file(const char *path, char hex[65]);
CPOSE_API void cpose_sha256_buf(const void *data, size_t len, char hex[65]);

/* Finds a bundled file by name (e.g. "yolov8n-pose.yaml" → .../cfg/models/v8/yolov8-pose.yaml is
 * NOT done here; that mapping is the model builder's). Looks at `name` as given, then in
 * $CPOSE_CFG_DIR, the source tree's core/cfg (and its sub-folders models/, datasets/), and the
 * install's share/cpose/cfg. Returns a new string or NULL. */
CPOSE_API char *cpose_find_bundled(const char *name);

/* Ultralytics' run directories: project/name, then name2, name3, ... unless exist_ok. Creates the
 * directory; returns the path (caller frees) or NULL with a message. */
CPOSE_API char *cpose_increment_run_dir(const char *project, const char *name, int exist_ok);

#endif
