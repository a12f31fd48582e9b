/* reports/val_report.c — JSON, Markdown and HTML reports of Ultralytics-style val metrics. */
#include "reports/val_report.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "reports/svg.h"

static cJSON *metric_json(const struct cpose_val_results *r, const struct cpose_det_metric *m,
                          const char *const *names)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mp", m->mp);
    cJSON_AddNumberToObject(o, "mr", m->mr);
    cJSON_AddNumberToObject(o, "map50", m->map50);
    cJSON_AddNumberToObject(o, "map75", m->map75);
    cJSON_AddNumberToObject(o, "map", m->map);
    cJSON_AddItemToObject(o, "maps", cJSON_CreateDoubleArray(m->maps, r->nc));
    cJSON *pc = cJSON_CreateArray();
    for (int i = 0; i < m->n_ap_class; i++) {
        cJSON *c = cJSON_CreateObject();
        int k = m->ap_class[i];
        cJSON_AddNumberToObject(c, "class", k);
        if (names) cJSON_AddStringToObject(c, "name", names[k]);
        cJSON_AddNumberToObject(c, "instances", (double)r->nt_per_class[k]);
        cJSON_AddNumberToObject(c, "p", m->p[i]);
        cJSON_AddNumberToObject(c, "r", m->r[i]);
        cJSON_AddNumberToObject(c, "f1", m->f1[i]);
        cJSON_AddNumberToObject(c, "ap50", m->ap50[i]);
        cJSON_AddNumberToObject(c, "ap", m->ap[i]);
        cJSON_AddItemToObject(c, "ap_per_iou", cJSON_CreateDoubleArray(m->all_ap + (size_t)i * CPOSE_VAL_NIOU, CPOSE_VAL_NIOU));
        cJSON_AddItemToArray(pc, c);
    }
    cJSON_AddItemToObject(o, "per_class", pc);
    return o;
}

cJSON *cpose_val_report_json(const struct cpose_val_results *r, const char *const *names)
{
    cJSON *root = cJSON_CreateObject();
    const struct cpose_det_metric *b = &r->box, *p = &r->pose;
    const double vals[8] = {b->mp, b->mr, b->map50, b->map, p->mp, p->mr, p->map50, p->map};
    const char *keys[8] = {"metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
                           "metrics/precision(P)", "metrics/recall(P)", "metrics/mAP50(P)", "metrics/mAP50-95(P)"};
    for (int i = 0; i < 8; i++) cJSON_AddNumberToObject(root, keys[i], vals[i]);
    cJSON_AddNumberToObject(root, "fitness", cpose_val_fitness(r));
    cJSON_AddNumberToObject(root, "images", r->seen);
    cJSON_AddNumberToObject(root, "instances", (double)r->n_instances);
    cJSON_AddItemToObject(root, "box", metric_json(r, b, names));
    cJSON_AddItemToObject(root, "pose", metric_json(r, p, names));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cpose_val_print(r, names, f);
    fclose(f);
    cJSON *lines = cJSON_CreateArray();
    for (char *s = buf, *nl; s && *s; s = nl + 1) {
        nl = strchr(s, '\n');
        if (!nl) break;
        *nl = 0;
        cJSON_AddItemToArray(lines, cJSON_CreateString(s));
    }
    free(buf);
    cJSON_AddItemToObject(root, "table", lines);
    return root;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char *p = cpose_path_join(dir, name);
    int rc = cpose_write_file_atomic(p, text, strlen(text));
    if (rc != CPOSE_OK) cpose_err_context(rc, "writing %s", p);
    cpose_free(p);
    return rc;
}

/* Mean over classes of a per-class curve (n_ap_class × npx rows starting at base, stride rows). */
static void class_mean(const struct cpose_det_metric *m, const double *base, size_t stride, double *out)
{
    for (int k = 0; k < CPOSE_VAL_NPX; k++) {
        double s = 0;
        for (int i = 0; i < m->n_ap_class; i++) s += base[(size_t)i * stride + k];
        out[k] = m->n_ap_class ? s / m->n_ap_class : -1;
    }
}

