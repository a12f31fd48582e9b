/* core/nn/openvino_import.c — OpenVINO IR .xml/.bin → checked layer graph → ONNX nodes → cpose's
 * ONNX import (contract in core/nn/openvino_import.h). */
#include "core/nn/openvino_import.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/num_convert.h"
#include "core/nn/export_meta.h"
#include "core/nn/onnx_restate.h"

#define OV_MAX_PORTS 8
#define OV_MAX_DIMS 8

struct port {
    int id, ndim, is_out;
    int64_t d[OV_MAX_DIMS];
    int fed;               /* input ports: edges feeding it */
    int src_layer, src_port;  /* input ports: the edge's source (layer index, port id) */
};

struct ovlayer {
    int id, line;
    char type[40], version[16], name[256];
    xmlNode *data;  /* <data> or NULL */
    int n_in, n_out;
    struct port in[OV_MAX_PORTS], out[OV_MAX_PORTS];
    /* Const */
    int elem;          /* 1 f32, 2 f16, 3 i64, 4 i32 */
    float *f;          /* owned: values as float */
    int64_t *i;        /* owned: values as int64 */
    int64_t numel;
    int consumers;     /* edges leaving it */
    int order;         /* topological position */
    char vname[300];   /* the ONNX value name of output 0 */
    int folded;        /* 1: folded into another node (bias Add, Convert) */
    int fq_const;      /* FakeQuantize of a Const: f holds the quantised values (read as a Const) */
};

struct ovreader {
    const char *xml_path, *bin_path;
    struct ovlayer *l;
    int n;
};

/* (type, opset) pairs this reader knows: each op at the version that defines it. */
static const char *const KNOWN[][2] = {
    {"Parameter", "opset1"}, {"Const", "opset1"},      {"Convert", "opset1"},       {"Convolution", "opset1"},
    {"Add", "opset1"},       {"Subtract", "opset1"},   {"Multiply", "opset1"},      {"Divide", "opset1"},
    {"Swish", "opset4"},     {"Sigmoid", "opset1"},    {"Concat", "opset1"},        {"Slice", "opset8"},
    {"MaxPool", "opset1"},   {"Interpolate", "opset11"}, {"Reshape", "opset1"},    {"Transpose", "opset1"},
    {"SoftMax", "opset8"},   {"Result", "opset1"},     {"FakeQuantize", "opset1"}, {NULL, NULL}};

static int lerr(const struct ovreader *r, const struct ovlayer *l, int rc, char *take)
{
    rc = cpose_err(rc, "%s:%d: layer %d '%s' (%s-%s): %s", r->xml_path, l->line, l->id, l->name, l->type, l->version, take);
    cpose_free(take);
    return rc;
}
#define LERR(rc, ...) return lerr(r, l, (rc), cpose_asprintf(__VA_ARGS__))

static char *attr(xmlNode *n, const char *name)
{
    return n ? (char *)xmlGetProp(n, (const xmlChar *)name) : NULL;
}

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) return c;
    return NULL;
}

/* A whole base-10 integer attribute; 1 when present and valid. */
static int attr_int(xmlNode *n, const char *name, int64_t *v)
{
    char *s = attr(n, name), *end;
    if (!s) return 0;
    *v = strtoll(s, &end, 10);
    int ok = end != s && !*end;
    xmlFree(s);
    return ok;
}

/* A comma-separated integer list attribute ("2,2"; "" = none); count or -1 when malformed/absent. */
static int attr_ints(xmlNode *n, const char *name, int64_t *v, int cap)
{
    char *s = attr(n, name);
    if (!s) return -1;
    int k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long long x = strtoll(p, &end, 10);
        if (end == p || k == cap) {
            k = -1;
            break;
        }
        v[k++] = x;
        p = end;
        if (*p == ',') p++;
        else if (*p) {
            k = -1;
            break;
        }
    }
    xmlFree(s);
    return k;
}

static int attr_is(xmlNode *n, const char *name, const char *want)
{
    char *s = attr(n, name);
    int eq = s && !strcmp(s, want);
    if (s) xmlFree(s);
    return eq;
}

