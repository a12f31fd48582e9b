/* exporters/common/zip_write.h — a ZIP writer for the archives PyTorch reads (torch.save's .pt,
 * TorchScript): every member stored (no compression), its data starting at a 64-byte-aligned
 * offset (padding in the local header's extra field, id "FB", filled with 'Z', as PyTorch's own
 * writer does), CRC-32 from zlib, the central directory, and ZIP64 records for members or offsets
 * that do not fit 32 bits (or always, with force_zip64, so tests can read the ZIP64 path).
 *
 * Bytes go to a sink the caller chooses: zip_open_file() writes to a temporary name beside the
 * target and renames it into place on zip_close_file() (removed on failure or zip_abort_file());
 * zip_init() takes any sink (a plugin passes the host's atomic file functions).
 *
 *     struct zip_writer z;
 *     if (zip_open_file(&z, "x.pt", realloc, free)) ... z.error ...
 *     zip_add(&z, "x/data.pkl", pkl, n_pkl);
 *     zip_add(&z, "x/version", "3\n", 2);
 *     if (zip_close_file(&z)) ... z.error ...       // central directory, rename
 *
 * Errors set z->failed and z->error (static text or z->msg); later calls do nothing. */
#ifndef CPOSE_EXPORTERS_ZIP_WRITE_H
#define CPOSE_EXPORTERS_ZIP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZIP_ALIGN 64

/* Writes n bytes; returns 0, or nonzero on failure. */
typedef int (*zip_sink_fn)(void *ctx, const void *data, size_t n);

struct zip_entry {
    char *name;
    uint64_t header_at, size;
    uint32_t crc;
};

struct zip_writer {
    zip_sink_fn sink;
    void *ctx;
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
    uint64_t pos;                 /* bytes written so far */
    struct zip_entry *entries;
    size_t n, cap;
    int force_zip64;              /* 1: ZIP64 records for every member and the end (tests) */
    int failed;
    const char *error;
    char msg[512];                /* error text with a file name, when error points here */
    /* zip_open_file's own sink */
    FILE *fp;
    char *path, *tmp_path;
};

/* Starts an archive written through sink(ctx, ...), using realloc_fn/free_fn for its memory. */
void zip_init(struct zip_writer *z, zip_sink_fn sink, void *ctx, void *(*realloc_fn)(void *, size_t),
              void (*free_fn)(void *));
/* Appends one stored member (name ≤ 65535 bytes), its data 64-byte aligned. Returns 0 or -1. */
int zip_add(struct zip_writer *z, const char *name, const void *data, size_t n);
/* Writes the central directory and the end records. Returns 0 or -1. */
int zip_finish(struct zip_writer *z);
/* Releases the entry table (not the sink). */
void zip_free(struct zip_writer *z);

/* zip_init with a sink writing to a temporary file beside path. Returns 0 or -1 (z->error). */
int zip_open_file(struct zip_writer *z, const char *path, void *(*realloc_fn)(void *, size_t),
                  void (*free_fn)(void *));
/* zip_finish, flush, fsync, rename to the path given to zip_open_file; on any failure the temporary
 * file is removed and the target is left as it was. Frees z. Returns 0 or -1 (z->error). */
int zip_close_file(struct zip_writer *z);
/* Removes the temporary file and frees z (after an error of the caller's own). */
void zip_abort_file(struct zip_writer *z);

#endif
