/* core/cli/cli_model.c — the model modes of the command line: `info`, `forward` and `benchmark`. */
#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "core/nn/h5io.h"
#include "core/nn/kernels.h"
#include "core/base/log.h"
#include "core/nn/model.h"
#include "core/predict/nms.h"
#include "core/nn/tensor.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int cpose_mode_info(int argc, char **argv)
{
    struct cpose_args a;
    struct cpose_model *m = NULL;
    struct cpose_model_summary s;
    if (cpose_cli_parse("info", argc, argv, &a)) return 1;
    int rc = cpose_cli_load_model(&a, &m);
    int fused = cpose_args_bool(&a, "fuse");
    if (!rc) rc = cpose_model_summary(m, fused, (int)cpose_args_int(&a, "imgsz", 640), &s);
    if (!rc)
        printf("%s summary%s: %lld layers, %lld parameters, %lld gradients, %.1f GFLOPs\n", s.name,
               fused ? " (fused)" : "", (long long)s.layers, (long long)s.params, (long long)s.gradients, s.gflops);
    if (!rc && cpose_args_given(&a, "verbose") && cpose_args_bool(&a, "verbose"))
        printf("GFLOPs %.4f at imgsz %lld\n", s.gflops, (long long)cpose_args_int(&a, "imgsz", 640));
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("info") : 0;
}

/* Writes the NMS rows of each image of pred [B, C, A] as `nms_<val|predict>_conf<c>_iou<i>` (the
 * fixture's names; `_b<k>` appended when B > 1): [n, 6 + nkpt·kdim] rows x1 y1 x2 y2 conf cls kpts. */
static int write_nms_rows(struct cpose_h5 *out, const struct cpose_args *a, const char *which,
                          const struct cpose_model_info *info, const float *pred, int64_t B, int64_t A)
{
    struct cpose_nms_opts o;
    if (!strcmp(which, "val")) cpose_nms_opts_val(&o, info->nc);
    else cpose_nms_opts_predict(&o, info->nc);
    o.conf = cpose_args_float(a, "conf", o.conf);
    o.iou = cpose_args_float(a, "iou", o.iou);
    o.max_det = (int)cpose_args_int(a, "max_det", o.max_det);
    o.agnostic = cpose_args_bool(a, "agnostic_nms");
    int64_t C = info->n_outputs, width = 6 + C - 4 - info->nc;
    for (int64_t b = 0; b < B; b++) {
        float *rows = NULL;
        int64_t n = 0;
        int rc = cpose_nms(pred + b * C * A, C, A, &o, &rows, &n);
        char name[96];
        int len = snprintf(name, sizeof name, "nms_%s_conf%g_iou%g", which, o.conf, o.iou);
        if (B > 1) snprintf(name + len, sizeof name - (size_t)len, "_b%lld", (long long)b);
        int64_t d[2] = {n, width};
        float empty = 0;
        if (rc == CPOSE_OK) rc = cpose_h5_write_f32(out, name, rows ? rows : &empty, 2, d);
        cpose_free(rows);
        if (rc) return rc;
    }
    return CPOSE_OK;
}