static int read_ports(const struct ovreader *r, struct ovlayer *l, xmlNode *group, int is_out)
{
    int *count = is_out ? &l->n_out : &l->n_in;
    struct port *ports = is_out ? l->out : l->in;
    for (xmlNode *p = group ? group->children : NULL; p; p = p->next) {
        if (p->type != XML_ELEMENT_NODE || strcmp((const char *)p->name, "port")) continue;
        if (*count == OV_MAX_PORTS) LERR(CPOSE_ENOTSUP, "more than %d ports", OV_MAX_PORTS);
        struct port *q = &ports[(*count)++];
        memset(q, 0, sizeof *q);
        int64_t id;
        if (!attr_int(p, "id", &id)) LERR(CPOSE_EINVAL, "a port without a numeric id (line %d)", p->line);
        q->id = (int)id, q->is_out = is_out, q->src_layer = -1;
        for (xmlNode *d = p->children; d; d = d->next) {
            if (d->type != XML_ELEMENT_NODE || strcmp((const char *)d->name, "dim")) continue;
            xmlChar *t = xmlNodeGetContent(d);
            char *end;
            long long v = strtoll((const char *)t, &end, 10);
            int ok = end != (char *)t && !*end && v >= 0;
            xmlFree(t);
            if (!ok) LERR(CPOSE_ENOTSUP, "port %d: a <dim> that is not a non-negative integer (dynamic dims are not read)", q->id);
            if (q->ndim == OV_MAX_DIMS) LERR(CPOSE_ENOTSUP, "port %d: more than %d dims", q->id, OV_MAX_DIMS);
            q->d[q->ndim++] = v;
        }
    }
    return CPOSE_OK;
}

static int dims_equal(const struct port *a, const struct port *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int k = 0; k < a->ndim; k++)
        if (a->d[k] != b->d[k]) return 0;
    return 1;
}