static void html_metric(FILE *f, const struct cpose_val_results *r, const struct cpose_det_metric *m, const char *what)
{
    const int T = CPOSE_VAL_NIOU, NP = CPOSE_VAL_NPX;
    double *y = cpose_malloc((size_t)(T + 1) * NP * sizeof *y);
    struct cpose_svg_series s[CPOSE_VAL_NIOU];
    char labels[CPOSE_VAL_NIOU][48], title[64];
    for (int t = 0; t < T; t++) {
        class_mean(m, m->prec_values_all + (size_t)t * NP, (size_t)T * NP, y + (size_t)t * NP);
        double ap = 0;
        for (int i = 0; i < m->n_ap_class; i++) ap += m->all_ap[(size_t)i * T + t];
        snprintf(labels[t], sizeof labels[t], "IoU %.2f: %.3f", r->iouv[t], m->n_ap_class ? ap / m->n_ap_class : 0);
        s[t] = (struct cpose_svg_series){r->px, y + (size_t)t * NP, NP, labels[t]};
    }
    snprintf(title, sizeof title, "%s precision-recall (mean over classes)", what);
    fprintf(f, "<div class=\"row\">\n");
    cpose_svg_chart(f, title, "recall", "precision", s, m->n_ap_class ? T : 0);
    class_mean(m, m->f1_curve, NP, y + (size_t)T * NP);
    struct cpose_svg_series f1 = {r->px, y + (size_t)T * NP, NP, "F1, all classes"};
    snprintf(title, sizeof title, "%s F1-confidence", what);
    cpose_svg_chart(f, title, "confidence", "F1", &f1, m->n_ap_class ? 1 : 0);
    fprintf(f, "</div>\n");
    cpose_free(y);
}

int cpose_val_report_write_dir(const struct cpose_val_results *r, const char *const *names, const char *dir)
{
    int rc = cpose_mkdirs(dir);
    if (rc != CPOSE_OK) return rc;
    cJSON *j = cpose_val_report_json(r, names);
    char *txt = cJSON_Print(j);
    char *jtxt = cpose_asprintf("%s\n", txt);
    cJSON_free(txt);
    rc = write_text(dir, "val_metrics.json", jtxt);
    cpose_free(jtxt);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "# Validation metrics\n\n```\n");
    cpose_val_print(r, names, f);
    fprintf(f, "```\n\n| metric | Box (B) | Pose (P) |\n|---|---|---|\n");
    fprintf(f, "| precision | %.5f | %.5f |\n| recall | %.5f | %.5f |\n", r->box.mp, r->pose.mp, r->box.mr, r->pose.mr);
    fprintf(f, "| mAP50 | %.5f | %.5f |\n| mAP75 | %.5f | %.5f |\n| mAP50-95 | %.5f | %.5f |\n\nfitness %.5f\n",
            r->box.map50, r->pose.map50, r->box.map75, r->pose.map75, r->box.map, r->pose.map, cpose_val_fitness(r));
    fclose(f);
    if (rc == CPOSE_OK) rc = write_text(dir, "val_report.md", buf);
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Validation metrics</title>\n"
               "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:.6em}"
               ".row{display:flex;align-items:flex-start}</style>\n</head>\n<body>\n<h1>Validation metrics</h1>\n<pre>");
    cJSON *table = cJSON_GetObjectItem(j, "table");
    for (cJSON *l = table ? table->child : NULL; l; l = l->next) {
        cpose_html_escape(f, l->valuestring);
        fputc('\n', f);
    }
    fprintf(f, "</pre>\n<h2>Box (B)</h2>\n");
    html_metric(f, r, &r->box, "Box");
    fprintf(f, "<h2>Pose (P)</h2>\n");
    html_metric(f, r, &r->pose, "Pose");
    fprintf(f, "</body>\n</html>\n");
    fclose(f);
    if (rc == CPOSE_OK) rc = write_text(dir, "val_report.html", buf);
    free(buf);
    cJSON_Delete(j);
    return rc;
}
