/* exporters/common/flatbuf.c — the FlatBuffers builder: a byte buffer growing towards its start,
 * alignment padding, vtables written after (below) their tables and shared when identical. */
#include "exporters/common/flatbuf.h"

#include <string.h>

#define FB_LIMIT ((size_t)0x7fffffff)

static void fail(struct fb_builder *b, const char *what)
{
    if (!b->failed) b->error = what;
    b->failed = 1;
}

void fb_init(struct fb_builder *b, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *))
{
    memset(b, 0, sizeof *b);
    b->realloc_fn = realloc_fn;
    b->free_fn = free_fn;
    b->min_align = 1;
}

void fb_free(struct fb_builder *b)
{
    b->free_fn(b->buf);
    b->free_fn(b->vtables);
    b->buf = NULL, b->vtables = NULL;
    b->cap = b->used = b->n_vtables = b->cap_vtables = 0;
}

/* Makes room for n more bytes in front of the data. */
static int reserve(struct fb_builder *b, size_t n)
{
    if (b->failed) return -1;
    if (n > FB_LIMIT || b->used + n > FB_LIMIT) {
        fail(b, "the buffer would pass 2 GiB");
        return -1;
    }
    if (b->used + n <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->used + n) cap *= 2;
    uint8_t *nb = b->realloc_fn(NULL, cap);
    if (!nb) {
        fail(b, "out of memory");
        return -1;
    }
    if (b->used) memcpy(nb + cap - b->used, b->buf + b->cap - b->used, b->used);
    b->free_fn(b->buf);
    b->buf = nb, b->cap = cap;
    return 0;
}

static void push(struct fb_builder *b, const void *data, size_t n)
{
    if (reserve(b, n)) return;
    b->used += n;
    if (data) memcpy(b->buf + b->cap - b->used, data, n);
    else memset(b->buf + b->cap - b->used, 0, n);
}

/* Pads with zeros so that after `extra` more bytes the data size is a multiple of align. */
static void prep(struct fb_builder *b, size_t align, size_t extra)
{
    if (align > b->min_align) b->min_align = align;
    size_t pad = (align - ((b->used + extra) & (align - 1))) & (align - 1);
    if (pad) push(b, NULL, pad);
}

static void push_u32(struct fb_builder *b, uint32_t v) { push(b, &v, 4); }

/* A uoffset to `ref`, written at the (4-aligned) front of the data. */
static void push_offset(struct fb_builder *b, fb_ref ref)
{
    prep(b, 4, 0);
    if (b->failed) return;
    if (ref == 0 || ref > b->used) {
        fail(b, "a reference to an object not built yet");
        return;
    }
    push_u32(b, (uint32_t)(b->used + 4 - ref));
}

static int check_outside_table(struct fb_builder *b)
{
    if (b->in_table) fail(b, "an object built while a table was open");
    return b->failed;
}

fb_ref fb_string(struct fb_builder *b, const char *s)
{
    if (check_outside_table(b)) return 0;
    size_t n = strlen(s);
    prep(b, 4, n + 1);
    push(b, NULL, 1);
    push(b, s, n);
    push_u32(b, (uint32_t)n);
    return b->failed ? 0 : (fb_ref)b->used;
}

fb_ref fb_vector(struct fb_builder *b, const void *data, size_t n, size_t elem_size, size_t align)
{
    if (check_outside_table(b)) return 0;
    if (elem_size && n > FB_LIMIT / elem_size) {
        fail(b, "a vector past 2 GiB");
        return 0;
    }
    size_t bytes = n * elem_size;
    prep(b, 4, bytes);
    prep(b, align < 4 ? 4 : align, bytes);
    push(b, data, bytes);
    push_u32(b, (uint32_t)n);
    return b->failed ? 0 : (fb_ref)b->used;
}

fb_ref fb_vector_refs(struct fb_builder *b, const fb_ref *refs, size_t n)
{
    if (check_outside_table(b)) return 0;
    prep(b, 4, 4 * n);
    for (size_t i = n; i-- > 0;) push_offset(b, refs[i]);
    push_u32(b, (uint32_t)n);
    return b->failed ? 0 : (fb_ref)b->used;
}

void fb_table_start(struct fb_builder *b)
{
    if (check_outside_table(b)) return;
    b->in_table = 1;
    b->table_start = b->used;
    b->n_fields = 0;
    memset(b->field_at, 0, sizeof b->field_at);
}

static int field_ok(struct fb_builder *b, int field)
{
    if (b->failed) return 0;
    if (!b->in_table) fail(b, "a field added outside a table");
    else if (field < 0 || field >= FB_MAX_FIELDS) fail(b, "a field number past FB_MAX_FIELDS");
    else if (b->field_at[field]) fail(b, "a field added twice");
    return !b->failed;
}