static char *dims_text(const struct port *p, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < p->ndim; k++) n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? "," : "", (long long)p->d[k]);
    snprintf(buf + n, cap - n, "]");
    return buf;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
    if (e == 0) {
        if (!m) bits = sign;
        else {
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

/* A Const's data from the .bin, checked against its shape and the file. */
static int read_const(const struct ovreader *r, struct ovlayer *l, const uint8_t *bin, size_t blen)
{
    static const struct { const char *name; int elem, size; } types[] = {
        {"f32", 1, 4}, {"f16", 2, 2}, {"i64", 3, 8}, {"i32", 4, 4}, {NULL, 0, 0}};
    char *et = attr(l->data, "element_type");
    int k = 0;
    while (types[k].name && (!et || strcmp(types[k].name, et))) k++;
    if (!types[k].name) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s", et ? et : "(none)");
        if (et) xmlFree(et);
        LERR(CPOSE_ENOTSUP, "element_type '%s' (f32, f16, i64 and i32 are read)", msg);
    }
    xmlFree(et);
    l->elem = types[k].elem;
    int64_t shape[OV_MAX_DIMS], off, size;
    int nd = attr_ints(l->data, "shape", shape, OV_MAX_DIMS);
    if (nd < 0) LERR(CPOSE_EINVAL, "no valid shape attribute");
    if (l->n_out != 1) LERR(CPOSE_EINVAL, "a Const has one output port");
    struct port sp = {0};
    sp.ndim = nd;
    memcpy(sp.d, shape, (size_t)nd * sizeof(int64_t));
    char a[128], b[128];
    if (!dims_equal(&sp, &l->out[0]))
        LERR(CPOSE_ESHAPE, "shape %s differs from its output port's %s", dims_text(&sp, a, sizeof a),
             dims_text(&l->out[0], b, sizeof b));
    if (!attr_int(l->data, "offset", &off) || !attr_int(l->data, "size", &size) || off < 0 || size < 0)
        LERR(CPOSE_EINVAL, "offset and size must be non-negative integers");
    l->numel = 1;
    for (int q = 0; q < nd; q++) l->numel *= shape[q];
    if (size != l->numel * types[k].size)
        LERR(CPOSE_EINVAL, "size %lld is not %lld elements x %d bytes", (long long)size, (long long)l->numel, types[k].size);
    if ((uint64_t)off + (uint64_t)size > blen)
        LERR(CPOSE_EINVAL, "offset %lld + size %lld lies outside %s (%zu bytes)", (long long)off, (long long)size,
             r->bin_path, blen);
    l->f = cpose_malloc((size_t)(l->numel ? l->numel : 1) * sizeof(float));
    l->i = cpose_malloc((size_t)(l->numel ? l->numel : 1) * sizeof(int64_t));
    const uint8_t *p = bin + off;
    for (int64_t q = 0; q < l->numel; q++) {
        if (l->elem == 1) memcpy(&l->f[q], p + 4 * q, 4), l->i[q] = cpose_float_to_i64(l->f[q]);
        else if (l->elem == 2) {
            uint16_t hv;
            memcpy(&hv, p + 2 * q, 2);
            l->f[q] = half_to_float(hv), l->i[q] = cpose_float_to_i64(l->f[q]);
        } else if (l->elem == 3) memcpy(&l->i[q], p + 8 * q, 8), l->f[q] = (float)l->i[q];
        else {
            int32_t v;
            memcpy(&v, p + 4 * q, 4);
            l->i[q] = v, l->f[q] = (float)v;
        }
    }
    return CPOSE_OK;
}

static int find_layer(const struct ovreader *r, int64_t id)
{
    for (int k = 0; k < r->n; k++)
        if (r->l[k].id == id) return k;
    return -1;
}

static struct port *find_port(struct ovlayer *l, int64_t id, int is_out)
{
    struct port *ps = is_out ? l->out : l->in;
    int n = is_out ? l->n_out : l->n_in;
    for (int k = 0; k < n; k++)
        if (ps[k].id == id) return &ps[k];
    return NULL;
}

static int parse_ir(struct ovreader *r, xmlDoc *doc, const uint8_t *bin, size_t blen)
{
    xmlNode *net = xmlDocGetRootElement(doc);
    int64_t ver = 0;
    if (!net || strcmp((const char *)net->name, "net") || !attr_int(net, "version", &ver) || (ver != 10 && ver != 11))
        return cpose_err(CPOSE_EINVAL, "%s: not an OpenVINO IR (<net version=\"10\" or \"11\"> expected)", r->xml_path);
    xmlNode *layers = child(net, "layers"), *edges = child(net, "edges");
    if (!layers || !edges) return cpose_err(CPOSE_EINVAL, "%s: <net> needs <layers> and <edges>", r->xml_path);
    int cap = 0;
    for (xmlNode *c = layers->children; c; c = c->next) cap += c->type == XML_ELEMENT_NODE;
    r->l = cpose_calloc(cap ? cap : 1, sizeof *r->l);
    for (xmlNode *c = layers->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (strcmp((const char *)c->name, "layer"))
            return cpose_err(CPOSE_EINVAL, "%s:%d: <%s> inside <layers>", r->xml_path, c->line, c->name);
        struct ovlayer *l = &r->l[r->n++];
        l->line = c->line;
        int64_t id;
        char *t = attr(c, "type"), *v = attr(c, "version"), *nm = attr(c, "name");
        snprintf(l->type, sizeof l->type, "%s", t ? t : "");
        snprintf(l->version, sizeof l->version, "%s", v ? v : "");
        snprintf(l->name, sizeof l->name, "%s", nm ? nm : "");
        if (t) xmlFree(t);
        if (v) xmlFree(v);
        if (nm) xmlFree(nm);
        if (!attr_int(c, "id", &id)) return cpose_err(CPOSE_EINVAL, "%s:%d: a layer without a numeric id", r->xml_path, c->line);
        l->id = (int)id;
        if (find_layer(r, id) != r->n - 1) LERR(CPOSE_EINVAL, "layer id %lld used twice", (long long)id);
        int known = 0;
        for (int k = 0; KNOWN[k][0] && !known; k++) known = !strcmp(KNOWN[k][0], l->type) && !strcmp(KNOWN[k][1], l->version);
        if (!known) LERR(CPOSE_ENOTSUP, "unknown layer type/version (this reader knows the YOLOv8-pose set, each op at the opset that defines it)");
        l->data = child(c, "data");
        int rc;
        if ((rc = read_ports(r, l, child(c, "input"), 0)) || (rc = read_ports(r, l, child(c, "output"), 1))) return rc;
        for (int a = 0; a < l->n_in + l->n_out; a++)
            for (int b = a + 1; b < l->n_in + l->n_out; b++) {
                const struct port *pa = a < l->n_in ? &l->in[a] : &l->out[a - l->n_in];
                const struct port *pb = b < l->n_in ? &l->in[b] : &l->out[b - l->n_in];
                if (pa->id == pb->id) LERR(CPOSE_EINVAL, "port id %d used twice", pa->id);
            }
        /* every port has a shape: only a scalar Const's (shape "") has no dims */
        int scalar_const = !strcmp(l->type, "Const") && attr_is(l->data, "shape", "");
        for (int a = 0; a < l->n_in + l->n_out; a++) {
            const struct port *pa = a < l->n_in ? &l->in[a] : &l->out[a - l->n_in];
            if (!pa->ndim && !scalar_const) LERR(CPOSE_EINVAL, "port %d has no shape (<dim> elements)", pa->id);
        }
        if (!strcmp(l->type, "Const") && (rc = read_const(r, l, bin, blen))) return rc;
        if (strcmp(l->type, "Result") && l->n_out != 1) LERR(CPOSE_ENOTSUP, "%d output ports (one is read)", l->n_out);
    }
    for (xmlNode *e = edges->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE) continue;
        int64_t fl, fp, tl, tp;
        if (strcmp((const char *)e->name, "edge") || !attr_int(e, "from-layer", &fl) || !attr_int(e, "from-port", &fp) ||
            !attr_int(e, "to-layer", &tl) || !attr_int(e, "to-port", &tp))
            return cpose_err(CPOSE_EINVAL, "%s:%d: an <edge> needs from-layer, from-port, to-layer and to-port", r->xml_path, e->line);
        int a = find_layer(r, fl), b = find_layer(r, tl);
        if (a < 0 || b < 0)
            return cpose_err(CPOSE_EINVAL, "%s:%d: edge %lld:%lld -> %lld:%lld names a layer that does not exist", r->xml_path,
                             e->line, (long long)fl, (long long)fp, (long long)tl, (long long)tp);
        struct port *src = find_port(&r->l[a], fp, 1), *dst = find_port(&r->l[b], tp, 0);
        if (!src || !dst)
            return cpose_err(CPOSE_EINVAL, "%s:%d: edge %lld:%lld -> %lld:%lld: %s is not an %s port of layer '%s'", r->xml_path,
                             e->line, (long long)fl, (long long)fp, (long long)tl, (long long)tp,
                             !src ? "from-port" : "to-port", !src ? "output" : "input", !src ? r->l[a].name : r->l[b].name);
        char x[128], y[128];
        if (!dims_equal(src, dst))
            return cpose_err(CPOSE_ESHAPE, "%s:%d: edge %lld:%lld -> %lld:%lld joins shapes %s and %s", r->xml_path, e->line,
                             (long long)fl, (long long)fp, (long long)tl, (long long)tp, dims_text(src, x, sizeof x),
                             dims_text(dst, y, sizeof y));
        if (dst->fed++)
            return cpose_err(CPOSE_EINVAL, "%s:%d: input port %lld of layer '%s' is fed by a second edge", r->xml_path, e->line,
                             (long long)tp, r->l[b].name);
        dst->src_layer = a, dst->src_port = (int)fp;
        r->l[a].consumers++;
    }
    for (int k = 0; k < r->n; k++)
        for (int p = 0; p < r->l[k].n_in; p++)
            if (!r->l[k].in[p].fed) {
                struct ovlayer *l = &r->l[k];
                LERR(CPOSE_EINVAL, "input port %d has no edge", l->in[p].id);
            }
    return CPOSE_OK;
}

