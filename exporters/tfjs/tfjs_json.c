/* exporters/tfjs/tfjs_json.c — TF.js model.json (proto3-JSON GraphDef + weights manifest) and the
 * weight bytes with optional float16/uint8 quantisation (contract in tfjs_json.h). */
#include "exporters/tfjs/tfjs_json.h"

#include <math.h>
#include <string.h>

#include "exporters/common/fp16.h"
#include "exporters/common/host_buf.h"

char *tfjs_base64(const struct cpose_host *h, const void *data, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    char *s = h->alloc((n + 2) / 3 * 4 + 1), *o = s;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *o = 0;
    return s;
}

void tfjs_model_free(const struct cpose_host *h, struct tfjs_model *m)
{
    h->free(m->json);
    h->free(m->weights);
    memset(m, 0, sizeof *m);
}

/* A JSON string literal of s (node names and attribute keys are plain ASCII; quotes and
 * backslashes escaped anyway). */
static void json_str(struct host_buf *b, const char *s)
{
    host_buf_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') host_buf_add(b, "\\", 1);
        if ((unsigned char)*s < 0x20) host_buf_printf(b, "\\u%04x", (unsigned char)*s);
        else host_buf_add(b, s, 1);
    }
    host_buf_add(b, "\"", 1);
}

/* TensorShapeProto: {"dim": [{"size": "3"}, ...]} ({} for a scalar) */
static void json_shape(struct host_buf *b, int ndim, const int64_t *dims)
{
    host_buf_printf(b, ndim ? "{\"dim\": [" : "{");
    for (int k = 0; k < ndim; k++) host_buf_printf(b, "%s{\"size\": \"%lld\"}", k ? ", " : "", (long long)dims[k]);
    host_buf_printf(b, ndim ? "]}" : "}");
}

static void json_attr(struct host_buf *b, const struct cpose_host *h, const struct tfgd_node *n, const struct tfgd_attr *a)
{
    switch (a->kind) {
    case TFGD_ATTR_TYPE: host_buf_printf(b, "{\"type\": \"%s\"}", tfgd_dtype_name((int)a->i)); break;
    case TFGD_ATTR_STR: {
        char *s64 = tfjs_base64(h, a->s, strlen(a->s));
        host_buf_printf(b, "{\"s\": \"%s\"}", s64);
        h->free(s64);
        break;
    }
    case TFGD_ATTR_INT: host_buf_printf(b, "{\"i\": \"%lld\"}", (long long)a->i); break;
    case TFGD_ATTR_BOOL: host_buf_printf(b, "{\"b\": %s}", a->i ? "true" : "false"); break;
    case TFGD_ATTR_INTS:
        host_buf_printf(b, a->n ? "{\"list\": {\"i\": [" : "{\"list\": {");
        for (int k = 0; k < a->n; k++) host_buf_printf(b, "%s\"%lld\"", k ? ", " : "", (long long)a->ints[k]);
        host_buf_printf(b, a->n ? "]}}" : "}}");
        break;
    case TFGD_ATTR_SHAPE:
        host_buf_printf(b, "{\"shape\": ");
        json_shape(b, a->n, a->ints);
        host_buf_printf(b, "}");
        break;
    case TFGD_ATTR_TENSOR:
        host_buf_printf(b, "{\"tensor\": {\"dtype\": \"%s\", \"tensorShape\": ", tfgd_dtype_name(n->dtype));
        json_shape(b, n->ndim, n->dims);
        host_buf_printf(b, "}}");
        break;
    }
}

