/* core/nn/coreml_shapes.c — the CoreML reader's shape check (contract in core/nn/coreml_read.h):
 * each operation's declared output dims recomputed from its operands and parameters by the MIL op
 * definitions (elementwise ops broadcast numpy-style; conv and max_pool with custom/valid padding,
 * floor rounding; concat along an axis; upsample by its scale factors; reshape with -1 inferred and
 * the element count kept; transpose by perm; slice_by_index is checked where it is restated). */
#include <stdio.h>
#include <string.h>

#include "core/nn/coreml_read.h"

static char *dims_text(const int64_t *d, int nd, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < nd && n < cap; k++) n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? ", " : "", (long long)d[k]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

/* Output of a 2-D window op (conv, max_pool) over x [N, C, H, W]. */
static int window(struct cml_reader *r, const struct cml_arg *ps, int np, const struct cml_value *x, int64_t kh, int64_t kw,
                  int64_t *hw)
{
    int64_t st[2], dl[2], pad[4] = {0, 0, 0, 0}, one2[2] = {1, 1}, zero4[4] = {0, 0, 0, 0};
    const char *pt;
    int rc;
    if ((rc = cml_int_param(r, ps, np, "strides", st, 2, one2)) || (rc = cml_int_param(r, ps, np, "pad", pad, 4, zero4)) ||
        (rc = cml_str_param(r, ps, np, "pad_type", &pt, "valid")))
        return rc;
    if (cml_param(ps, np, "dilations")) {
        if ((rc = cml_int_param(r, ps, np, "dilations", dl, 2, one2))) return rc;
    } else {
        dl[0] = dl[1] = 1;
    }
    if (strcmp(pt, "custom")) memset(pad, 0, sizeof pad);
    if (st[0] < 1 || st[1] < 1 || dl[0] < 1 || dl[1] < 1) RERR(CPOSE_EINVAL, "strides and dilations must be positive");
    hw[0] = (x->d[2] + pad[0] + pad[1] - dl[0] * (kh - 1) - 1) / st[0] + 1;
    hw[1] = (x->d[3] + pad[2] + pad[3] - dl[1] * (kw - 1) - 1) / st[1] + 1;
    return CPOSE_OK;
}