/* Orders layers so each comes after its inputs (Kahn); returns the order (owned) or NULL on a cycle. */
static int *topo_order(struct ovreader *r)
{
    int *order = cpose_malloc((size_t)(r->n ? r->n : 1) * sizeof(int)), *done = cpose_calloc(r->n ? r->n : 1, sizeof(int));
    int n = 0, progress = 1;
    while (progress) {
        progress = 0;
        for (int k = 0; k < r->n; k++) {
            if (done[k]) continue;
            int ready = 1;
            for (int p = 0; p < r->l[k].n_in && ready; p++) ready = done[r->l[k].in[p].src_layer];
            if (ready) done[k] = 1, order[n++] = k, progress = 1;
        }
    }
    cpose_free(done);
    if (n != r->n) {
        cpose_free(order);
        return NULL;
    }
    return order;
}

static struct ovlayer *src_of(struct ovreader *r, const struct ovlayer *l, int p) { return &r->l[l->in[p].src_layer]; }

/* The Const behind input p (through a Convert), or NULL. */
static struct ovlayer *const_in(struct ovreader *r, const struct ovlayer *l, int p)
{
    struct ovlayer *s = src_of(r, l, p);
    if (!strcmp(s->type, "Convert") && !strcmp(src_of(r, s, 0)->type, "Const")) s = src_of(r, s, 0);
    return !strcmp(s->type, "Const") || s->fq_const ? s : NULL;
}

static const char *vin(struct ovreader *r, const struct ovlayer *l, int p) { return src_of(r, l, p)->vname; }

/* FakeQuantize-1 (OpenVINO's opset1 definition): inputs X, input_low, input_high, output_low,
 * output_high, attribute levels; x ≤ min(il, ih) → ol, x > max(il, ih) → oh, else
 * round((x − il)/(ih − il)·(levels − 1))/(levels − 1)·(oh − ol) + ol, ranges broadcast numpy-style.
 * Read here: the four ranges must be Consts that broadcast to X, levels an integer in [2, 65536] and
 * every input_low < input_high. On a Const (quantised weights) the values are computed now and the
 * layer reads as a Const; on an activation the ranges must be one value each, equal in and out,
 * levels 256, with 0 on the grid: that is ONNX's QuantizeLinear → DequantizeLinear in uint8, which
 * cpose's import runs as a fake_quantize node. */
