/* eval/val_html.c — val.html: the `yolo val` table and inline-SVG precision-recall curves at IoU/OKS
 * 0.5 (Box and Pose, per class when there are at most 20, and the class mean with its mAP@0.5, as
 * Ultralytics' PR_curve plots show them). Self-contained, written atomically. */
#include <string.h>

#include "alloc.h"
#include "fsutil.h"
#include "val_impl.h"

static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

/* One polyline of 1000 precision values over recall linspace(0, 1, 1000), every 4th point. */
static void curve(FILE *f, const double *py, const char *color, double width, int x0, int y0, int w, int h)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" points=\"", color, width);
    for (int i = 0; i < CPOSE_VAL_NPX; i += (i + 4 < CPOSE_VAL_NPX ? 4 : 1)) {
        double x = x0 + w * (double)i / (CPOSE_VAL_NPX - 1), y = y0 + h * (1 - py[i]);
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fputs("\"/>\n", f);
}

static void svg_pr(FILE *f, const struct cpose_det_metric *m, const char *title, char *const *names, int nc)
{
    const int W = 520, H = 400, x0 = 50, y0 = 30, w = 300, h = 320;
    static const char *const colors[] = {"#ff3838", "#ff9d97", "#ff701f", "#ffb21d", "#cfd231", "#48f90a", "#92cc17",
                                         "#3ddb86", "#1a9334", "#00d4bb", "#2c99a8", "#00c2ff", "#344593", "#6473ff",
                                         "#0018ec", "#8438ff", "#520085", "#cb38ff", "#ff95c8", "#ff37c7"};
    fprintf(f, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n", title, W, H);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", x0, y0, w, h);
    for (int t = 0; t <= 10; t += 2) {
        double v = t / 10.0;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.1f</text>\n", x0 + w * v,
                y0 + h + 15, v);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.1f</text>\n", x0 - 5,
                y0 + h * (1 - v) + 4, v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">Recall</text>\n", x0 + w / 2,
            y0 + h + 32);
    fprintf(f, "<text x=\"12\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">"
               "Precision</text>\n", y0 + h / 2, y0 + h / 2);
    int n = m->n_ap_class, ly = y0 + 10;
    double *mean = cpose_calloc(CPOSE_VAL_NPX, sizeof(double));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < CPOSE_VAL_NPX; k++) mean[k] += m->prec_values[(size_t)i * CPOSE_VAL_NPX + k] / n;
    if (n <= 20)
        for (int i = 0; i < n; i++) {
            const char *col = colors[i % 20];
            curve(f, m->prec_values + (size_t)i * CPOSE_VAL_NPX, col, 1.0, x0, y0, w, h);
            int c = m->ap_class[i];
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">", x0 + w + 10, ly, col);
            if (names && c < nc) html_escape(f, names[c]);
            else fprintf(f, "%d", c);
            fprintf(f, " %.3f</text>\n", m->ap50[i]);
            ly += 14;
        }
    if (n > 0) {
        curve(f, mean, "#1f50b4", 3.0, x0, y0, w, h);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#1f50b4\">all classes %.3f mAP@0.5</text>\n",
                x0 + w + 10, ly, m->map50);
    }
    cpose_free(mean);
    fputs("</svg>\n", f);
}

int cpose_val_write_html(const struct cpose_val_summary *s, char *const *names, int nc, const char *path)
{
    const struct cpose_val_results *r = &s->metrics;
    struct cpose_atomic_file af;
    int rc = cpose_atomic_open(&af, path);
    if (rc) return rc;
    FILE *f = af.fp;
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cpose val</title>\n<style>body{font-family:"
          "sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
          "text-align:right}</style></head><body>\n<h1>cpose val</h1>\n<table>\n<tr><th>Class</th><th>Images</th>"
          "<th>Instances</th><th>Box(P</th><th>R</th><th>mAP50</th><th>mAP50-95)</th><th>Pose(P</th><th>R</th>"
          "<th>mAP50</th><th>mAP50-95)</th></tr>\n", f);
    fprintf(f, "<tr><td>all</td><td>%d</td><td>%lld</td>", r->seen, (long long)r->n_instances);
    double all[8] = {r->box.mp, r->box.mr, r->box.map50, r->box.map, r->pose.mp, r->pose.mr, r->pose.map50, r->pose.map};
    for (int i = 0; i < 8; i++) fprintf(f, "<td>%.3g</td>", all[i]);
    fputs("</tr>\n", f);
    for (int i = 0; r->nc > 1 && i < r->box.n_ap_class; i++) {
        int c = r->box.ap_class[i];
        fputs("<tr><td>", f);
        if (names && c < nc) html_escape(f, names[c]);
        else fprintf(f, "%d", c);
        fprintf(f, "</td><td>%d</td><td>%lld</td>", r->seen, (long long)r->nt_per_class[c]);
        double v[8] = {r->box.p[i], r->box.r[i], r->box.ap50[i], r->box.ap[i],
                       r->pose.p[i], r->pose.r[i], r->pose.ap50[i], r->pose.ap[i]};
        for (int k = 0; k < 8; k++) fprintf(f, "<td>%.3g</td>", v[k]);
        fputs("</tr>\n", f);
    }
    fprintf(f, "</table>\n<p>Speed: %.1f ms preprocess, %.1f ms inference, %.1f ms postprocess per image.</p>\n",
            s->ms_pre, s->ms_inf, s->ms_post);
    svg_pr(f, &r->box, "Box precision-recall (IoU 0.5)", names, nc);
    svg_pr(f, &r->pose, "Pose precision-recall (OKS 0.5)", names, nc);
    if (s->coco_ran) {
        fputs("<p>COCOeval of predictions.json against ", f);
        html_escape(f, s->anno_json);
        fprintf(f, ": keypoints AP %.3f, AP50 %.3f; bbox AP %.3f, AP50 %.3f (details: report.html).</p>\n",
                s->coco_kpt[0], s->coco_kpt[1], s->coco_bbox[0], s->coco_bbox[1]);
    }
    fputs("</body></html>\n", f);
    if (ferror(f)) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "cannot write %s", path);
    }
    return cpose_atomic_commit(&af);
}
