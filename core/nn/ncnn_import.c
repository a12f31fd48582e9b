/* core/nn/ncnn_import.c — ncnn .param/.bin → checked layer list → ONNX nodes → cpose's ONNX import
 * (contract in core/nn/ncnn_import.h). */
#include "core/nn/ncnn_import.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/export_meta.h"
#include "core/nn/onnx_restate.h"

#define NCNN_MAX_PARAMS 32  /* ncnn's NCNN_MAX_PARAM_COUNT */
#define NCNN_MAX_BLOBS 16

/* One `k=v` value: an int, a float, or an array (ncnn stores both kinds; we keep both readings). */
struct pval {
    int set, is_array, is_float;
    int i;
    float f;
    int n;
    float *af;  /* owned: array values as floats */
    int *ai;    /* owned: array values as ints */
};

/* A blob's shape, outermost first, without the batch axis: [c, h, w], [h, w] or [w]. */
struct shape {
    int rank;
    int64_t d[3];
};

struct layer {
    char type[32], name[256];
    int line;
    int n_in, n_out;
    int in[NCNN_MAX_BLOBS], out[NCNN_MAX_BLOBS];  /* blob ids */
    struct pval p[NCNN_MAX_PARAMS];
    float *weight, *bias;  /* owned: Convolution (weights as float), MemoryData (weight only) */
    int64_t n_weight;
};

struct blob {
    char *name;    /* owned */
    int producer;  /* layer index */
    int consumer;  /* layer index or -1 */
    struct shape s;
    char *onnx;    /* the ONNX value name (a Split output aliases its input) — borrowed */
};

struct reader {
    const char *param_path, *bin_path;
    struct layer *layers;
    int n_layers;
    struct blob *blobs;
    int n_blobs, cap_blobs, want_blobs;
};

static const char *const KNOWN[] = {"Input", "Convolution", "Swish", "Sigmoid", "BinaryOp", "Concat", "Crop",
                                    "Pooling", "Interp", "Reshape", "Permute", "Softmax", "MemoryData", "Split", NULL};

static int lerr(const struct reader *r, const struct layer *l, int rc, const char *what)
{
    return cpose_err(rc, "%s:%d: layer '%s' (%s): %s", r->param_path, l->line, l->name, l->type, what);
}
#define LERR(rc, ...)                                                                                              \
    do {                                                                                                           \
        char *m_ = cpose_asprintf(__VA_ARGS__);                                                                    \
        int r_ = lerr(r, l, (rc), m_);                                                                             \
        cpose_free(m_);                                                                                            \
        return r_;                                                                                                 \
    } while (0)

static int pint(const struct layer *l, int k, int def) { return l->p[k].set ? (l->p[k].is_float ? (int)l->p[k].f : l->p[k].i) : def; }
static float pfloat(const struct layer *l, int k, float def)
{
    return l->p[k].set ? (l->p[k].is_float ? l->p[k].f : (float)l->p[k].i) : def;
}

static int find_blob(const struct reader *r, const char *name)
{
    for (int b = 0; b < r->n_blobs; b++)
        if (!strcmp(r->blobs[b].name, name)) return b;
    return -1;
}

/* ---- the .param text ---------------------------------------------------------------------------- */

/* Next whitespace-separated token of the line at *p into tok (cap bytes); 0 at the line's end. */
static int next_tok(const char **p, char *tok, size_t cap)
{
    while (**p == ' ' || **p == '\t' || **p == '\r') (*p)++;
    if (!**p || **p == '\n') return 0;
    size_t n = 0;
    while (**p && !isspace((unsigned char)**p)) {
        if (n + 1 < cap) tok[n++] = **p;
        (*p)++;
    }
    tok[n] = 0;
    return 1;
}

/* A number as ncnn reads it: a float when the text has '.', 'e' or 'E', else an int. */
static int parse_num(const char *s, int *is_float, int *iv, float *fv)
{
    char *end;
    *is_float = strpbrk(s, ".eE") != NULL;
    errno = 0;
    if (*is_float) *fv = strtof(s, &end);
    else {
        long v = strtol(s, &end, 10);
        *iv = (int)v;
        *fv = (float)v;
        if (v != (long)*iv) errno = ERANGE;
    }
    return end != s && !*end && !errno;
}