static void add_scalar(struct fb_builder *b, int field, const void *v, size_t size)
{
    if (!field_ok(b, field)) return;
    prep(b, size, 0);
    push(b, v, size);
    b->field_at[field] = (uint32_t)b->used;
    if (field + 1 > b->n_fields) b->n_fields = field + 1;
}

void fb_add_u8(struct fb_builder *b, int field, uint8_t v) { add_scalar(b, field, &v, 1); }
void fb_add_i8(struct fb_builder *b, int field, int8_t v) { add_scalar(b, field, &v, 1); }
void fb_add_i16(struct fb_builder *b, int field, int16_t v) { add_scalar(b, field, &v, 2); }
void fb_add_i32(struct fb_builder *b, int field, int32_t v) { add_scalar(b, field, &v, 4); }
void fb_add_u32(struct fb_builder *b, int field, uint32_t v) { add_scalar(b, field, &v, 4); }
void fb_add_i64(struct fb_builder *b, int field, int64_t v) { add_scalar(b, field, &v, 8); }
void fb_add_f32(struct fb_builder *b, int field, float v) { add_scalar(b, field, &v, 4); }

void fb_add_ref(struct fb_builder *b, int field, fb_ref ref)
{
    if (!field_ok(b, field)) return;
    push_offset(b, ref);
    b->field_at[field] = (uint32_t)b->used;
    if (field + 1 > b->n_fields) b->n_fields = field + 1;
}

void fb_add_struct(struct fb_builder *b, int field, const void *data, size_t size, size_t align)
{
    if (!field_ok(b, field)) return;
    prep(b, align, size);
    push(b, data, size);
    b->field_at[field] = (uint32_t)b->used;
    if (field + 1 > b->n_fields) b->n_fields = field + 1;
}

fb_ref fb_table_end(struct fb_builder *b)
{
    if (!b->failed && !b->in_table) fail(b, "fb_table_end without fb_table_start");
    if (b->failed) return 0;
    /* the table starts with an soffset to its vtable, patched below */
    prep(b, 4, 0);
    push_u32(b, 0);
    if (b->failed) return 0;
    uint32_t table = (uint32_t)b->used;
    /* the vtable: its size, the table's size, then each field's offset from the table start */
    uint16_t vt[2 + FB_MAX_FIELDS];
    int nf = b->n_fields;
    vt[0] = (uint16_t)(2 * (2 + nf));
    if (table - b->table_start > 0xffff) {
        fail(b, "a table larger than 64 KiB");
        return 0;
    }
    vt[1] = (uint16_t)(table - b->table_start);
    for (int f = 0; f < nf; f++) vt[2 + f] = (uint16_t)(b->field_at[f] ? table - b->field_at[f] : 0);
    b->in_table = 0;
    /* share an identical vtable written earlier */
    uint32_t vt_at = 0;
    for (size_t i = 0; i < b->n_vtables && !vt_at; i++) {
        const uint8_t *old = b->buf + b->cap - b->vtables[i];
        uint16_t old_size;
        memcpy(&old_size, old, 2);
        if (old_size == vt[0] && !memcmp(old, vt, vt[0])) vt_at = b->vtables[i];
    }
    if (!vt_at) {
        push(b, vt, vt[0]);
        if (b->failed) return 0;
        vt_at = (uint32_t)b->used;
        if (b->n_vtables == b->cap_vtables) {
            size_t cap = b->cap_vtables ? 2 * b->cap_vtables : 64;
            uint32_t *nv = b->realloc_fn(b->vtables, cap * sizeof *nv);
            if (!nv) {
                fail(b, "out of memory");
                return 0;
            }
            b->vtables = nv, b->cap_vtables = cap;
        }
        b->vtables[b->n_vtables++] = vt_at;
    }
    /* the table's soffset: table address − vtable address */
    int32_t soff = (int32_t)((int64_t)vt_at - (int64_t)table);
    memcpy(b->buf + b->cap - table, &soff, 4);
    return table;
}

int fb_finish(struct fb_builder *b, fb_ref root, const char *identifier, uint8_t **out, size_t *len)
{
    *out = NULL, *len = 0;
    if (!b->failed && b->in_table) fail(b, "fb_finish with a table open");
    if (!b->failed) {
        prep(b, b->min_align < 4 ? 4 : b->min_align, identifier ? 8 : 4);
        if (identifier) push(b, identifier, 4);
        push_offset(b, root);
    }
    if (b->failed) return -1;
    uint8_t *r = b->realloc_fn(NULL, b->used);
    if (!r) {
        fail(b, "out of memory");
        return -1;
    }
    memcpy(r, b->buf + b->cap - b->used, b->used);
    *out = r, *len = b->used;
    b->used = 0, b->n_vtables = 0, b->min_align = 1;
    return 0;
}