/* Appends Const node n's data to w in the stored form and writes its manifest entry to b. */
static void weight(struct host_buf *b, struct host_buf *w, const struct cpose_host *h, const struct tfgd_node *n, int quant,
                   int first)
{
    size_t cnt = n->nbytes / 4;
    host_buf_printf(b, "%s\n      {\"name\": ", first ? "" : ",");
    json_str(b, n->name);
    host_buf_printf(b, ", \"shape\": [");
    for (int k = 0; k < n->ndim; k++) host_buf_printf(b, "%s%lld", k ? ", " : "", (long long)n->dims[k]);
    host_buf_printf(b, "], \"dtype\": \"%s\"", n->dtype == TFGD_DT_INT32 ? "int32" : "float32");
    if (n->dtype != TFGD_DT_FLOAT || quant == TFJS_QUANT_NONE) {
        host_buf_add(w, n->data, n->nbytes);
    } else if (quant == TFJS_QUANT_FLOAT16) {
        uint16_t *half = h->alloc(cnt * sizeof *half + 1);
        cpose_fp16_convert(n->data, half, cnt);
        host_buf_add(w, half, cnt * sizeof *half);
        h->free(half);
        host_buf_printf(b, ", \"quantization\": {\"dtype\": \"float16\"}");
    } else {
        const float *f = n->data;
        double lo = cnt ? f[0] : 0, hi = lo;
        for (size_t i = 1; i < cnt; i++) lo = fmin(lo, f[i]), hi = fmax(hi, f[i]);
        double scale = hi > lo ? (hi - lo) / 255.0 : 1.0, min = lo;
        if (hi > lo && lo <= 0 && hi >= 0) min = -round(-lo / scale) * scale;  /* 0.0 exactly representable */
        uint8_t *q = h->alloc(cnt + 1);
        for (size_t i = 0; i < cnt; i++) {
            double v = round((f[i] - min) / scale);
            q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        host_buf_add(w, q, cnt);
        h->free(q);
        host_buf_printf(b, ", \"quantization\": {\"dtype\": \"uint8\", \"min\": %.17g, \"scale\": %.17g}", min, scale);
    }
    host_buf_printf(b, "}");
}

static void signature_entry(struct host_buf *b, const char *tensor, int ndim, const int64_t *dims)
{
    host_buf_printf(b, "{\"%s\": {\"name\": \"%s\", \"dtype\": \"DT_FLOAT\", \"tensorShape\": ", tensor, tensor);
    json_shape(b, ndim, dims);
    host_buf_printf(b, "}}");
}

int tfjs_serialize(const struct tfgd_graph *gd, int quant, size_t shard_bytes, const char *metadata_json, struct tfjs_model *out)
{
    const struct cpose_host *h = gd->h;
    memset(out, 0, sizeof *out);
    struct host_buf topo = {h, NULL, 0, 0}, man = {h, NULL, 0, 0}, w = {h, NULL, 0, 0};
    host_buf_printf(&topo, "{\"node\": [");
    int n_weights = 0;
    for (int i = 0; i < gd->n_nodes; i++) {
        const struct tfgd_node *n = &gd->nodes[i];
        host_buf_printf(&topo, "%s\n    {\"name\": ", i ? "," : "");
        json_str(&topo, n->name);
        host_buf_printf(&topo, ", \"op\": \"%s\"", n->op);
        if (n->n_in) {
            host_buf_printf(&topo, ", \"input\": [");
            for (int k = 0; k < n->n_in; k++) {
                if (k) host_buf_printf(&topo, ", ");
                json_str(&topo, gd->nodes[n->in[k]].name);
            }
            host_buf_printf(&topo, "]");
        }
        host_buf_printf(&topo, ", \"attr\": {");
        for (int k = 0; k < n->n_attr; k++) {
            if (k) host_buf_printf(&topo, ", ");
            json_str(&topo, n->attr[k].key);
            host_buf_printf(&topo, ": ");
            json_attr(&topo, h, n, &n->attr[k]);
        }
        host_buf_printf(&topo, "}}");
        if (!strcmp(n->op, "Const")) weight(&man, &w, h, n, quant, n_weights++ == 0);
    }
    host_buf_printf(&topo, "\n  ], \"library\": {}, \"versions\": {\"producer\": %d}}", TFGD_PRODUCER);
    out->shard_bytes = shard_bytes ? shard_bytes : TFJS_SHARD_BYTES;
    out->n_shards = w.len ? (int)((w.len + out->shard_bytes - 1) / out->shard_bytes) : 0;

    struct host_buf j = {h, NULL, 0, 0};
    host_buf_printf(&j, "{\"format\": \"graph-model\", \"generatedBy\": \"cpose\", "
                        "\"convertedBy\": \"cpose tfjs exporter (TensorFlow.js graph-model layout)\",\n");
    const struct tfgd_attr *xs = tfgd_attr_of(&gd->nodes[gd->input], "shape");
    host_buf_printf(&j, " \"signature\": {\"inputs\": ");
    signature_entry(&j, "x:0", xs ? xs->n : 0, xs ? xs->ints : NULL);
    host_buf_printf(&j, ", \"outputs\": ");
    signature_entry(&j, "Identity:0", gd->out_ndim, gd->out_dims);
    host_buf_printf(&j, "},\n");
    if (metadata_json) host_buf_printf(&j, " \"userDefinedMetadata\": %s,\n", metadata_json);
    host_buf_printf(&j, " \"modelTopology\": ");
    host_buf_add(&j, topo.p, topo.len);
    host_buf_printf(&j, ",\n \"weightsManifest\": [{\"paths\": [");
    for (int s = 1; s <= out->n_shards; s++) host_buf_printf(&j, "%s\"group1-shard%dof%d.bin\"", s > 1 ? ", " : "", s, out->n_shards);
    host_buf_printf(&j, "], \"weights\": [");
    if (man.len) host_buf_add(&j, man.p, man.len);
    host_buf_printf(&j, "\n  ]}]}\n");
    h->free(topo.p), h->free(man.p);
    out->json = j.p;
    out->weights = (uint8_t *)w.p;
    out->weights_len = w.len;
    return 0;
}