static int restate_fq(struct ovreader *r, struct ovlayer *l, struct cpose_onnx_restate *o, const char *const *ins)
{
    if (l->n_in != 5) LERR(CPOSE_EINVAL, "FakeQuantize needs 5 inputs (data, input_low, input_high, output_low, output_high)");
    int64_t levels;
    if (!attr_int(l->data, "levels", &levels) || levels < 2 || levels > 65536)
        LERR(CPOSE_EINVAL, "levels must be an integer in [2, 65536]");
    if (l->data && xmlHasProp(l->data, (const xmlChar *)"auto_broadcast") && !attr_is(l->data, "auto_broadcast", "numpy"))
        LERR(CPOSE_ENOTSUP, "auto_broadcast other than numpy");
    struct ovlayer *rg[4];
    const struct port *x = &l->in[0];
    for (int k = 0; k < 4; k++) {
        if (!(rg[k] = const_in(r, l, k + 1))) LERR(CPOSE_ENOTSUP, "input %d (the range) must be a Const", k + 1);
        const struct port *p = &l->in[k + 1];
        if (p->ndim > x->ndim) LERR(CPOSE_ESHAPE, "range input %d has more dims than the data", k + 1);
        for (int d = 0; d < p->ndim; d++)
            if (p->d[d] != 1 && p->d[d] != x->d[x->ndim - p->ndim + d])
                LERR(CPOSE_ESHAPE, "range input %d does not broadcast to the data (dim %d: %lld vs %lld)", k + 1, d,
                     (long long)p->d[d], (long long)x->d[x->ndim - p->ndim + d]);
    }
    for (int64_t e = 0; e < rg[0]->numel && e < rg[1]->numel; e++)
        if (!(rg[0]->f[e] < rg[1]->f[e])) LERR(CPOSE_EINVAL, "input_low[%lld] = %g is not below input_high = %g", (long long)e,
                                               rg[0]->f[e], rg[1]->f[e]);
    struct ovlayer *src = const_in(r, l, 0);
    double L1 = (double)(levels - 1);
    if (src) {  /* quantised weights: computed here */
        int64_t n = src->numel, stride[OV_MAX_DIMS], cnt = 1;
        for (int d = x->ndim - 1; d >= 0; d--) stride[d] = cnt, cnt *= x->d[d];
        l->f = cpose_malloc((size_t)(n ? n : 1) * sizeof(float)), l->numel = n, l->elem = 1, l->fq_const = 1;
        for (int64_t e = 0; e < n; e++) {
            float v[4];
            for (int k = 0; k < 4; k++) {  /* the range element broadcast to e */
                const struct port *p = &l->in[k + 1];
                int64_t off = 0;
                for (int d = 0; d < p->ndim; d++) {
                    int xd = x->ndim - p->ndim + d;
                    off = off * p->d[d] + (p->d[d] == 1 ? 0 : (e / stride[xd]) % x->d[xd]);
                }
                v[k] = rg[k]->f[off];
            }
            double xv = src->f[e], q;
            if (xv <= v[0]) q = v[2];
            else if (xv > v[1]) q = v[3];
            else q = round((xv - v[0]) / (v[1] - v[0]) * L1) / L1 * (v[3] - v[2]) + v[2];
            l->f[e] = (float)q;
        }
        int64_t d[OV_MAX_DIMS];
        memcpy(d, x->d, (size_t)x->ndim * sizeof(int64_t));
        orst_init(o, l->vname, d, x->ndim, l->f, NULL);
        return CPOSE_OK;
    }
    for (int k = 0; k < 4; k++)
        if (rg[k]->numel != 1) LERR(CPOSE_ENOTSUP, "an activation FakeQuantize with per-channel ranges");
    if (levels != 256 || rg[0]->f[0] != rg[2]->f[0] || rg[1]->f[0] != rg[3]->f[0])
        LERR(CPOSE_ENOTSUP, "an activation FakeQuantize other than levels 256 with equal input and output ranges");
    float lo = rg[0]->f[0], hi = rg[1]->f[0], scale = (hi - lo) / 255.0f, zp = roundf(-lo / scale);
    if (zp < 0 || zp > 255 || fabsf(lo + zp * scale) > 1e-3f * scale)
        LERR(CPOSE_ENOTSUP, "an activation FakeQuantize whose range [%g, %g] does not hold 0 on its grid", lo, hi);
    int64_t one = 1;
    char nm[340], q[340];
    snprintf(nm, sizeof nm, "%s.scale", l->name);
    const char *sc = orst_init(o, nm, &one, 1, &scale, NULL);
    snprintf(nm, sizeof nm, "%s.zero_point", l->name);
    const char *z = orst_init(o, nm, &one, 1, &zp, NULL);
    snprintf(q, sizeof q, "%s__q", l->vname);
    const char *qi[3] = {ins[0], sc, z}, *di[3] = {q, sc, z};
    orst_node(o, "QuantizeLinear", l->name, qi, 3, q);
    orst_node(o, "DequantizeLinear", l->name, di, 3, l->vname);
    return CPOSE_OK;
}

