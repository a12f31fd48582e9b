/* datasets/synth_write.c — writes the synthetic dataset: JPEGs, YOLO labels, COCO keypoint JSON
 * and the dataset YAML, rendered in parallel and assembled in index order (so the bytes depend on
 * the seed only), in a folder beside the destination that is renamed into place at the end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "core/base/log.h"
#include "datasets/numfmt.h"
#include "datasets/synth.h"
#include "core/base/args.h"

enum { SYNTH_MAX_PERSONS = 6 };

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (b->p && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap ? b->cap * 2 : 1 << 16;
        while (b->cap - b->n <= (size_t)k) b->cap *= 2;
        b->p = cpose_realloc(b->p, b->cap);
    }
}

struct img_out {
    int w, h, n;
    struct cpose_synth_person persons[SYNTH_MAX_PERSONS];
    int rc;
    char msg[256];
};

static const char *kpt_names[17] = {"nose",        "left_eye",       "right_eye",      "left_ear",   "right_ear",
                                    "left_shoulder", "right_shoulder", "left_elbow",     "right_elbow", "left_wrist",
                                    "right_wrist", "left_hip",       "right_hip",      "left_knee",  "right_knee",
                                    "left_ankle",  "right_ankle"};

static int write_split(const struct cpose_synth_opts *o, const char *root, int split, int n)
{
    const char *sname = split ? "val" : "train";
    char *img_dir = cpose_asprintf("%s/images/%s", root, sname);
    char *lbl_dir = cpose_asprintf("%s/labels/%s", root, sname);
    char *ann_dir = cpose_asprintf("%s/annotations", root);
    int rc = CPOSE_OK;
    struct img_out *out = cpose_calloc((size_t)n + 1, sizeof *out);
    struct sbuf js = {0};
    if ((rc = cpose_mkdirs(img_dir)) || (rc = cpose_mkdirs(lbl_dir)) || (rc = cpose_mkdirs(ann_dir))) goto fail;

    struct cpose_progress prog;
    cpose_progress_begin(&prog, split ? "synth val" : "synth train", n, "img");
    int done = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        struct img_out *r = &out[i];
        struct cpose_image img = {0};
        int id = i + 1;
        r->rc = cpose_synth_render(o->seed, split, i, o->imgsz, &img, r->persons, SYNTH_MAX_PERSONS, &r->n);
        if (r->rc == CPOSE_OK) {
            r->w = img.w;
            r->h = img.h;
            char path[4096];
            snprintf(path, sizeof path, "%s/%012d.jpg", img_dir, id);
            r->rc = cpose_image_write(path, &img, 92);
        }
        if (r->rc == CPOSE_OK) {
            struct sbuf lb = {0};
            char num[CPOSE_NUMFMT_MAX + 1];
            sb_printf(&lb, "%s", "");
            for (int p = 0; p < r->n; p++) {
                const struct cpose_synth_person *q = &r->persons[p];
                if (q->num_keypoints == 0 || q->bbox[2] <= 0 || q->bbox[3] <= 0) continue;
                double v[5 + 51];
                v[0] = 0;
                v[1] = (q->bbox[0] + q->bbox[2] / 2) / r->w;
                v[2] = (q->bbox[1] + q->bbox[3] / 2) / r->h;
                v[3] = q->bbox[2] / r->w;
                v[4] = q->bbox[3] / r->h;
                for (int k = 0; k < 17; k++) {
                    v[5 + 3 * k] = q->kpt[k][0] / r->w;
                    v[6 + 3 * k] = q->kpt[k][1] / r->h;
                    v[7 + 3 * k] = q->kpt[k][2];
                }
                sb_printf(&lb, "0");
                for (int j = 1; j < 56; j++) {
                    int l = cpose_fmt_f6(num, v[j]);
                    num[l] = 0;
                    sb_printf(&lb, " %s", num);
                }
                sb_printf(&lb, "\n");
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%012d.txt", lbl_dir, id);
            r->rc = cpose_write_file_atomic(path, lb.p, lb.n);
            cpose_free(lb.p);
        }
        if (r->rc != CPOSE_OK) snprintf(r->msg, sizeof r->msg, "%s", cpose_errmsg());
        cpose_image_free(&img);
#pragma omp critical(cpose_synth_progress)
        cpose_progress_update(&prog, ++done);
    }
    cpose_progress_end(&prog);
    for (int i = 0; i < n; i++)
        if (out[i].rc != CPOSE_OK) {
            rc = cpose_err(out[i].rc, "synth: image %d of %s: %s", i + 1, sname, out[i].msg);
            goto fail;
        }

    /* COCO keypoint JSON */
    sb_printf(&js, "{\"info\": {\"description\": \"cpose synthetic people (seed %llu, imgsz %d)\", \"version\": \"1.0\"},\n"
                   " \"licenses\": [],\n \"images\": [",
              (unsigned long long)o->seed, o->imgsz);
    for (int i = 0; i < n; i++)
        sb_printf(&js, "%s\n  {\"id\": %d, \"file_name\": \"%012d.jpg\", \"width\": %d, \"height\": %d}", i ? "," : "",
                  i + 1, i + 1, out[i].w, out[i].h);
    sb_printf(&js, "],\n \"annotations\": [");
    int ann_id = 1;
    for (int i = 0; i < n; i++)
        for (int p = 0; p < out[i].n; p++) {
            const struct cpose_synth_person *q = &out[i].persons[p];
            if (q->bbox[2] <= 0 || q->bbox[3] <= 0) continue;
            sb_printf(&js, "%s\n  {\"id\": %d, \"image_id\": %d, \"category_id\": 1, \"iscrowd\": 0, "
                           "\"bbox\": [%.2f, %.2f, %.2f, %.2f], \"area\": %.1f, \"num_keypoints\": %d, \"keypoints\": [",
                      ann_id > 1 ? "," : "", ann_id, i + 1, q->bbox[0], q->bbox[1], q->bbox[2], q->bbox[3], q->area,
                      q->num_keypoints);
            for (int k = 0; k < 17; k++)
                sb_printf(&js, "%s%.2f, %.2f, %d", k ? ", " : "", q->kpt[k][0], q->kpt[k][1], (int)q->kpt[k][2]);
            sb_printf(&js, "]}");
            ann_id++;
        }
    sb_printf(&js, "],\n \"categories\": [{\"supercategory\": \"person\", \"id\": 1, \"name\": \"person\", \"keypoints\": [");
    for (int k = 0; k < 17; k++) sb_printf(&js, "%s\"%s\"", k ? ", " : "", kpt_names[k]);
    sb_printf(&js, "], \"skeleton\": [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], "
                   "[6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]}]}\n");
    char *jpath = cpose_asprintf("%s/person_keypoints_%s.json", ann_dir, sname);
    rc = cpose_write_file_atomic(jpath, js.p, js.n);
    cpose_free(jpath);
    if (rc == CPOSE_OK) cpose_info("synth: %s: %d images, %d people", sname, n, ann_id - 1);