int cpose_mode_forward(int argc, char **argv)
{
    struct cpose_args a;
    struct cpose_model *m = NULL;
    struct cpose_h5 *in = NULL, *out = NULL;
    float *x = NULL, *buf = NULL;
    int rc = CPOSE_OK, nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    if (cpose_cli_parse("forward", argc, argv, &a)) return 1;
    cpose_cli_apply_threads(&a);
    const char *nms = cpose_args_str(&a, "nms_rows");
    int want_nms = *nms != 0;
    if (want_nms && strcmp(nms, "val") && strcmp(nms, "predict")) {
        rc = cpose_err(CPOSE_EINVAL, "nms_rows=%s: forward takes nms_rows=val (conf 0.001, multi-label) or nms_rows=predict (conf 0.25)", nms);
        goto done;
    }
    if (cpose_args_is_none(&a, "input") || cpose_args_is_none(&a, "output")) {
        rc = cpose_err(CPOSE_EINVAL, "input=IN.h5 and output=OUT.h5 are required");
        goto done;
    }
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto done;
    if ((rc = cpose_h5_open(cpose_args_str(&a, "input"), &in)) != CPOSE_OK) goto done;
    if ((rc = cpose_h5_read_f32(in, "input", &x, &nd, d)) != CPOSE_OK) goto done;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    if (nd != 4 || d[1] != 3 || d[2] % info->max_stride || d[3] % info->max_stride) {
        char s[96];
        rc = cpose_err(CPOSE_ESHAPE, "%s: dataset 'input' is %s; expected [B, 3, H, W] with H, W multiples of %d",
                       cpose_args_str(&a, "input"), cpose_shape_str(d, nd, s, sizeof s), info->max_stride);
        goto done;
    }
    int64_t B = d[0], H = d[2], W = d[3], A = cpose_model_num_anchors(m, H, W);
    size_t maxn = (size_t)B * (info->n_outputs > 65 ? info->n_outputs : 65) * A;
    buf = cpose_malloc(maxn * sizeof(float) + (size_t)B * 64 * 4 * H * W / 64 + 1024);
    if ((rc = cpose_model_predict(m, x, B, H, W, buf)) != CPOSE_OK) goto done;
    if ((rc = cpose_h5_create(cpose_args_str(&a, "output"), &out)) != CPOSE_OK) goto done;
    int64_t pd[3] = {B, info->n_outputs, A};
    if ((rc = cpose_h5_write_f32(out, "pred", buf, 3, pd)) != CPOSE_OK) goto done;
    if (want_nms && (rc = write_nms_rows(out, &a, nms, info, buf, B, A)) != CPOSE_OK) goto done;
    for (int l = 0; l < info->n_levels; l++) {
        int64_t s = info->strides[l], ld[4] = {B, 4 * 16 + info->nc, H / s, W / s};
        char name[32];
        snprintf(name, sizeof name, "level%d_raw", l);
        if ((rc = cpose_model_level_raw(m, l, buf)) != CPOSE_OK) goto done;
        if ((rc = cpose_h5_write_f32(out, name, buf, 4, ld)) != CPOSE_OK) goto done;
    }
    int64_t kd[3] = {B, info->nkpt * info->kdim, A};
    if ((rc = cpose_model_kpt_raw(m, buf)) != CPOSE_OK) goto done;
    if ((rc = cpose_h5_write_f32(out, "kpt_raw", buf, 3, kd)) != CPOSE_OK) goto done;
    rc = cpose_h5_commit(out);
    out = NULL;
    if (!rc) cpose_info("wrote %s: pred [%lld, %d, %lld], level*_raw, kpt_raw", cpose_args_str(&a, "output"),
                        (long long)B, info->n_outputs, (long long)A);
done:
    cpose_h5_close(out);
    cpose_h5_close(in);
    cpose_free(x), cpose_free(buf);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("forward") : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cpose_mode_benchmark(int argc, char **argv)
{
    struct cpose_args a;
    struct cpose_model *m = NULL;
    float *x = NULL, *pred = NULL;
    double *t = NULL;
    int rc = CPOSE_OK;
    if (cpose_cli_parse("benchmark", argc, argv, &a)) return 1;
    cpose_cli_apply_threads(&a);
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto done;
    if (cpose_args_bool(&a, "backward")) {
        rc = cpose_cli_benchmark_train(&a, m);
        goto done;
    }
    /* the per-format table; with half=True or int8=True (and no format=) the latency of cpose's own
     * forward in that precision, data= then being int8's calibration set */
    int lowp = cpose_args_bool(&a, "half") || cpose_args_bool(&a, "int8");
    if ((!cpose_args_is_none(&a, "data") && !lowp) || cpose_args_given(&a, "format")) {
        rc = cpose_cli_benchmark_formats(&a, m);
        goto done;
    }
    const struct cpose_model_info *info = cpose_model_get_info(m);
    int64_t S = cpose_args_int(&a, "imgsz", 640);
    /* batch defaults to 16 for training; a latency benchmark means 1 unless given */
    int64_t B = cpose_args_given(&a, "batch") ? cpose_args_int(&a, "batch", 1) : 1;
    int runs = (int)cpose_args_int(&a, "runs", 50), warm = (int)cpose_args_int(&a, "warmup", 5);
    if (S % info->max_stride || S <= 0 || B < 1 || runs < 1 || warm < 0) {
        rc = cpose_err(CPOSE_EINVAL, "imgsz=%lld must be a multiple of %d; batch, runs ≥ 1; warmup ≥ 0", (long long)S,
                       info->max_stride);
        goto done;
    }
    if ((rc = cpose_cli_apply_precision(&a, m, (int)S)) != CPOSE_OK) goto done;
    size_t n = (size_t)B * 3 * S * S;
    x = cpose_malloc(n * sizeof(float));
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    pred = cpose_malloc((size_t)B * info->n_outputs * cpose_model_num_anchors(m, S, S) * sizeof(float));
    t = cpose_malloc(runs * sizeof(double));
    for (int i = 0; i < warm && !rc; i++) rc = cpose_model_predict(m, x, B, S, S, pred);
    int adapted = 0;  /* runs the load-adaptive executor gave fewer threads than requested */
    for (int i = 0; i < runs && !rc; i++) {
        double t0 = cpose_now();
        rc = cpose_model_predict(m, x, B, S, S, pred);
        t[i] = (cpose_now() - t0) * 1e3;
        adapted += cpose_model_last_threads(m) < omp_get_max_threads();
    }
    if (rc) goto done;
    qsort(t, runs, sizeof *t, cmp_double);
    double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
    struct cpose_model_summary sum;
    if ((rc = cpose_model_summary(m, 1, (int)S, &sum)) != CPOSE_OK) goto done;
    printf("%s imgsz=%lld batch=%lld threads=%d runs=%d: median %.2f ms (min %.2f, max %.2f)\n", sum.name,
           (long long)S, (long long)B, omp_get_max_threads(), runs, med, t[0], t[runs - 1]);
    int n_lowp, n_f32, prec = cpose_model_get_precision(m);
    cpose_model_precision_count(m, &n_lowp, &n_f32);
    printf("precision: %s (%d of %d convs%s; %s)\n", prec == CPOSE_PREC_BF16 ? "bf16" : prec == CPOSE_PREC_INT8 ? "int8" : "float32",
           prec ? n_lowp : n_f32, n_lowp + n_f32, prec ? ", the rest float32" : "", cpose_cpu_isa_name());
    printf("peak RSS %.1f MiB, %.2f GFLOPs per image (fused), %.1f GFLOP/s achieved\n",
           cpose_peak_rss_bytes() / 1048576.0, sum.gflops, sum.gflops * B / (med / 1e3));
    if (adapted)
        printf("load-adaptive threads: %d of %d runs used fewer than %d threads (other processes kept CPUs busy; "
               "CPOSE_ADAPT_THREADS=0 turns it off)\n", adapted, runs, omp_get_max_threads());
    /* a busy machine makes spinning OpenMP threads wait on descheduled ones: say so */
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    if (load > omp_get_num_procs() + 0.5)
        cpose_warn("the machine is busy (load average %.1f on %d cores): timings are unreliable%s", load,
                   omp_get_num_procs(), getenv("OMP_WAIT_POLICY") ? "" : "; OMP_WAIT_POLICY=passive can be faster under contention");
done:
    cpose_free(x), cpose_free(pred), cpose_free(t);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("benchmark") : 0;
}
