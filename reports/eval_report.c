/* reports/eval_report.c — stats JSON, Markdown and HTML (inline SVG PR curves) for COCO evaluations. */
#include "reports/eval_report.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "reports/svg.h"

double cpose_cocoeval_pr_point(const struct cpose_cocoeval *e, int t, int i)
{
    const struct cpose_cocoeval_params *p = &e->params;
    int R = p->n_rec, K = e->n_cat, A = p->n_area, M = p->n_max_dets, m = M - 1;
    double s = 0;
    int n = 0;
    for (int k = 0; k < K; k++) {
        double v = e->precision[((((size_t)t * R + i) * K + k) * A + 0) * M + m];
        if (v > -1) { s += v; n++; }
    }
    return n ? s / n : -1;
}

double cpose_cocoeval_ar_area(const struct cpose_cocoeval *e, int a)
{
    const struct cpose_cocoeval_params *p = &e->params;
    int T = p->n_iou, K = e->n_cat, A = p->n_area, M = p->n_max_dets, m = M - 1;
    size_t n = 0;
    double *v = cpose_malloc(((size_t)T * K + 1) * sizeof *v);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++) {
            double x = e->recall[(((size_t)t * K + k) * A + a) * M + m];
            if (x > -1) v[n++] = x;
        }
    double r = n ? cpose_np_sum(v, n) / (double)n : -1;
    cpose_free(v);
    return r;
}

/* AP over all thresholds for area a at the last maxDets (summarize's rule). */
static double ap_area(const struct cpose_cocoeval *e, int a)
{
    const struct cpose_cocoeval_params *p = &e->params;
    double s;
    int n = 0;
    int T = p->n_iou, R = p->n_rec, K = e->n_cat, A = p->n_area, M = p->n_max_dets, m = M - 1;
    double *v = cpose_malloc(((size_t)T * R * K + 1) * sizeof *v);
    for (int t = 0; t < T; t++)
        for (int r = 0; r < R; r++)
            for (int k = 0; k < K; k++) {
                double x = e->precision[((((size_t)t * R + r) * K + k) * A + a) * M + m];
                if (x > -1) v[n++] = x;
            }
    s = n ? cpose_np_sum(v, (size_t)n) / n : -1;
    cpose_free(v);
    return s;
}

/* AP of category index k (area all, last maxDets) over all thresholds (t < 0) or at threshold t;
 * -1 when the category has no GT. */
static double ap_cat(const struct cpose_cocoeval *e, int k, int t_only)
{
    const struct cpose_cocoeval_params *p = &e->params;
    int T = p->n_iou, R = p->n_rec, K = e->n_cat, A = p->n_area, M = p->n_max_dets, m = M - 1;
    double *v = cpose_malloc(((size_t)T * R + 1) * sizeof *v);
    size_t n = 0;
    for (int t = 0; t < T; t++) {
        if (t_only >= 0 && t != t_only) continue;
        for (int r = 0; r < R; r++) {
            double x = e->precision[((((size_t)t * R + r) * K + k) * A + 0) * M + m];
            if (x > -1) v[n++] = x;
        }
    }
    double ap = n ? cpose_np_sum(v, n) / (double)n : -1;
    cpose_free(v);
    return ap;
}

/* Index of IoU threshold value x in the parameters, or -1. */
static int thr_index(const struct cpose_cocoeval *e, double x)
{
    for (int t = 0; t < e->params.n_iou; t++)
        if (e->params.iou_thrs[t] == x) return t;
    return -1;
}

static void add_eval_json(cJSON *root, const char *name, const struct cpose_cocoeval *e)
{
    if (!e) return;
    char key[64], line[160];
    cJSON_AddItemToObject(root, name, cJSON_CreateDoubleArray(e->stats, e->n_stats));
    double ap[CPOSE_COCOEVAL_MAX_THRS];
    for (int t = 0; t < e->params.n_iou; t++) ap[t] = cpose_cocoeval_ap_at(e, t, 0, e->params.n_max_dets - 1);
    snprintf(key, sizeof key, "%s_ap_per_iou", name);
    cJSON_AddItemToObject(root, key, cJSON_CreateDoubleArray(ap, e->params.n_iou));
    if (!cJSON_GetObjectItem(root, "iou_thrs"))
        cJSON_AddItemToObject(root, "iou_thrs", cJSON_CreateDoubleArray(e->params.iou_thrs, e->params.n_iou));
    cJSON *lines = cJSON_CreateArray();
    for (int i = 0; i < e->n_stats; i++) {
        cpose_cocoeval_summary_line(e, i, line, sizeof line);
        cJSON_AddItemToArray(lines, cJSON_CreateString(line));
    }
    snprintf(key, sizeof key, "%s_summary", name);
    cJSON_AddItemToObject(root, key, lines);
    cJSON *areas = cJSON_CreateObject();
    for (int a = 0; a < e->params.n_area; a++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "ap", ap_area(e, a));
        cJSON_AddNumberToObject(o, "ar", cpose_cocoeval_ar_area(e, a));
        cJSON_AddItemToObject(areas, e->params.area_lbl[a], o);
    }
    snprintf(key, sizeof key, "%s_per_area", name);
    cJSON_AddItemToObject(root, key, areas);
    cJSON *cats = cJSON_CreateArray();
    int t50 = thr_index(e, .5), t75 = thr_index(e, .75);
    for (int k = 0; k < e->n_cat; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "category_id", (double)e->cat_ids[k]);
        cJSON_AddNumberToObject(o, "ap", ap_cat(e, k, -1));
        cJSON_AddNumberToObject(o, "ap50", t50 >= 0 ? ap_cat(e, k, t50) : -1);
        cJSON_AddNumberToObject(o, "ap75", t75 >= 0 ? ap_cat(e, k, t75) : -1);
        cJSON_AddItemToArray(cats, o);
    }
    snprintf(key, sizeof key, "%s_per_category", name);
    cJSON_AddItemToObject(root, key, cats);
}