static int restate(struct ovreader *r, struct ovlayer *l, struct cpose_onnx_restate *o)
{
    const char *ins[OV_MAX_PORTS];
    for (int p = 0; p < l->n_in; p++) ins[p] = vin(r, l, p);
    const char *out = l->vname;
    const struct port *po = l->n_out ? &l->out[0] : NULL;
    if (!strcmp(l->type, "Parameter") || !strcmp(l->type, "Result") || l->folded) return CPOSE_OK;
    if (!strcmp(l->type, "Const")) {
        int64_t d[OV_MAX_DIMS];
        memcpy(d, po->d, (size_t)po->ndim * sizeof(int64_t));
        orst_init(o, out, d, po->ndim, l->elem <= 2 ? l->f : NULL, l->elem <= 2 ? NULL : l->i);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Convert")) {
        char *dt = attr(l->data, "destination_type");
        int f32 = dt && !strcmp(dt, "f32");
        if (dt) xmlFree(dt);
        struct ovlayer *s = src_of(r, l, 0);
        if (!f32 || strcmp(s->type, "Const") || s->elem != 2)
            LERR(CPOSE_ENOTSUP, "only Convert of an f16 Const to f32 (compress_to_fp16) is read");
        memcpy(l->vname, s->vname, sizeof l->vname);  /* the Const is stored as float already */
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Convolution")) {
        struct ovlayer *w = const_in(r, l, 1);
        if (!w || l->in[1].ndim != 4) LERR(CPOSE_ENOTSUP, "weights must be a 4-D Const (OIHW)");
        int64_t st[2], dl[2], pb[2], pe[2];
        if (attr_ints(l->data, "strides", st, 2) != 2 || attr_ints(l->data, "dilations", dl, 2) != 2 ||
            attr_ints(l->data, "pads_begin", pb, 2) != 2 || attr_ints(l->data, "pads_end", pe, 2) != 2)
            LERR(CPOSE_EINVAL, "strides, dilations, pads_begin and pads_end must each hold 2 integers");
        char *ap = attr(l->data, "auto_pad");
        int explicit_pad = !ap || !strcmp(ap, "explicit") || !strcmp(ap, "notset");
        if (ap) xmlFree(ap);
        if (!explicit_pad) LERR(CPOSE_ENOTSUP, "auto_pad other than explicit");
        const char *cin[3] = {ins[0], vin(r, l, 1), NULL};
        /* the bias: the one consumer is an Add of a [1, C, 1, 1] Const → folded into the Conv */
        struct ovlayer *bias_add = NULL, *bias = NULL;
        for (int k = 0; k < r->n && l->consumers == 1; k++) {
            struct ovlayer *c = &r->l[k];
            if (strcmp(c->type, "Add") || c->n_in != 2) continue;
            for (int p = 0; p < 2; p++)
                if (src_of(r, c, p) == l && (bias = const_in(r, c, 1 - p)) && c->in[1 - p].ndim == 4 &&
                    c->in[1 - p].d[1] == l->in[1].d[0] && bias->numel == l->in[1].d[0])
                    bias_add = c;
        }
        if (bias_add) {
            int64_t bd = bias->numel;
            char nm[300];
            snprintf(nm, sizeof nm, "%s.bias", l->name);
            cin[2] = orst_init(o, nm, &bd, 1, bias->f, NULL);
            bias_add->folded = 1;
            snprintf(bias_add->vname, sizeof bias_add->vname, "%s", out);
        }
        Onnx__NodeProto *n = orst_node(o, "Conv", l->name, cin, bias_add ? 3 : 2, out);
        const int64_t pads[4] = {pb[0], pb[1], pe[0], pe[1]};
        orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "dilations", dl, 2), orst_attr_ints(o, n, "pads", pads, 4);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "FakeQuantize")) return restate_fq(r, l, o, ins);
    if (!strcmp(l->type, "Swish")) {
        if (l->n_in != 1) LERR(CPOSE_ENOTSUP, "Swish with a beta input");
        char nm[320];
        snprintf(nm, sizeof nm, "%s__sigmoid", out);
        orst_node(o, "Sigmoid", l->name, ins, 1, nm);
        const char *m2[2] = {ins[0], nm};
        orst_node(o, "Mul", l->name, m2, 2, out);
        return CPOSE_OK;
    }
    static const char *const binop[][2] = {{"Add", "Add"}, {"Subtract", "Sub"}, {"Multiply", "Mul"}, {"Divide", "Div"},
                                           {"Sigmoid", "Sigmoid"}, {NULL, NULL}};
    for (int k = 0; binop[k][0]; k++)
        if (!strcmp(l->type, binop[k][0])) {
            if (k < 4 && l->data && !attr_is(l->data, "auto_broadcast", "numpy"))
                LERR(CPOSE_ENOTSUP, "auto_broadcast other than numpy");
            orst_node(o, binop[k][1], l->name, ins, l->n_in, out);
            return CPOSE_OK;
        }
    if (!strcmp(l->type, "Concat") || !strcmp(l->type, "SoftMax")) {
        int64_t ax;
        if (!attr_int(l->data, "axis", &ax)) LERR(CPOSE_EINVAL, "no integer axis attribute");
        Onnx__NodeProto *n = orst_node(o, !strcmp(l->type, "Concat") ? "Concat" : "Softmax", l->name, ins, l->n_in, out);
        orst_attr_int(o, n, "axis", ax);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Slice")) {
        if (l->n_in != 5) LERR(CPOSE_ENOTSUP, "Slice without its axes input");
        const char *si[5] = {ins[0], ins[1], ins[2], ins[4], ins[3]};  /* ONNX: data, starts, ends, axes, steps */
        orst_node(o, "Slice", l->name, si, 5, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "MaxPool")) {
        int64_t st[2], pb[2], pe[2], k[2];
        if (attr_ints(l->data, "strides", st, 2) != 2 || attr_ints(l->data, "kernel", k, 2) != 2 ||
            attr_ints(l->data, "pads_begin", pb, 2) != 2 || attr_ints(l->data, "pads_end", pe, 2) != 2)
            LERR(CPOSE_EINVAL, "strides, kernel, pads_begin and pads_end must each hold 2 integers");
        if (l->data && !attr_is(l->data, "rounding_type", "floor")) LERR(CPOSE_ENOTSUP, "rounding_type other than floor");
        Onnx__NodeProto *n = orst_node(o, "MaxPool", l->name, ins, 1, out);
        const int64_t pads[4] = {pb[0], pb[1], pe[0], pe[1]};
        orst_attr_ints(o, n, "kernel_shape", k, 2), orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "pads", pads, 4);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Interpolate")) {
        struct ovlayer *sc = const_in(r, l, 1), *ax = l->n_in > 2 ? const_in(r, l, 2) : NULL;
        if (!attr_is(l->data, "mode", "nearest") || !attr_is(l->data, "shape_calculation_mode", "scales") ||
            !attr_is(l->data, "coordinate_transformation_mode", "asymmetric") || !attr_is(l->data, "nearest_mode", "floor"))
            LERR(CPOSE_ENOTSUP, "only nearest/scales/asymmetric/floor interpolation is read");
        if (!sc || !ax || sc->numel != ax->numel || sc->numel > 4) LERR(CPOSE_ENOTSUP, "scales and axes must be Consts of one length");
        float s4[4] = {1, 1, 1, 1};
        for (int64_t k = 0; k < ax->numel; k++) {
            if (ax->i[k] < 0 || ax->i[k] > 3) LERR(CPOSE_ESHAPE, "axis %lld", (long long)ax->i[k]);
            s4[ax->i[k]] = sc->f[k];
        }
        int64_t four = 4;
        char nm[300];
        snprintf(nm, sizeof nm, "%s.scales4", l->name);
        const char *ri[3] = {ins[0], "", orst_init(o, nm, &four, 1, s4, NULL)};
        Onnx__NodeProto *n = orst_node(o, "Resize", l->name, ri, 3, out);
        orst_attr_str(o, n, "mode", "nearest");
        orst_attr_str(o, n, "coordinate_transformation_mode", "asymmetric");
        orst_attr_str(o, n, "nearest_mode", "floor");
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Reshape")) {
        if (!attr_is(l->data, "special_zero", "true")) {
            struct ovlayer *t = const_in(r, l, 1);
            for (int64_t k = 0; t && k < t->numel; k++)
                if (!t->i[k]) LERR(CPOSE_ENOTSUP, "a 0 in the target with special_zero=false");
        }
        orst_node(o, "Reshape", l->name, ins, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(l->type, "Transpose")) {
        struct ovlayer *t = const_in(r, l, 1);
        if (!t) LERR(CPOSE_ENOTSUP, "the order must be a Const");
        Onnx__NodeProto *n = orst_node(o, "Transpose", l->name, ins, 1, out);
        orst_attr_ints(o, n, "perm", t->i, (int)t->numel);
        return CPOSE_OK;
    }
    LERR(CPOSE_ENOTSUP, "no ONNX restatement");
}

