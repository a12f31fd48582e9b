/* exporters/common/flatbuf.h — a FlatBuffers builder (binary format of google/flatbuffers, written
 * from the format's description): tables with vtables (identical vtables shared), vectors of
 * scalars or structs with a chosen alignment (TFLite's force_align 16 buffers), vectors of
 * references, strings, inline structs, and a 4-byte file identifier ("TFL3"). Used by the TFLite
 * exporter; shared with any other FlatBuffers format.
 *
 * The buffer is built back to front, as the format requires: children before parents. A child is
 * named by an fb_ref (its distance from the end of the finished buffer), valid for the builder's
 * life. Little-endian host only (x86-64, aarch64): scalars are copied as they are in memory.
 *
 *     struct fb_builder b;
 *     fb_init(&b, realloc, free);
 *     fb_ref name = fb_string(&b, "conv");
 *     fb_table_start(&b);
 *     fb_add_ref(&b, 3, name);          // field 3 (the 4th declared field) is the string
 *     fb_add_i8(&b, 1, 0);              // field 1, a byte
 *     fb_ref t = fb_table_end(&b);
 *     uint8_t *out; size_t n;
 *     if (fb_finish(&b, t, "TFL3", &out, &n) == 0) ... free(out) with the builder's free ...
 *     fb_free(&b);
 *
 * Errors (out of memory, a table not started, a field number ≥ FB_MAX_FIELDS, a vector or buffer
 * past 2 GiB) set b->failed; every later call does nothing and fb_finish returns -1. */
#ifndef CPOSE_EXPORTERS_FLATBUF_H
#define CPOSE_EXPORTERS_FLATBUF_H

#include <stddef.h>
#include <stdint.h>

#define FB_MAX_FIELDS 64

typedef uint32_t fb_ref;  /* an object's distance from the end of the buffer; 0 = none */

struct fb_builder {
    uint8_t *buf;          /* data lives in buf[cap - used, cap) */
    size_t cap, used;
    size_t min_align;      /* the largest alignment asked for: the finished size is a multiple */
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
    int failed;            /* 1 after an error: later calls do nothing, fb_finish fails */
    const char *error;     /* what failed (static text) */
    /* the table being built */
    int in_table;
    size_t table_start;    /* used when fb_table_start was called */
    uint32_t field_at[FB_MAX_FIELDS];  /* used after each field was written; 0 = absent */
    int n_fields;          /* 1 + the highest field number added */
    /* vtables written so far (for sharing) */
    uint32_t *vtables;
    size_t n_vtables, cap_vtables;
};

/* Starts an empty builder using realloc_fn/free_fn for its memory (libc's, or a plugin host's). */
void fb_init(struct fb_builder *b, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *));
/* Releases the builder's memory (not a buffer fb_finish returned). */
void fb_free(struct fb_builder *b);

/* A string (UTF-8, NUL-terminated in the buffer). */
fb_ref fb_string(struct fb_builder *b, const char *s);
/* A vector of n elements of elem_size bytes each (scalars or structs, copied as they are), whose first
 * element is aligned to `align` bytes (a power of two; at least the element's own alignment) in the
 * finished buffer. n = 0 is an empty vector. */
fb_ref fb_vector(struct fb_builder *b, const void *data, size_t n, size_t elem_size, size_t align);
/* A vector of references to tables or strings built earlier. */
fb_ref fb_vector_refs(struct fb_builder *b, const fb_ref *refs, size_t n);

/* Tables: fb_table_start, then fields in any order (each field number once), then fb_table_end.
 * No other object may be built in between (build children first). Field numbers count the schema's
 * fields from 0 in declaration order; a union takes two: its type (a ubyte) then its value. */
void fb_table_start(struct fb_builder *b);
void fb_add_u8(struct fb_builder *b, int field, uint8_t v);
void fb_add_i8(struct fb_builder *b, int field, int8_t v);
void fb_add_i16(struct fb_builder *b, int field, int16_t v);
void fb_add_i32(struct fb_builder *b, int field, int32_t v);
void fb_add_u32(struct fb_builder *b, int field, uint32_t v);
void fb_add_i64(struct fb_builder *b, int field, int64_t v);
void fb_add_f32(struct fb_builder *b, int field, float v);
void fb_add_ref(struct fb_builder *b, int field, fb_ref ref);  /* a table, string or vector */
/* A struct stored inline in the table (size bytes, aligned to align). */
void fb_add_struct(struct fb_builder *b, int field, const void *data, size_t size, size_t align);
fb_ref fb_table_end(struct fb_builder *b);

/* Finishes the buffer with root table `root` and a 4-character identifier (NULL: none). *out is
 * allocated with the builder's realloc_fn (free it with its free_fn); its size *len is a multiple of
 * the largest alignment used. Returns 0, or -1 if anything failed (b->error says what). The builder
 * is left empty and can be reused or freed. */
int fb_finish(struct fb_builder *b, fb_ref root, const char *identifier, uint8_t **out, size_t *len);

#endif
