/* core/nn/h5io_impl.h — internals shared by core/nn/h5io.c and core/nn/h5io_guard.c: the content seal of
 * cpose's own HDF5 files and the crash-isolating probe of foreign ones, and the size limits. */
#ifndef CPOSE_H5IO_IMPL_H
#define CPOSE_H5IO_IMPL_H

#include "core/nn/h5io.h"

/* Bytes reserved at the start of every file cpose writes (an HDF5 user block): the seal. */
#define CPOSE_H5_USERBLOCK 512
/* The largest dataset or attribute cpose reads into memory, in bytes (weights are < 1 GB). */
#define CPOSE_H5_MAX_BYTES ((uint64_t)4 << 30)
/* Exit status of the probe child when a sanitizer caught a memory error inside libhdf5. */
#define CPOSE_H5_PROBE_SANITIZER_EXIT 86

/* Writes the seal (SHA-256 and length of everything after the user block) into a closed file
 * created by cpose_h5_create. Errors name the file. */
int cpose_h5_seal(const char *tmp_path);
/* Checks the seal before libhdf5 touches the file: *sealed = 0 for a file without one (not
 * written by cpose, or written before seals existed); CPOSE_EINVAL naming the file when the seal
 * is present and the content does not match it. */
int cpose_h5_verify_seal(const char *path, int *sealed);
/* Walks the whole file with libhdf5 in a forked child; a crash, sanitizer report or hang there is
 * CPOSE_EINVAL naming the file, and the calling process never ran libhdf5 on it. A hang is a child
 * still reading after 30 s (env CPOSE_H5_PROBE_SECONDS: another base) plus 1 s per 50 MB. */
int cpose_h5_probe(const char *path);

#endif