static int parse_param_kv(const struct reader *r, struct layer *l, const char *tok)
{
    const char *eq = strchr(tok, '=');
    char *end;
    long key = eq ? strtol(tok, &end, 10) : 0;
    if (!eq || end != eq) LERR(CPOSE_EINVAL, "'%s' is not a k=v param", tok);
    int is_array = key <= -23300;
    int id = is_array ? (int)(-key - 23300) : (int)key;
    if (id < 0 || id >= NCNN_MAX_PARAMS) LERR(CPOSE_EINVAL, "param id %ld out of ncnn's range 0..%d", key, NCNN_MAX_PARAMS - 1);
    struct pval *v = &l->p[id];
    if (v->set) LERR(CPOSE_EINVAL, "param %d given twice", id);
    v->set = 1, v->is_array = is_array;
    if (!is_array) {
        if (!parse_num(eq + 1, &v->is_float, &v->i, &v->f))
            LERR(CPOSE_EINVAL, "param %d = '%s' is not a number (floats need a '.' or an exponent)", id, eq + 1);
        return CPOSE_OK;
    }
    /* "n,v1,v2,..." */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", eq + 1);
    char *save = NULL, *t = strtok_r(buf, ",", &save);
    int n = 0, isf = 0;
    float fv;
    if (!t || !parse_num(t, &isf, &n, &fv) || isf || n < 0 || n > 64)
        LERR(CPOSE_EINVAL, "array param %d = '%s': expected a count then that many values", id, eq + 1);
    v->n = n;
    v->af = cpose_calloc(n ? n : 1, sizeof(float));
    v->ai = cpose_calloc(n ? n : 1, sizeof(int));
    for (int k = 0; k < n; k++) {
        t = strtok_r(NULL, ",", &save);
        if (!t || !parse_num(t, &isf, &v->ai[k], &v->af[k]))
            LERR(CPOSE_EINVAL, "array param %d = '%s': %d values announced, value %d missing or not a number", id, eq + 1,
                 n, k + 1);
        if (isf) v->ai[k] = (int)v->af[k], v->is_float = 1;
    }
    if (strtok_r(NULL, ",", &save)) LERR(CPOSE_EINVAL, "array param %d = '%s': more values than its count %d", id, eq + 1, n);
    return CPOSE_OK;
}

static int add_blob(struct reader *r, const char *name, int producer)
{
    if (r->n_blobs == r->cap_blobs) {
        r->cap_blobs = r->cap_blobs ? 2 * r->cap_blobs : 256;
        r->blobs = cpose_realloc(r->blobs, r->cap_blobs * sizeof *r->blobs);
    }
    struct blob *b = &r->blobs[r->n_blobs];
    memset(b, 0, sizeof *b);
    b->name = cpose_strdup(name), b->producer = producer, b->consumer = -1, b->onnx = b->name;
    return r->n_blobs++;
}

static int parse_param(struct reader *r, const char *text)
{
    const char *p = text;
    int line = 1;
    char tok[1100];
    long magic = 0, nl = -1, nb = -1;
    if (next_tok(&p, tok, sizeof tok)) magic = strtol(tok, NULL, 10);
    if (magic != 7767517)
        return cpose_err(CPOSE_EINVAL, "%s:1: not an ncnn param file (the first line must be the magic 7767517)",
                         r->param_path);
    p = strchr(p, '\n');
    line = 2;
    if (p) p++;
    if (!p || !next_tok(&p, tok, sizeof tok) || (nl = strtol(tok, NULL, 10)) < 1 || !next_tok(&p, tok, sizeof tok) ||
        (nb = strtol(tok, NULL, 10)) < 1)
        return cpose_err(CPOSE_EINVAL, "%s:2: expected '<layer_count> <blob_count>'", r->param_path);
    r->want_blobs = (int)nb;
    r->layers = cpose_calloc(nl, sizeof *r->layers);
    p = strchr(p, '\n');
    while (p && *p) {
        p++, line++;
        const char *ls = p;
        if (!next_tok(&p, tok, sizeof tok)) {
            p = strchr(ls, '\n');
            continue;  /* blank line */
        }
        if (r->n_layers == nl)
            return cpose_err(CPOSE_EINVAL, "%s:%d: more layers than the %ld line 2 declares", r->param_path, line, nl);
        struct layer *l = &r->layers[r->n_layers++];
        l->line = line;
        snprintf(l->type, sizeof l->type, "%s", tok);
        int ok = next_tok(&p, l->name, sizeof l->name);
        char a[32], b[32];
        ok = ok && next_tok(&p, a, sizeof a) && next_tok(&p, b, sizeof b);
        l->n_in = ok ? atoi(a) : -1, l->n_out = ok ? atoi(b) : -1;
        if (!ok || l->n_in < 0 || l->n_out < 1 || l->n_in > NCNN_MAX_BLOBS || l->n_out > NCNN_MAX_BLOBS)
            return cpose_err(CPOSE_EINVAL, "%s:%d: expected 'Type name n_in n_out blobs... k=v...'", r->param_path, line);
        int known = 0;
        for (int k = 0; KNOWN[k] && !known; k++) known = !strcmp(KNOWN[k], l->type);
        if (!known) LERR(CPOSE_ENOTSUP, "unknown layer type (ncnn cannot create it; this reader knows the YOLOv8-pose set)");
        for (int k = 0; k < l->n_in; k++) {
            if (!next_tok(&p, tok, sizeof tok)) LERR(CPOSE_EINVAL, "%d input blobs announced, %d given", l->n_in, k);
            int bi = find_blob(r, tok);
            if (bi < 0) LERR(CPOSE_EINVAL, "input blob '%s' is not produced by an earlier layer", tok);
            if (r->blobs[bi].consumer >= 0)
                LERR(CPOSE_EINVAL, "blob '%s' is already consumed by layer '%s' (line %d): ncnn lets a blob be consumed "
                     "once; fan-out needs a Split layer", tok, r->layers[r->blobs[bi].consumer].name,
                     r->layers[r->blobs[bi].consumer].line);
            r->blobs[bi].consumer = r->n_layers - 1;
            l->in[k] = bi;
        }
        for (int k = 0; k < l->n_out; k++) {
            if (!next_tok(&p, tok, sizeof tok)) LERR(CPOSE_EINVAL, "%d output blobs announced, %d given", l->n_out, k);
            if (find_blob(r, tok) >= 0) LERR(CPOSE_EINVAL, "output blob '%s' is produced twice (blob names are unique)", tok);
            l->out[k] = add_blob(r, tok, r->n_layers - 1);
        }
        while (next_tok(&p, tok, sizeof tok)) {
            int rc = parse_param_kv(r, l, tok);
            if (rc) return rc;
        }
        p = strchr(p, '\n');
    }
    if (r->n_layers != nl)
        return cpose_err(CPOSE_EINVAL, "%s: line 2 declares %ld layers, the file has %d", r->param_path, nl, r->n_layers);
    if (r->n_blobs != nb)
        return cpose_err(CPOSE_EINVAL, "%s: line 2 declares %ld blobs, the layers produce %d", r->param_path, nb, r->n_blobs);
    return CPOSE_OK;
}