int cml_check_shape(struct cml_reader *r, const char *type, const struct cml_arg *ps, int np, const struct cml_value *out)
{
    const struct cml_arg *px = cml_param(ps, np, "x");
    const struct cml_value *x = px ? &r->v[px->arg[0]] : NULL;
    int64_t d[CM_MAX_DIMS];
    int nd = x ? x->ndim : 0, rc;
    if (x) memcpy(d, x->d, sizeof d);
    if (!strcmp(type, "slice_by_index")) return CPOSE_OK;  /* checked axis by axis in cml_restate */
    if (!strcmp(type, "add") || !strcmp(type, "sub") || !strcmp(type, "mul") || !strcmp(type, "real_div")) {
        const struct cml_value *y = &r->v[cml_param(ps, np, "y")->arg[0]];
        nd = x->ndim > y->ndim ? x->ndim : y->ndim;
        for (int k = 0; k < nd; k++) {
            int kx = k - (nd - x->ndim), ky = k - (nd - y->ndim);
            int64_t a = kx >= 0 ? x->d[kx] : 1, b = ky >= 0 ? y->d[ky] : 1;
            if (a != b && a != 1 && b != 1) {
                char s1[128], s2[128];
                RERR(CPOSE_ESHAPE, "x %s and y %s do not broadcast", dims_text(x->d, x->ndim, s1, sizeof s1),
                     dims_text(y->d, y->ndim, s2, sizeof s2));
            }
            d[k] = a == 1 ? b : a;
        }
    } else if (!strcmp(type, "conv") || !strcmp(type, "max_pool")) {
        if (x->ndim != 4) RERR(CPOSE_ESHAPE, "x must be 4-D [N, C, H, W]");
        int64_t k[2], hw[2] = {0, 0};
        if (!strcmp(type, "conv")) {
            struct cml_value *w;
            if ((rc = cml_const_param(r, ps, np, "weight", &w))) return rc;
            if (!w || w->ndim != 4) RERR(CPOSE_ENOTSUP, "weight must be a 4-D constant (OIHW)");
            k[0] = w->d[2], k[1] = w->d[3], d[1] = w->d[0];
        } else if ((rc = cml_int_param(r, ps, np, "kernel_sizes", k, 2, NULL))) {
            return rc;
        }
        if ((rc = window(r, ps, np, x, k[0], k[1], hw))) return rc;
        d[2] = hw[0], d[3] = hw[1];
    } else if (!strcmp(type, "concat")) {
        const struct cml_arg *vals = cml_param(ps, np, "values");
        const struct cml_value *v0 = &r->v[vals->arg[0]];
        int64_t ax;
        if ((rc = cml_int_param(r, ps, np, "axis", &ax, 1, NULL))) return rc;
        nd = v0->ndim;
        if (ax < 0) ax += nd;
        if (ax < 0 || ax >= nd) RERR(CPOSE_EINVAL, "axis out of range for rank %d", nd);
        memcpy(d, v0->d, sizeof d);
        d[ax] = 0;
        for (int q = 0; q < vals->n; q++) {
            const struct cml_value *v = &r->v[vals->arg[q]];
            for (int k = 0; k < nd; k++)
                if (v->ndim != nd || (k != ax && v->d[k] != d[k])) RERR(CPOSE_ESHAPE, "value '%s' does not match the others off the axis", v->name);
            d[ax] += v->d[ax];
        }
    } else if (!strcmp(type, "upsample_nearest_neighbor")) {
        struct cml_value *sh, *sw;
        if ((rc = cml_const_param(r, ps, np, "scale_factor_height", &sh)) || (rc = cml_const_param(r, ps, np, "scale_factor_width", &sw)))
            return rc;
        if (nd < 2) RERR(CPOSE_ESHAPE, "x must have rank 2 or more");
        d[nd - 2] = (int64_t)((double)d[nd - 2] * (sh ? sh->f[0] : 1.0));
        d[nd - 1] = (int64_t)((double)d[nd - 1] * (sw ? sw->f[0] : 1.0));
    } else if (!strcmp(type, "reshape")) {
        struct cml_value *s;
        if ((rc = cml_const_param(r, ps, np, "shape", &s))) return rc;
        if (!s || s->numel < 1 || s->numel > CM_MAX_DIMS) RERR(CPOSE_EINVAL, "shape must be a constant of 1 to %d values", CM_MAX_DIMS);
        int64_t total = 1, known = 1;
        int infer = -1;
        for (int k = 0; k < x->ndim; k++) total *= x->d[k];
        nd = (int)s->numel;
        for (int k = 0; k < nd; k++) {
            d[k] = s->i[k] == 0 && k < x->ndim ? x->d[k] : s->i[k];
            if (d[k] == -1) {
                if (infer >= 0) RERR(CPOSE_EINVAL, "shape has two -1");
                infer = k;
            } else {
                known *= d[k];
            }
        }
        if (infer >= 0) d[infer] = known ? total / known : 0;
        if (known * (infer >= 0 ? d[infer] : 1) != total) RERR(CPOSE_ESHAPE, "shape does not keep x's %lld elements", (long long)total);
    } else if (!strcmp(type, "transpose")) {
        int64_t perm[CM_MAX_DIMS];
        if ((rc = cml_int_param(r, ps, np, "perm", perm, x->ndim, NULL))) return rc;
        int seen = 0;
        for (int k = 0; k < nd; k++) {
            if (perm[k] < 0 || perm[k] >= nd || (seen >> perm[k] & 1)) RERR(CPOSE_EINVAL, "perm is not a permutation of 0..%d", nd - 1);
            seen |= 1 << perm[k];
            d[k] = x->d[perm[k]];
        }
    }
    /* silu, sigmoid, softmax, cast: the shape of x */
    if (nd != out->ndim || memcmp(d, out->d, (size_t)nd * sizeof(int64_t))) {
        char s1[128], s2[128];
        RERR(CPOSE_ESHAPE, "output type %s differs from the computed %s", dims_text(out->d, out->ndim, s1, sizeof s1),
             dims_text(d, nd, s2, sizeof s2));
    }
    return CPOSE_OK;
}