char *cpose_eval_report_json(const struct cpose_eval_report *r)
{
    cJSON *root = cJSON_CreateObject();
    if (r->gt_path) cJSON_AddStringToObject(root, "gt", r->gt_path);
    if (r->pred_path) cJSON_AddStringToObject(root, "pred", r->pred_path);
    if (r->seconds > 0) cJSON_AddNumberToObject(root, "seconds", r->seconds);
    add_eval_json(root, "keypoints", r->keypoints);
    add_eval_json(root, "bbox", r->bbox);
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = cpose_strdup(txt);
    cJSON_free(txt);
    return out;
}

static int write_text(const char *path, const char *text)
{
    int rc = cpose_write_file_atomic(path, text, strlen(text));
    if (rc != CPOSE_OK) return cpose_err_context(rc, "writing %s", path);
    return CPOSE_OK;
}

int cpose_eval_report_write_json(const struct cpose_eval_report *r, const char *path)
{
    char *txt = cpose_eval_report_json(r);
    char *withnl = cpose_asprintf("%s\n", txt);
    cpose_free(txt);
    int rc = write_text(path, withnl);
    cpose_free(withnl);
    return rc;
}

/* ---- Markdown ---- */

static void md_fmt(char *buf, size_t n, double v)
{
    if (v < 0) snprintf(buf, n, "–");
    else snprintf(buf, n, "%.3f", v);
}

static void md_eval(FILE *f, const char *title, const struct cpose_cocoeval *e)
{
    if (!e) return;
    char line[160], a[32], b[32];
    fprintf(f, "## %s\n\n```\n", title);
    for (int i = 0; i < e->n_stats; i++) {
        cpose_cocoeval_summary_line(e, i, line, sizeof line);
        fprintf(f, "%s\n", line);
    }
    fprintf(f, "```\n\n| IoU threshold | AP |\n|---|---|\n");
    for (int t = 0; t < e->params.n_iou; t++) {
        md_fmt(a, sizeof a, cpose_cocoeval_ap_at(e, t, 0, e->params.n_max_dets - 1));
        fprintf(f, "| %.2f | %s |\n", e->params.iou_thrs[t], a);
    }
    fprintf(f, "\n| area | AP | AR |\n|---|---|---|\n");
    for (int ar = 0; ar < e->params.n_area; ar++) {
        md_fmt(a, sizeof a, ap_area(e, ar));
        md_fmt(b, sizeof b, cpose_cocoeval_ar_area(e, ar));
        fprintf(f, "| %s | %s | %s |\n", e->params.area_lbl[ar], a, b);
    }
    int t50 = thr_index(e, .5), t75 = thr_index(e, .75);
    fprintf(f, "\n| category | AP | AP50 | AP75 |\n|---|---|---|---|\n");
    for (int k = 0; k < e->n_cat; k++) {
        char c[32];
        md_fmt(a, sizeof a, ap_cat(e, k, -1));
        md_fmt(b, sizeof b, t50 >= 0 ? ap_cat(e, k, t50) : -1);
        md_fmt(c, sizeof c, t75 >= 0 ? ap_cat(e, k, t75) : -1);
        fprintf(f, "| %lld | %s | %s | %s |\n", (long long)e->cat_ids[k], a, b, c);
    }
    fprintf(f, "\n");
}

static char *build_markdown(const struct cpose_eval_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "# COCO evaluation\n\n");
    if (r->gt_path) fprintf(f, "- ground truth: `%s`\n", r->gt_path);
    if (r->pred_path) fprintf(f, "- predictions: `%s`\n", r->pred_path);
    if (r->seconds > 0) fprintf(f, "- evaluation time: %.3f s\n", r->seconds);
    fprintf(f, "\n");
    md_eval(f, "Keypoints (OKS)", r->keypoints);
    md_eval(f, "Boxes (IoU)", r->bbox);
    fclose(f);
    char *out = cpose_strdup(buf);
    free(buf);
    return out;
}

int cpose_eval_report_write_markdown(const struct cpose_eval_report *r, const char *path)
{
    char *md = build_markdown(r);
    int rc = write_text(path, md);
    cpose_free(md);
    return rc;
}

/* ---- HTML ---- */

