/* core/predict/predict_write.c — predict outputs: YOLO-format txt labels per image and the run's
 * COCO-results predictions.json (through cJSON), both written atomically. */
#include "core/predict/predict.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"

int cpose_pred_write_txt(const char *path, const struct cpose_pred_result *r, int save_conf)
{
    if (r->n == 0) return CPOSE_OK;
    struct cpose_atomic_file f;
    int rc = cpose_atomic_open(&f, path);
    if (rc) return rc;
    float W = (float)r->orig_w, H = (float)r->orig_h;
    for (int64_t i = 0; i < r->n; i++) {
        const float *b = r->boxes + 4 * i;
        fprintf(f.fp, "%d %g %g %g %g", r->classes[i], (double)((b[0] + b[2]) / 2 / W),
                (double)((b[1] + b[3]) / 2 / H), (double)((b[2] - b[0]) / W), (double)((b[3] - b[1]) / H));
        for (int k = 0; k < r->nkpt; k++) {
            const float *p = r->kpts + ((size_t)i * r->nkpt + k) * r->kdim;
            fprintf(f.fp, " %g %g", (double)(p[0] / W), (double)(p[1] / H));
            if (r->kdim == 3) fprintf(f.fp, " %g", (double)p[2]);
        }
        if (save_conf) fprintf(f.fp, " %g", (double)r->scores[i]);
        fputc('\n', f.fp);
    }
    return cpose_atomic_commit(&f);
}

/* Rows are streamed to an anonymous temporary file as they come (a COCO-sized run has millions
 * of numbers: no in-memory tree), then copied into the destination atomically. */
struct cpose_pred_json {
    FILE *tmp;
    int64_t rows;
    int failed;
};

struct cpose_pred_json *cpose_pred_json_new(void)
{
    struct cpose_pred_json *j = cpose_calloc(1, sizeof *j);
    j->tmp = tmpfile();
    if (!j->tmp) j->failed = 1;
    return j;
}

/* Python's round(x, digits) for the magnitudes seen here: correctly rounded decimal text. */
static double round_to(double x, int digits)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", digits, x);
    double v = strtod(buf, NULL);
    return v == 0.0 ? 0.0 : v; /* no "-0.0" */
}

/* Shortest of %.15g/%.16g/%.17g that reads back as the same double (like Python's repr). */
static void put_num(FILE *f, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
}

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}

void cpose_pred_json_add(struct cpose_pred_json *j, const struct cpose_pred_result *r)
{
    if (j->failed) return;
    char *stem = cpose_path_stem(r->path ? r->path : "");
    int numeric = stem[0] != 0 && strlen(stem) < 19;
    for (const char *c = stem; *c; c++)
        if (!isdigit((unsigned char)*c)) numeric = 0;
    FILE *f = j->tmp;
    for (int64_t i = 0; i < r->n; i++) {
        fputs(j->rows++ ? ", {\"image_id\": " : "{\"image_id\": ", f);
        if (numeric) fprintf(f, "%lld", strtoll(stem, NULL, 10));
        else put_json_string(f, stem);
        fprintf(f, ", \"category_id\": %d, \"bbox\": [", r->classes[i]);
        const float *b = r->boxes + 4 * i;
        double bb[4] = {round_to(b[0], 3), round_to(b[1], 3), round_to((double)b[2] - b[0], 3),
                        round_to((double)b[3] - b[1], 3)};
        for (int k = 0; k < 4; k++) {
            if (k) fputs(", ", f);
            put_num(f, bb[k]);
        }
        fputs("], \"keypoints\": [", f);
        int nk = r->nkpt * r->kdim;
        for (int k = 0; k < nk; k++) {
            if (k) fputs(", ", f);
            put_num(f, r->kpts[(size_t)i * nk + k]);
        }
        fputs("], \"score\": ", f);
        put_num(f, round_to(r->scores[i], 5));
        fputc('}', f);
    }
    if (ferror(f)) j->failed = 1;
    cpose_free(stem);
}

int cpose_pred_json_write(const struct cpose_pred_json *j, const char *path)
{
    if (j->failed || fflush(j->tmp) != 0) return cpose_err(CPOSE_EIO, "cannot write %s: temporary file failed", path);
    struct cpose_atomic_file af;
    int rc = cpose_atomic_open(&af, path);
    if (rc) return rc;
    fputc('[', af.fp);
    rewind(j->tmp);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, j->tmp)) > 0)
        if (fwrite(buf, 1, n, af.fp) != n) break;
    fseek(j->tmp, 0, SEEK_END);
    fputs("]\n", af.fp);
    if (ferror(af.fp) || ferror(j->tmp)) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "write failed on %s", path);
    }
    return cpose_atomic_commit(&af);
}

void cpose_pred_json_free(struct cpose_pred_json *j)
{
    if (!j) return;
    if (j->tmp) fclose(j->tmp);
    cpose_free(j);
}

/* Ultralytics' increment_path for a file: "a/x.jpg", then "a/x2.jpg", "a/x3.jpg", ... */
static char *next_free_file(const char *dir, const char *stem, const char *ext)
{
    char *p = cpose_asprintf("%s/%s%s", dir, stem, ext);
    for (int i = 2; cpose_path_is_file(p); i++) {
        cpose_free(p);
        p = cpose_asprintf("%s/%s%d%s", dir, stem, i, ext);
    }
    return p;
}

int cpose_pred_save_crops(const char *dir, const struct cpose_pred_result *r, const struct cpose_image *img,
                          char *const *names, int n_names)
{
    char *stem = cpose_path_stem(r->path ? r->path : "image");
    int rc = CPOSE_OK;
    for (int64_t i = 0; i < r->n && rc == CPOSE_OK; i++) {
        const float *b = r->boxes + 4 * i;
        float cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
        float w = (b[2] - b[0]) * 1.02f + 10, h = (b[3] - b[1]) * 1.02f + 10;
        int64_t x1 = (int64_t)(cx - w / 2), y1 = (int64_t)(cy - h / 2), x2 = (int64_t)(cx + w / 2), y2 = (int64_t)(cy + h / 2);
        x1 = x1 < 0 ? 0 : (x1 > img->w ? img->w : x1);
        x2 = x2 < 0 ? 0 : (x2 > img->w ? img->w : x2);
        y1 = y1 < 0 ? 0 : (y1 > img->h ? img->h : y1);
        y2 = y2 < 0 ? 0 : (y2 > img->h ? img->h : y2);
        if (x2 <= x1 || y2 <= y1) continue; /* nothing to save */
        char idbuf[24];
        int c = r->classes[i];
        const char *name = names && c >= 0 && c < n_names ? names[c] : (snprintf(idbuf, sizeof idbuf, "%d", c), idbuf);
        char *sub = cpose_asprintf("%s/crops/%s", dir, name);
        if ((rc = cpose_mkdirs(sub)) == CPOSE_OK) {
            struct cpose_image crop = {0};
            rc = cpose_image_new(&crop, (int)(x2 - x1), (int)(y2 - y1), img->c, 0);
            for (int64_t y = y1; rc == CPOSE_OK && y < y2; y++)
                memcpy(crop.data + (size_t)(y - y1) * crop.w * img->c, img->data + ((size_t)y * img->w + x1) * img->c,
                       (size_t)crop.w * img->c);
            char *p = next_free_file(sub, stem, ".jpg");
            if (rc == CPOSE_OK) rc = cpose_image_write(p, &crop, 0);
            cpose_free(p);
            cpose_image_free(&crop);
        }
        cpose_free(sub);
    }
    cpose_free(stem);
    return rc;
}