fail:
    cpose_free(js.p);
    cpose_free(out);
    cpose_free(img_dir);
    cpose_free(lbl_dir);
    cpose_free(ann_dir);
    return rc;
}

static int dir_nonempty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n > 0;
}

int cpose_synth_generate(const struct cpose_synth_opts *o)
{
    if (!o->save_dir || !*o->save_dir) return cpose_err(CPOSE_EINVAL, "synth: save_dir= is required");
    if (o->n_train < 0 || o->n_val < 0 || o->n_train + o->n_val == 0)
        return cpose_err(CPOSE_EINVAL, "synth: train=%d val=%d: need a positive number of images", o->n_train, o->n_val);
    if (o->imgsz < 32 || o->imgsz > 4096) return cpose_err(CPOSE_EINVAL, "synth: imgsz=%d must be 32..4096", o->imgsz);
    if (dir_nonempty(o->save_dir) && !o->exist_ok)
        return cpose_err(CPOSE_EINVAL, "synth: save_dir '%s' exists and is not empty: pass exist_ok=True to replace it",
                         o->save_dir);
    char *trimmed = cpose_strdup(o->save_dir);
    size_t tl = strlen(trimmed);
    while (tl > 1 && trimmed[tl - 1] == '/') trimmed[--tl] = 0;
    char *tmp = cpose_asprintf("%s.partial-%d", trimmed, (int)getpid());
    char *final_abs = cpose_strdup(trimmed);
    if (final_abs[0] != '/') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd)) {
            cpose_free(final_abs);
            final_abs = cpose_asprintf("%s/%s", cwd, trimmed);
        }
    }
    int rc;
    cpose_remove_tree(tmp);
    if ((rc = cpose_mkdirs(tmp)) != CPOSE_OK) goto fail;
    if (o->n_train && (rc = write_split(o, tmp, 0, o->n_train)) != CPOSE_OK) goto fail;
    if (o->n_val && (rc = write_split(o, tmp, 1, o->n_val)) != CPOSE_OK) goto fail;
    {
        char *yaml = cpose_asprintf(
            "# cpose synthetic people: articulated figures with the 17 COCO keypoints (seed %llu, imgsz %d).\n"
            "# COCO JSON for evaluation: annotations/person_keypoints_{train,val}.json\n"
            "path: %s\n"
            "train: images/%s\n"
            "val: images/%s\n"
            "kpt_shape: [17, 3]\n"
            "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n"
            "names:\n  0: person\n",
            (unsigned long long)o->seed, o->imgsz, final_abs, o->n_train ? "train" : "val", o->n_val ? "val" : "train");
        char *ypath = cpose_asprintf("%s/synth-pose.yaml", tmp);
        rc = cpose_write_file_atomic(ypath, yaml, strlen(yaml));
        cpose_free(ypath);
        cpose_free(yaml);
        if (rc) goto fail;
    }
    if (cpose_path_is_dir(trimmed) && (rc = cpose_remove_tree(trimmed)) != CPOSE_OK) goto fail;
    if (rename(tmp, trimmed) != 0) {
        rc = cpose_err(CPOSE_EIO, "synth: cannot rename '%s' to '%s': %s", tmp, trimmed, strerror(errno));
        goto fail;
    }
    cpose_info("synth: wrote %s (dataset YAML %s/synth-pose.yaml)", trimmed, trimmed);
fail:
    if (rc) cpose_remove_tree(tmp);
    cpose_free(tmp);
    cpose_free(trimmed);
    cpose_free(final_abs);
    return rc;
}

void cpose_synth_opts_from_args(const struct cpose_args *a, struct cpose_synth_opts *o)
{
    o->save_dir = cpose_args_str(a, "save_dir");
    if (!*o->save_dir) o->save_dir = "datasets/synth-pose";
    o->n_train = (int)cpose_args_int(a, "n_train", 64);
    o->n_val = (int)cpose_args_int(a, "n_val", 16);
    o->imgsz = cpose_args_given(a, "imgsz") ? (int)cpose_args_int(a, "imgsz", 320) : 320;
    o->seed = (uint64_t)cpose_args_int(a, "seed", 0);
    o->exist_ok = cpose_args_bool(a, "exist_ok");
}