/* An SVG precision-recall chart: one curve per IoU threshold (area all, last maxDets). */
static void svg_pr(FILE *f, const struct cpose_cocoeval *e, const char *title)
{
    int T = e->params.n_iou, R = e->params.n_rec;
    struct cpose_svg_series s[CPOSE_COCOEVAL_MAX_THRS];
    double *y = cpose_malloc((size_t)T * R * sizeof *y);
    char labels[CPOSE_COCOEVAL_MAX_THRS][48];
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < R; i++) y[(size_t)t * R + i] = cpose_cocoeval_pr_point(e, t, i);
        snprintf(labels[t], sizeof labels[t], "IoU %.2f: %.3f", e->params.iou_thrs[t],
                 cpose_cocoeval_ap_at(e, t, 0, e->params.n_max_dets - 1));
        s[t] = (struct cpose_svg_series){e->rec_thrs, y + (size_t)t * R, R, labels[t]};
    }
    cpose_svg_chart(f, title, "recall", "precision", s, T);
    cpose_free(y);
}


static void html_eval(FILE *f, const char *title, const struct cpose_cocoeval *e)
{
    if (!e) return;
    char line[160];
    fprintf(f, "<h2>");
    cpose_html_escape(f, title);
    fprintf(f, "</h2>\n<pre>");
    for (int i = 0; i < e->n_stats; i++) {
        cpose_cocoeval_summary_line(e, i, line, sizeof line);
        cpose_html_escape(f, line);
        fputc('\n', f);
    }
    fprintf(f, "</pre>\n<div class=\"row\">\n");
    svg_pr(f, e, title);
    fprintf(f, "<table><tr><th>IoU</th><th>AP</th></tr>\n");
    for (int t = 0; t < e->params.n_iou; t++)
        fprintf(f, "<tr><td>%.2f</td><td>%.3f</td></tr>\n", e->params.iou_thrs[t],
                cpose_cocoeval_ap_at(e, t, 0, e->params.n_max_dets - 1));
    fprintf(f, "</table>\n<table><tr><th>area</th><th>AP</th><th>AR</th></tr>\n");
    for (int a = 0; a < e->params.n_area; a++) {
        fprintf(f, "<tr><td>");
        cpose_html_escape(f, e->params.area_lbl[a]);
        fprintf(f, "</td><td>%.3f</td><td>%.3f</td></tr>\n", ap_area(e, a), cpose_cocoeval_ar_area(e, a));
    }
    int t50 = thr_index(e, .5), t75 = thr_index(e, .75);
    fprintf(f, "</table>\n<table><tr><th>category</th><th>AP</th><th>AP50</th><th>AP75</th></tr>\n");
    for (int k = 0; k < e->n_cat; k++)
        fprintf(f, "<tr><td>%lld</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n", (long long)e->cat_ids[k],
                ap_cat(e, k, -1), t50 >= 0 ? ap_cat(e, k, t50) : -1, t75 >= 0 ? ap_cat(e, k, t75) : -1);
    fprintf(f, "</table>\n</div>\n");
}

static char *build_html(const struct cpose_eval_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>COCO evaluation</title>\n"
               "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:.6em}"
               "table{border-collapse:collapse;margin:0 1em;vertical-align:top}td,th{border:1px solid #ccc;"
               "padding:2px 8px;text-align:right}.row{display:flex;align-items:flex-start}</style>\n"
               "</head>\n<body>\n<h1>COCO evaluation</h1>\n<ul>\n");
    if (r->gt_path) { fprintf(f, "<li>ground truth: <code>"); cpose_html_escape(f, r->gt_path); fprintf(f, "</code></li>\n"); }
    if (r->pred_path) { fprintf(f, "<li>predictions: <code>"); cpose_html_escape(f, r->pred_path); fprintf(f, "</code></li>\n"); }
    if (r->seconds > 0) fprintf(f, "<li>evaluation time: %.3f s</li>\n", r->seconds);
    fprintf(f, "</ul>\n");
    html_eval(f, "Keypoints (OKS)", r->keypoints);
    html_eval(f, "Boxes (IoU)", r->bbox);
    fprintf(f, "</body>\n</html>\n");
    fclose(f);
    char *out = cpose_strdup(buf);
    free(buf);
    return out;
}

int cpose_eval_report_write_html(const struct cpose_eval_report *r, const char *path)
{
    char *html = build_html(r);
    int rc = write_text(path, html);
    cpose_free(html);
    return rc;
}

int cpose_eval_report_write_dir(const struct cpose_eval_report *r, const char *dir)
{
    int rc = cpose_mkdirs(dir);
    if (rc != CPOSE_OK) return rc;
    const char *names[3] = {"metrics.json", "report.md", "report.html"};
    for (int i = 0; i < 3 && rc == CPOSE_OK; i++) {
        char *p = cpose_path_join(dir, names[i]);
        rc = i == 0 ? cpose_eval_report_write_json(r, p)
                    : i == 1 ? cpose_eval_report_write_markdown(r, p) : cpose_eval_report_write_html(r, p);
        cpose_free(p);
    }
    return rc;
}