/* ---- weights and shapes ------------------------------------------------------------------------- */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
    if (e == 0) {
        if (!m) bits = sign;
        else {  /* subnormal: normalise */
            e = 127 - 15 + 1;
            while (!(m & 1024)) m <<= 1, e--;
            bits = sign | (e << 23) | ((m & 1023) << 13);
        }
    } else if (e == 31) bits = sign | 0x7f800000u | (m << 13);
    else bits = sign | ((e + 127 - 15) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

struct bin {
    const uint8_t *p;
    size_t len, off;
};

static int take_f32(const struct reader *r, const struct layer *l, struct bin *b, int64_t n, float **out, const char *what)
{
    if (n < 0 || (uint64_t)n * 4 > b->len - b->off)
        LERR(CPOSE_EINVAL, "%s: %lld floats at offset %zu run past the end of %s (%zu bytes)", what, (long long)n, b->off,
             r->bin_path, b->len);
    *out = cpose_malloc((size_t)(n ? n : 1) * sizeof(float));
    memcpy(*out, b->p + b->off, (size_t)n * 4);
    b->off += (size_t)n * 4;
    return CPOSE_OK;
}

static int64_t numel(const struct shape *s)
{
    int64_t n = 1;
    for (int k = 0; k < s->rank; k++) n *= s->d[k];
    return n;
}

/* Shape of blob b as "[c, h, w]" for messages. */
static const char *shape_str(const struct shape *s, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < s->rank; k++) n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? ", " : "", (long long)s->d[k]);
    snprintf(buf + n, cap - n, "]");
    return buf;
}

/* Normalises an ncnn axis for a rank; -1 when out of range. */
static int norm_axis(int a, int rank) { return a < 0 ? (a + rank >= 0 ? a + rank : -1) : a < rank ? a : -1; }

static int window(int64_t in, int k, int s, int dil, int p0, int p1) { return (int)((in + p0 + p1 - dil * (k - 1) - 1) / s + 1); }

/* A float param written as an int: ncnn's parser stores it as an int, and the layer reading it as a
 * float would get the int's bits, so ncnn's converters always write a '.'. */
static int need_float(const struct reader *r, const struct layer *l, int k)
{
    if (!l->p[k].set || l->p[k].is_float || l->p[k].is_array) return CPOSE_OK;
    LERR(CPOSE_EINVAL, "param %d=%d is a float param written without a '.' (ncnn would read it as an int; write %d.0)", k,
         l->p[k].i, l->p[k].i);
}