static int read_ir(struct ovreader *r, const char *dir, struct cpose_model **out)
{
    char *bin = NULL;
    size_t blen = 0;
    int rc = cpose_read_file(r->bin_path, &bin, &blen);
    if (rc) return rc;
    xmlDoc *doc = xmlReadFile(r->xml_path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        const char *msg = e && e->message ? e->message : "parse error";
        rc = cpose_err(CPOSE_EINVAL, "%s:%d: not well-formed XML (%.*s)", r->xml_path, e ? e->line : 0,
                       (int)strcspn(msg, "\n"), msg);
        cpose_free(bin);
        return rc;
    }
    rc = parse_ir(r, doc, (const uint8_t *)bin, blen);
    cpose_free(bin);
    int *order = NULL, input = -1, result = -1;
    if (!rc && !(order = topo_order(r))) rc = cpose_err(CPOSE_EINVAL, "%s: the edges form a cycle", r->xml_path);
    for (int k = 0; k < r->n && !rc; k++) {
        struct ovlayer *l = &r->l[k];
        snprintf(l->vname, sizeof l->vname, "L%d", l->id);
        if (!strcmp(l->type, "Parameter")) {
            if (input >= 0) rc = lerr(r, l, CPOSE_ENOTSUP, cpose_asprintf("a second Parameter (one image input is read)"));
            input = k;
        } else if (!strcmp(l->type, "Result")) {
            if (result >= 0) rc = lerr(r, l, CPOSE_ENOTSUP, cpose_asprintf("a second Result (one output is read)"));
            result = k;
        }
    }
    if (!rc && (input < 0 || result < 0)) rc = cpose_err(CPOSE_EINVAL, "%s: needs one Parameter and one Result", r->xml_path);
    if (!rc && (r->l[input].out[0].ndim != 4 || r->l[input].out[0].d[1] != 3))
        rc = cpose_err(CPOSE_ESHAPE, "%s: the Parameter must be an image [batch, 3, height, width]", r->xml_path);
    struct cpose_onnx_restate o;
    orst_init_restate(&o);
    for (int k = 0; k < r->n && !rc; k++) rc = restate(r, &r->l[order[k]], &o);
    struct cpose_export_meta meta = {0};
    char *mpath = cpose_path_join(dir, "metadata.yaml");
    if (!rc) rc = cpose_export_meta_read(mpath, &meta);
    cpose_free(mpath);
    if (!rc) {
        const struct ovlayer *res = &r->l[result];
        rc = orst_import(&o, r->xml_path, r->l[input].vname, r->l[input].out[0].d, 4, src_of(r, res, 0)->vname,
                         res->in[0].d, res->in[0].ndim, &meta, out);
    }
    cpose_export_meta_clear(&meta);
    orst_free(&o);
    cpose_free(order);
    xmlFreeDoc(doc);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The single .xml in dir (owned), or NULL. */
static char *find_xml(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *found = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (ends_with(e->d_name, ".xml")) {
            n++;
            cpose_free(found);
            found = cpose_path_join(dir, e->d_name);
        }
    closedir(d);
    if (n != 1) {
        cpose_free(found);
        return NULL;
    }
    return found;
}

int cpose_openvino_is_model(const char *path)
{
    if (ends_with(path, ".xml")) return 1;
    if (ends_with(path, "_openvino_model") || ends_with(path, "_openvino_model/")) return 1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    char *x = find_xml(path);
    int yes = x != NULL;
    cpose_free(x);
    return yes;
}

int cpose_openvino_model_load(const char *path, struct cpose_model **out)
{
    *out = NULL;
    char *dir, *xml;
    if (ends_with(path, ".xml")) {
        dir = cpose_path_dirname(path);
        xml = cpose_strdup(path);
    } else {
        dir = cpose_strdup(path);
        xml = find_xml(path);
        if (!xml) {
            cpose_free(dir);
            return cpose_err(CPOSE_EINVAL, "%s: expected one <stem>.xml (with <stem>.bin) in the folder", path);
        }
    }
    char *bin = cpose_asprintf("%.*s.bin", (int)(strlen(xml) - 4), xml);
    struct ovreader r;
    memset(&r, 0, sizeof r);
    r.xml_path = xml, r.bin_path = bin;
    int rc = read_ir(&r, dir, out);
    for (int k = 0; k < r.n; k++) cpose_free(r.l[k].f), cpose_free(r.l[k].i);
    cpose_free(r.l);
    cpose_free(dir), cpose_free(xml), cpose_free(bin);
    return rc;
}