/* Reads layer l's weights from b and infers its output shapes. */
static int check_layer(struct reader *r, struct layer *l, struct bin *b)
{
    struct shape *in0 = l->n_in ? &r->blobs[l->in[0]].s : NULL, o;
    char sb[80], sc[80];
    memset(&o, 0, sizeof o);
    int rc = CPOSE_OK;
    int want_in = -1;  /* -1: any number ≥ 1 */
    if (!strcmp(l->type, "Input") || !strcmp(l->type, "MemoryData")) want_in = 0;
    else if (strcmp(l->type, "BinaryOp") && strcmp(l->type, "Concat")) want_in = 1;
    if (want_in >= 0 && l->n_in != want_in) LERR(CPOSE_EINVAL, "%d input blobs, this layer takes %d", l->n_in, want_in);
    if (want_in < 0 && l->n_in < 1) LERR(CPOSE_EINVAL, "no input blob");
    if (strcmp(l->type, "Split") && l->n_out != 1) LERR(CPOSE_EINVAL, "%d output blobs, this layer gives 1", l->n_out);
    if (!strcmp(l->type, "Input") || !strcmp(l->type, "MemoryData")) {
        int w = pint(l, 0, 0), h = pint(l, 1, 0), c = pint(l, 2, 0);
        if (w < 1 || (l->p[2].set && h < 1) || c < 0 || (c && !h)) LERR(CPOSE_EINVAL, "dims 0=w 1=h 2=c must be positive");
        o.rank = c ? 3 : h ? 2 : 1;
        int64_t dd[3] = {c, h, w};
        for (int k = 0; k < o.rank; k++) o.d[k] = dd[3 - o.rank + k];
        if (!strcmp(l->type, "MemoryData")) {
            l->n_weight = numel(&o);
            if ((rc = take_f32(r, l, b, l->n_weight, &l->weight, "data"))) return rc;
        }
    } else if (!strcmp(l->type, "Convolution")) {
        int cout = pint(l, 0, 0), kw = pint(l, 1, 0), kh = pint(l, 11, kw), dw = pint(l, 2, 1), dh = pint(l, 12, dw);
        int sw = pint(l, 3, 1), sh = pint(l, 13, sw), pl = pint(l, 4, 0), pr = pint(l, 15, pl), pt = pint(l, 14, pl);
        int pb = pint(l, 16, pt), bias = pint(l, 5, 0), wsize = pint(l, 6, 0);
        if (pint(l, 8, 0)) LERR(CPOSE_ENOTSUP, "int8 convolution (8=int8_scale_term) is not supported");
        if (pint(l, 9, 0)) LERR(CPOSE_ENOTSUP, "fused activation 9=%d: cpose reads the activation as its own layer", pint(l, 9, 0));
        if (pl < 0 || pt < 0) LERR(CPOSE_ENOTSUP, "SAME padding (negative pad) is not supported");
        if (cout < 1 || kw < 1 || kh < 1 || sw < 1 || sh < 1 || dw < 1 || dh < 1 || wsize < 1)
            LERR(CPOSE_EINVAL, "num_output, kernel, stride, dilation and weight_data_size must be positive");
        if (in0->rank != 3) LERR(CPOSE_ESHAPE, "input %s is not a 3-D (c, h, w) blob", shape_str(in0, sb, sizeof sb));
        if (wsize != (int64_t)cout * in0->d[0] * kw * kh)
            LERR(CPOSE_ESHAPE, "6=weight_data_size %d is not num_output %d x input channels %lld x kernel %dx%d", wsize, cout,
                 (long long)in0->d[0], kh, kw);
        if (b->len - b->off < 4) LERR(CPOSE_EINVAL, "the weight's storage flag runs past the end of %s", r->bin_path);
        uint32_t flag;
        memcpy(&flag, b->p + b->off, 4);
        b->off += 4;
        l->n_weight = wsize;
        if (flag == 0) {
            if ((rc = take_f32(r, l, b, wsize, &l->weight, "weight"))) return rc;
        } else if (flag == 0x01306B47u) {
            size_t bytes = ((size_t)wsize * 2 + 3) / 4 * 4;
            if (bytes > b->len - b->off) LERR(CPOSE_EINVAL, "fp16 weight runs past the end of %s", r->bin_path);
            l->weight = cpose_malloc((size_t)wsize * sizeof(float));
            for (int k = 0; k < wsize; k++) {
                uint16_t hv;
                memcpy(&hv, b->p + b->off + 2 * (size_t)k, 2);
                l->weight[k] = half_to_float(hv);
            }
            b->off += bytes;
        } else {
            LERR(CPOSE_ENOTSUP, "weight storage flag 0x%08x at offset %zu of %s (0 = fp32 and 0x01306B47 = fp16 are read; "
                 "0x000D4B38 int8 is not)", flag, b->off - 4, r->bin_path);
        }
        if (bias && (rc = take_f32(r, l, b, cout, &l->bias, "bias"))) return rc;
        o.rank = 3;
        o.d[0] = cout, o.d[1] = window(in0->d[1], kh, sh, dh, pt, pb), o.d[2] = window(in0->d[2], kw, sw, dw, pl, pr);
        if (o.d[1] < 1 || o.d[2] < 1) LERR(CPOSE_ESHAPE, "the window does not fit input %s", shape_str(in0, sb, sizeof sb));
    } else if (!strcmp(l->type, "Swish") || !strcmp(l->type, "Sigmoid") || !strcmp(l->type, "Softmax")) {
        o = *in0;
        if (!strcmp(l->type, "Softmax") && norm_axis(pint(l, 0, 0), in0->rank) < 0)
            LERR(CPOSE_ESHAPE, "axis %d outside a %d-D blob", pint(l, 0, 0), in0->rank);
    } else if (!strcmp(l->type, "Split")) {
        for (int k = 0; k < l->n_out; k++) r->blobs[l->out[k]].s = *in0, r->blobs[l->out[k]].onnx = r->blobs[l->in[0]].onnx;
        return CPOSE_OK;
    } else if (!strcmp(l->type, "BinaryOp")) {
        int op = pint(l, 0, 0), ws = pint(l, 1, 0);
        if ((rc = need_float(r, l, 2))) return rc;
        if (!((op >= 0 && op <= 3) || op == 7 || op == 8))
            LERR(CPOSE_ENOTSUP, "op_type %d (read: 0 add, 1 sub, 2 mul, 3 div, 7 rsub, 8 rdiv)", op);
        if (l->n_in != (ws ? 1 : 2)) LERR(CPOSE_EINVAL, "%d inputs with with_scalar=%d", l->n_in, ws);
        if (!ws && (op == 7 || op == 8)) LERR(CPOSE_ENOTSUP, "reversed op_type %d on two blobs", op);
        o = *in0;
        if (!ws) {  /* numpy broadcasting over the outermost-first dims */
            const struct shape *s1 = &r->blobs[l->in[1]].s;
            o.rank = in0->rank > s1->rank ? in0->rank : s1->rank;
            for (int k = 0; k < o.rank; k++) {
                int i0 = k - (o.rank - in0->rank), i1 = k - (o.rank - s1->rank);
                int64_t a = i0 >= 0 ? in0->d[i0] : 1, c = i1 >= 0 ? s1->d[i1] : 1;
                if (a != c && a != 1 && c != 1)
                    LERR(CPOSE_ESHAPE, "inputs %s and %s do not broadcast", shape_str(in0, sb, sizeof sb),
                         shape_str(s1, sc, sizeof sc));
                o.d[k] = a > c ? a : c;
            }
        }
    } else if (!strcmp(l->type, "Concat")) {
        int ax = norm_axis(pint(l, 0, 0), in0->rank);
        if (ax < 0) LERR(CPOSE_ESHAPE, "axis %d outside a %d-D blob", pint(l, 0, 0), in0->rank);
        o = *in0;
        for (int k = 1; k < l->n_in; k++) {
            const struct shape *s = &r->blobs[l->in[k]].s;
            int same = s->rank == o.rank;
            for (int q = 0; q < o.rank && same; q++) same = q == ax || s->d[q] == o.d[q];
            if (!same) LERR(CPOSE_ESHAPE, "input %d %s does not match input 0 %s off axis %d", k, shape_str(s, sb, sizeof sb),
                            shape_str(in0, sc, sizeof sc), ax);
            o.d[ax] += s->d[ax];
        }
    } else if (!strcmp(l->type, "Crop")) {
        const struct pval *st = &l->p[9], *en = &l->p[10], *ax = &l->p[11];
        if (!st->set || !en->set || st->n != en->n || (ax->set && ax->n != st->n) || st->n < 1)
            LERR(CPOSE_ENOTSUP, "only numpy-style crops are read (9=starts 10=ends 11=axes arrays of one length)");
        o = *in0;
        for (int k = 0; k < st->n; k++) {
            int a = norm_axis(ax->set ? ax->ai[k] : k, in0->rank);
            if (a < 0) LERR(CPOSE_ESHAPE, "axis outside a %d-D blob", in0->rank);
            int64_t s = st->ai[k], e = en->ai[k], n = in0->d[a];
            if (s < 0) s += n;
            if (e < 0) e += n;
            s = s < 0 ? 0 : s > n ? n : s, e = e < 0 ? 0 : e > n ? n : e;
            if (e <= s) LERR(CPOSE_ESHAPE, "empty range on axis %d of %s", a, shape_str(in0, sb, sizeof sb));
            o.d[a] = e - s;
        }
    } else if (!strcmp(l->type, "Pooling")) {
        int kw = pint(l, 1, 0), kh = pint(l, 11, kw), sw = pint(l, 2, 1), sh = pint(l, 12, sw), pl = pint(l, 3, 0);
        int pr = pint(l, 14, pl), pt = pint(l, 13, pl), pb = pint(l, 15, pt);
        if (pint(l, 0, 0) != 0 || pint(l, 4, 0)) LERR(CPOSE_ENOTSUP, "only max pooling over a window is read");
        if (pint(l, 5, 0) != 1) LERR(CPOSE_ENOTSUP, "pad_mode %d (5=1, valid/floor, is read)", pint(l, 5, 0));
        if (kw < 1 || kh < 1 || sw < 1 || sh < 1) LERR(CPOSE_EINVAL, "kernel and stride must be positive");
        if (in0->rank != 3) LERR(CPOSE_ESHAPE, "input is not 3-D");
        o = *in0;
        o.d[1] = window(in0->d[1], kh, sh, 1, pt, pb), o.d[2] = window(in0->d[2], kw, sw, 1, pl, pr);
    } else if (!strcmp(l->type, "Interp")) {
        float fh = pfloat(l, 1, 1.f), fw = pfloat(l, 2, 1.f);
        if ((rc = need_float(r, l, 1)) || (rc = need_float(r, l, 2))) return rc;
        if (pint(l, 0, 0) != 1) LERR(CPOSE_ENOTSUP, "resize_type %d (1 = nearest is read)", pint(l, 0, 0));
        if (pint(l, 3, 0) || pint(l, 4, 0)) LERR(CPOSE_ENOTSUP, "a fixed output size (3=, 4=) instead of scales");
        if (in0->rank != 3 || fh < 1 || fw < 1) LERR(CPOSE_ESHAPE, "needs a 3-D input and scales ≥ 1");
        o = *in0;
        o.d[1] = (int64_t)(in0->d[1] * fh), o.d[2] = (int64_t)(in0->d[2] * fw);
    } else if (!strcmp(l->type, "Reshape")) {
        if (l->p[11].set) LERR(CPOSE_ENOTSUP, "4-D (11=d) reshapes are not read");
        int w = pint(l, 0, -233), h = pint(l, 1, -233), c = pint(l, 2, -233);
        o.rank = c != -233 ? 3 : h != -233 ? 2 : w != -233 ? 1 : 0;
        if (!o.rank || (o.rank == 3 && h == -233)) LERR(CPOSE_EINVAL, "no target dims");
        int v[3] = {c, h, w}, infer = -1;
        int64_t known = 1;
        for (int k = 0; k < o.rank; k++) {
            int t = v[3 - o.rank + k], src = k - (o.rank - in0->rank);
            if (t == 0) {
                if (src < 0) LERR(CPOSE_ESHAPE, "0 (keep) on a dim the input does not have");
                o.d[k] = in0->d[src];
            } else if (t == -1) {
                if (infer >= 0) LERR(CPOSE_EINVAL, "two -1 dims");
                infer = k;
                continue;
            } else if (t < 1) LERR(CPOSE_EINVAL, "dim %d", t);
            else o.d[k] = t;
            known *= o.d[k];
        }
        if (infer >= 0) o.d[infer] = known ? numel(in0) / known : 0;
        if (numel(&o) != numel(in0))
            LERR(CPOSE_ESHAPE, "%s holds %lld values, the target %s %lld", shape_str(in0, sb, sizeof sb), (long long)numel(in0),
                 shape_str(&o, sc, sizeof sc), (long long)numel(&o));
    } else if (!strcmp(l->type, "Permute")) {
        int t = pint(l, 0, 0);
        o = *in0;
        if (in0->rank == 2 && (t == 0 || t == 1)) {
            if (t == 1) o.d[0] = in0->d[1], o.d[1] = in0->d[0];
        } else if (in0->rank == 3 && t >= 0 && t <= 5) {
            /* output (w, h, c) from input axes (0 = w, 1 = h, 2 = c) */
            static const int table[6][3] = {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}};
            for (int k = 0; k < 3; k++) o.d[2 - k] = in0->d[2 - table[t][k]];
        } else {
            LERR(CPOSE_ENOTSUP, "order_type %d on a %d-D blob", t, in0->rank);
        }
    }
    r->blobs[l->out[0]].s = o;
    return CPOSE_OK;
}

/* Restates layer l as ONNX nodes. */
static int to_onnx(struct reader *r, struct layer *l, struct cpose_onnx_restate *o)
{
    const char *ins[NCNN_MAX_BLOBS];
    for (int k = 0; k < l->n_in; k++) ins[k] = r->blobs[l->in[k]].onnx;
    const char *out = r->blobs[l->out[0]].onnx;
    const struct shape *s0 = l->n_in ? &r->blobs[l->in[0]].s : NULL, *so = &r->blobs[l->out[0]].s;
    char nm[300];
    if (!strcmp(l->type, "Input") || !strcmp(l->type, "Split")) return CPOSE_OK;
    if (!strcmp(l->type, "MemoryData")) {
        int64_t d[4] = {1, so->d[0], so->d[1], so->d[2]};
        snprintf(nm, sizeof nm, "%s", out);
        orst_init(o, nm, d, so->rank + 1, l->weight, NULL);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Convolution")) {
        int cout = pint(l, 0, 0), kw = pint(l, 1, 0), kh = pint(l, 11, kw), dw = pint(l, 2, 1), dh = pint(l, 12, dw);
        int sw = pint(l, 3, 1), sh = pint(l, 13, sw), pl = pint(l, 4, 0), pr = pint(l, 15, pl), pt = pint(l, 14, pl);
        int pb = pint(l, 16, pt);
        const char *cin[3] = {ins[0], NULL, NULL};
        int64_t wd[4] = {cout, s0->d[0], kh, kw};
        snprintf(nm, sizeof nm, "%s.weight", l->name);
        cin[1] = orst_init(o, nm, wd, 4, l->weight, NULL);
        if (l->bias) {
            int64_t bd = cout;
            snprintf(nm, sizeof nm, "%s.bias", l->name);
            cin[2] = orst_init(o, nm, &bd, 1, l->bias, NULL);
        }
        Onnx__NodeProto *n = orst_node(o, "Conv", l->name, cin, l->bias ? 3 : 2, out);
        const int64_t ks[2] = {kh, kw}, st[2] = {sh, sw}, dl[2] = {dh, dw}, pd[4] = {pt, pl, pb, pr};
        orst_attr_ints(o, n, "kernel_shape", ks, 2), orst_attr_ints(o, n, "strides", st, 2);
        orst_attr_ints(o, n, "dilations", dl, 2), orst_attr_ints(o, n, "pads", pd, 4);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Swish")) {
        snprintf(nm, sizeof nm, "%s__sigmoid", out);
        orst_node(o, "Sigmoid", l->name, ins, 1, nm);
        const char *m2[2] = {ins[0], nm};
        orst_node(o, "Mul", l->name, m2, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Sigmoid")) {
        orst_node(o, "Sigmoid", l->name, ins, 1, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Softmax")) {
        Onnx__NodeProto *n = orst_node(o, "Softmax", l->name, ins, 1, out);
        orst_attr_int(o, n, "axis", norm_axis(pint(l, 0, 0), s0->rank) + 1);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "BinaryOp")) {
        static const char *const ops[9] = {"Add", "Sub", "Mul", "Div", NULL, NULL, NULL, "Sub", "Div"};
        int op = pint(l, 0, 0);
        const char *two[2] = {ins[0], l->n_in > 1 ? ins[1] : NULL};
        if (pint(l, 1, 0)) {
            float bv = pfloat(l, 2, 0.f);
            int64_t one = 1;
            snprintf(nm, sizeof nm, "%s.b", l->name);
            const char *c = orst_init(o, nm, &one, 1, &bv, NULL);
            if (op >= 7) two[0] = c, two[1] = ins[0];
            else two[1] = c;
        }
        orst_node(o, ops[op], l->name, two, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Concat")) {
        Onnx__NodeProto *n = orst_node(o, "Concat", l->name, ins, l->n_in, out);
        orst_attr_int(o, n, "axis", norm_axis(pint(l, 0, 0), s0->rank) + 1);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Crop")) {
        int n = l->p[9].n;
        int64_t st[8], en[8], ax[8];
        for (int k = 0; k < n && k < 8; k++)
            st[k] = l->p[9].ai[k], en[k] = l->p[10].ai[k],
            ax[k] = norm_axis(l->p[11].set ? l->p[11].ai[k] : k, s0->rank) + 1;
        const char *si[4] = {ins[0], orst_ints(o, l->name, "starts", st, n), orst_ints(o, l->name, "ends", en, n),
                             orst_ints(o, l->name, "axes", ax, n)};
        orst_node(o, "Slice", l->name, si, 4, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Pooling")) {
        int kw = pint(l, 1, 0), kh = pint(l, 11, kw), sw = pint(l, 2, 1), sh = pint(l, 12, sw), pl = pint(l, 3, 0);
        int pr = pint(l, 14, pl), pt = pint(l, 13, pl), pb = pint(l, 15, pt);
        Onnx__NodeProto *n = orst_node(o, "MaxPool", l->name, ins, 1, out);
        const int64_t ks[2] = {kh, kw}, st[2] = {sh, sw}, pd[4] = {pt, pl, pb, pr};
        orst_attr_ints(o, n, "kernel_shape", ks, 2), orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "pads", pd, 4);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Interp")) {
        float sc[4] = {1, 1, pfloat(l, 1, 1.f), pfloat(l, 2, 1.f)};
        int64_t four = 4;
        snprintf(nm, sizeof nm, "%s.scales", l->name);
        const char *ri[3] = {ins[0], "", orst_init(o, nm, &four, 1, sc, NULL)};
        Onnx__NodeProto *n = orst_node(o, "Resize", l->name, ri, 3, out);
        orst_attr_str(o, n, "mode", "nearest");
        orst_attr_str(o, n, "coordinate_transformation_mode", "asymmetric");
        orst_attr_str(o, n, "nearest_mode", "floor");
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Reshape")) {
        int64_t d[4] = {1, so->d[0], so->d[1], so->d[2]};
        const char *ri[2] = {ins[0], orst_ints(o, l->name, "shape", d, so->rank + 1)};
        orst_node(o, "Reshape", l->name, ri, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Permute")) {
        int t = pint(l, 0, 0);
        int64_t perm[4] = {0, 1, 2, 3};
        if (s0->rank == 2) perm[1] = t ? 2 : 1, perm[2] = t ? 1 : 2;
        else {
            static const int table[6][3] = {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}};
            /* ncnn letter q (0 = w, 1 = h, 2 = c) is ONNX axis 3 − q */
            for (int k = 0; k < 3; k++) perm[3 - k] = 3 - table[t][k];
        }
        Onnx__NodeProto *n = orst_node(o, "Transpose", l->name, ins, 1, out);
        orst_attr_ints(o, n, "perm", perm, s0->rank + 1);
        return CPOSE_OK;
    }
    return lerr(r, l, CPOSE_ENOTSUP, "no ONNX restatement");
}

/* ---- the whole read ------------------------------------------------------------------------------- */

static int read_model(struct reader *r, const char *dir, struct cpose_model **out)
{
    char *text = NULL, *binbuf = NULL;
    size_t tlen = 0, blen = 0;
    int rc = cpose_read_file(r->param_path, &text, &tlen);
    if (rc) return rc;
    rc = parse_param(r, text);
    cpose_free(text);
    if (rc) return rc;
    if ((rc = cpose_read_file(r->bin_path, &binbuf, &blen))) return rc;
    struct bin b = {(const uint8_t *)binbuf, blen, 0};
    int input = -1;
    for (int i = 0; i < r->n_layers && !rc; i++) {
        rc = check_layer(r, &r->layers[i], &b);
        if (!rc && !strcmp(r->layers[i].type, "Input")) {
            if (input >= 0) rc = lerr(r, &r->layers[i], CPOSE_ENOTSUP, "a second Input (cpose reads one image input)");
            input = i;
        }
    }
    cpose_free(binbuf);
    if (rc) return rc;
    if (b.off != blen)
        return cpose_err(CPOSE_EINVAL, "%s: the layers use %zu bytes, the file has %zu (weights and param do not match)",
                         r->bin_path, b.off, blen);
    if (input < 0) return cpose_err(CPOSE_EINVAL, "%s: no Input layer", r->param_path);
    const struct shape *is = &r->blobs[r->layers[input].out[0]].s;
    if (is->rank != 3 || is->d[0] != 3)
        return cpose_err(CPOSE_ESHAPE, "%s:%d: the Input must be an image (0=w 1=h 2=3)", r->param_path, r->layers[input].line);
    int ob = find_blob(r, "out0");
    if (ob < 0) return cpose_err(CPOSE_EINVAL, "%s: no blob 'out0' (Ultralytics' ncnn export names its output out0)", r->param_path);
    if (r->blobs[ob].consumer >= 0)
        return cpose_err(CPOSE_EINVAL, "%s: 'out0' is consumed by layer '%s': it must be the output", r->param_path,
                         r->layers[r->blobs[ob].consumer].name);
    /* the ONNX restatement */
    struct cpose_onnx_restate o;
    orst_init_restate(&o);
    for (int i = 0; i < r->n_layers && !rc; i++) rc = to_onnx(r, &r->layers[i], &o);
    struct cpose_export_meta meta = {0};
    char *mpath = cpose_path_join(dir, "metadata.yaml");
    if (!rc) rc = cpose_export_meta_read(mpath, &meta);
    cpose_free(mpath);
    if (!rc) {
        const struct shape *os = &r->blobs[ob].s;
        int64_t idims[4] = {1, is->d[0], is->d[1], is->d[2]}, odims[4] = {1, os->d[0], os->d[1], os->d[2]};
        rc = orst_import(&o, r->param_path, r->blobs[r->layers[input].out[0]].onnx, idims, 4, r->blobs[ob].onnx, odims,
                         os->rank + 1, &meta, out);
    }
    cpose_export_meta_clear(&meta);
    orst_free(&o);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cpose_ncnn_is_model(const char *path)
{
    struct stat st;
    if (ends_with(path, ".param")) return 1;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return ends_with(path, "_ncnn_model") || ends_with(path, "_ncnn_model/");
    char *p = cpose_path_join(path, "model.ncnn.param");
    int yes = stat(p, &st) == 0;
    cpose_free(p);
    return yes;
}

int cpose_ncnn_model_load(const char *path, struct cpose_model **out)
{
    *out = NULL;
    struct reader r;
    memset(&r, 0, sizeof r);
    char *dir, *param, *bin;
    if (ends_with(path, ".param")) {
        dir = cpose_path_dirname(path);
        param = cpose_strdup(path);
        bin = cpose_asprintf("%.*s.bin", (int)(strlen(path) - 6), path);
    } else {
        dir = cpose_strdup(path);
        param = cpose_path_join(path, "model.ncnn.param");
        bin = cpose_path_join(path, "model.ncnn.bin");
    }
    r.param_path = param, r.bin_path = bin;
    int rc = read_model(&r, dir, out);
    for (int i = 0; i < r.n_layers; i++) {
        struct layer *l = &r.layers[i];
        for (int k = 0; k < NCNN_MAX_PARAMS; k++) cpose_free(l->p[k].af), cpose_free(l->p[k].ai);
        cpose_free(l->weight), cpose_free(l->bias);
    }
    for (int b = 0; b < r.n_blobs; b++) cpose_free(r.blobs[b].name);
    cpose_free(r.layers), cpose_free(r.blobs);
    cpose_free(dir), cpose_free(param), cpose_free(bin);
    return rc;
}
