/* datasets/convert.c — COCO keypoint JSON → YOLO pose labels (JSON2YOLO's rules, see
 * shared/REFERENCE.md "COCO → YOLO conversion"): grouping by image, skip rules, duplicate removal,
 * "%g"/"%.6f" rows, one buffered write per label file, label files written in parallel. */
#define _GNU_SOURCE
#include "datasets/convert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "datasets/numfmt.h"

/* Process CPU time (all threads), for the timing line. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cpose_coco91_to_80(int64_t category_id)
{
    /* COCO's 91 ids minus the 11 unused ones (12 26 29 30 45 66 68 69 71 83 91) give the 80 classes. */
    static const int unused[] = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83, 91};
    if (category_id < 1 || category_id > 91) return -1;
    int cls = (int)category_id - 1;
    for (int i = 0; i < 11; i++) {
        if (unused[i] == category_id) return -1;
        if (unused[i] < category_id) cls--;
    }
    return cls;
}

/* A growable byte buffer for one label file. */
struct cbuf {
    char *p;
    size_t n, cap;
};

static void cbuf_reserve(struct cbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->n + extra) cap *= 2;
    b->p = cpose_realloc(b->p, cap);
    b->cap = cap;
}

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* PyYAML's plain-scalar test, conservatively: quote anything that is not a simple word. */
static void yaml_scalar(struct cbuf *b, const char *s)
{
    static const char *special[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", ""};
    int plain = s[0] != 0 && s[0] != ' ' && s[strlen(s) - 1] != ' ';
    for (const char *c = s; *c && plain; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == ' ' ||
              *c == '_' || *c == '-' || *c == '.' || *c == '/' || (unsigned char)*c >= 0x80))
            plain = 0;
    if (plain && (s[0] == '-' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) plain = 0;
    for (size_t i = 0; plain && i < sizeof special / sizeof *special; i++)
        if (strcasecmp(s, special[i]) == 0) plain = 0;
    size_t len = strlen(s);
    cbuf_reserve(b, 2 * len + 4);
    if (plain) {
        memcpy(b->p + b->n, s, len);
        b->n += len;
        return;
    }
    b->p[b->n++] = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') b->p[b->n++] = '\'';
        b->p[b->n++] = *c;
    }
    b->p[b->n++] = '\'';
}

struct name_ent {
    int cls;
    int order;
    const char *name;
};

static int cmp_name_ent(const void *a, const void *b)
{
    const struct name_ent *x = a, *y = b;
    if (x->cls != y->cls) return x->cls < y->cls ? -1 : 1;
    return x->order - y->order;
}

/* "names:\n  0: person\n" — classes sorted, the last category wins for a repeated class. Returns the
 * number of categories that have a class. */
static size_t names_block(const struct cpose_coco *c, int cls91to80, struct cbuf *b)
{
    struct name_ent *e = cpose_calloc(c->n_categories + 1, sizeof *e);
    size_t n = 0;
    for (size_t i = 0; i < c->n_categories; i++) {
        int cls = cls91to80 ? cpose_coco91_to_80(c->categories[i].id) : (int)(c->categories[i].id - 1);
        if (cls < 0 && cls91to80) continue;
        e[n].cls = cls;
        e[n].order = (int)i;
        e[n].name = c->categories[i].name ? c->categories[i].name : "";
        n++;
    }
    qsort(e, n, sizeof *e, cmp_name_ent);
    cbuf_reserve(b, 16);
    if (n == 0) {
        memcpy(b->p + b->n, "names: {}\n", 10);
        b->n += 10;
    } else {
        memcpy(b->p + b->n, "names:\n", 7);
        b->n += 7;
    }
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && e[i + 1].cls == e[i].cls) continue;
        char num[32];
        int k = snprintf(num, sizeof num, "  %d: ", e[i].cls);
        cbuf_reserve(b, k + 1);
        memcpy(b->p + b->n, num, k);
        b->n += k;
        yaml_scalar(b, e[i].name);
        cbuf_reserve(b, 1);
        b->p[b->n++] = '\n';
    }
    cpose_free(e);
    return n;
}

/* Bounds on what an annotation may declare (COCO has 91 categories and 17 keypoints). */
#define CONVERT_MAX_CATEGORY 100000
#define CONVERT_MAX_KEYPOINTS 1000

struct img_key {
    int64_t id;
    size_t idx;
};

static int cmp_img_key(const void *a, const void *b)
{
    const struct img_key *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* JSON2YOLO's image key: the id printed with "%g" (6 significant digits, so ids from 1,000,000 on
 * share keys, e.g. 1000001 and 1000002 are both "1e+06"), read back as a number. */
static int64_t json2yolo_id_key(int64_t id)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%g", (double)id);
    return (int64_t)strtod(buf, NULL);
}

/* Index of the image with this id (the last one in the file when ids repeat, as a Python dict
 * keeps), or -1. */
static long find_image(const struct img_key *keys, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid].id <= id) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0 || keys[lo - 1].id != id) return -1;
    return (long)keys[lo - 1].idx;
}

/* One output file: the label path and the images (in first-annotation order) written into it. */
struct out_file {
    char *path;
    size_t first, count; /* range in the ordered image list */
};

struct conv_ctx {
    const struct cpose_coco *c;
    const struct cpose_convert_opts *o;
    size_t *ann_start, *ann_list; /* CSR: annotations of image i are ann_list[ann_start[i]..ann_start[i+1]) */
    long long skipped, lines;
};

/* Formats the rows of one image into b following the skip/duplicate rules. */
static int image_rows(struct conv_ctx *cx, size_t img, struct cbuf *b, long long *n_skip, long long *n_lines)
{
    const struct cpose_coco *c = cx->c;
    const struct cpose_coco_image *im = &c->images[img];
    double W = (double)im->width, H = (double)im->height;
    size_t a0 = cx->ann_start[img], a1 = cx->ann_start[img + 1];
    double *kept = cpose_malloc((a1 - a0 + 1) * 5 * sizeof(double));
    size_t n_kept = 0;
    int g = cx->o->style == CPOSE_CONVERT_JSON2YOLO;
    for (size_t k = a0; k < a1; k++) {
        const struct cpose_coco_ann *a = &c->anns[cx->ann_list[k]];
        const double *kp = cpose_coco_kpts(c, a);
        int nk = a->n_kpt_values / 3;
        if (a->iscrowd || !a->has_category_id) {
            (*n_skip)++;
            continue;
        }
        double box[4];
        if (a->has_bbox) {
            memcpy(box, a->bbox, sizeof box);
        } else {
            double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
            for (int j = 0; j < nk; j++)
                if (kp[3 * j + 2] > 0) {
                    x0 = fmin(x0, kp[3 * j]);
                    x1 = fmax(x1, kp[3 * j]);
                    y0 = fmin(y0, kp[3 * j + 1]);
                    y1 = fmax(y1, kp[3 * j + 1]);
                }
            if (!(x0 <= x1)) {
                (*n_skip)++;
                continue;
            }
            box[0] = x0;
            box[1] = y0;
            box[2] = x1 - x0;
            box[3] = y1 - y0;
        }
        box[0] += box[2] / 2;
        box[1] += box[3] / 2;
        box[0] /= W;
        box[2] /= W;
        box[1] /= H;
        box[3] /= H;
        if (!(box[2] > 0) || !(box[3] > 0)) {
            (*n_skip)++;
            continue;
        }
        int cls = cx->o->cls91to80 ? cpose_coco91_to_80(a->category_id) : (int)(a->category_id - 1);
        if (cx->o->cls91to80 && cls < 0) {
            (*n_skip)++;
            continue;
        }
        if (!g) {
            long nvis = a->num_keypoints;
            if (nvis < 0) {
                nvis = 0;
                for (int j = 0; j < nk; j++) nvis += kp[3 * j + 2] > 0;
            }
            if (cx->o->use_keypoints && nvis == 0) {
                (*n_skip)++;
                continue;
            }
        }
        int dup = 0;
        for (size_t j = 0; j < n_kept && !dup; j++) {
            const double *q = kept + 5 * j;
            dup = q[0] == cls && q[1] == box[0] && q[2] == box[1] && q[3] == box[2] && q[4] == box[3];
        }
        if (dup) {
            (*n_skip)++;
            continue;
        }
        double *q = kept + 5 * n_kept++;
        q[0] = cls;
        memcpy(q + 1, box, sizeof box);
        int nvals = cx->o->use_keypoints ? a->n_kpt_values : 0;
        cbuf_reserve(b, (size_t)(5 + nvals) * (CPOSE_NUMFMT_MAX + 1) + 2);
        char *p = b->p + b->n;
        p += cpose_fmt_g(p, (double)cls);
        for (int j = 0; j < 4; j++) {
            *p++ = ' ';
            p += g ? cpose_fmt_g(p, box[j]) : cpose_fmt_f6(p, box[j]);
        }
        for (int j = 0; j < nvals; j++) {
            double v = kp[j];
            int r = j % 3;
            if (r == 0) v /= W;
            else if (r == 1) v /= H;
            *p++ = ' ';
            p += g ? cpose_fmt_g(p, v) : cpose_fmt_f6(p, v);
        }
        *p++ = '\n';
        b->n = (size_t)(p - b->p);
        (*n_lines)++;
    }
    cpose_free(kept);
    return CPOSE_OK;
}

/* Writes a file; dirfd (or AT_FDCWD) is the open folder of path, name the part below it (so the
 * kernel does not walk the whole path for each of 64k files). */
static int write_all(int dirfd, const char *name, const char *path, const char *data, size_t len, int append)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0666);
    if (fd < 0) return cpose_err(CPOSE_EIO, "cannot write '%s': %s", path, strerror(errno));
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return cpose_err(CPOSE_EIO, "cannot write '%s': %s", path, strerror(e));
        }
        data += w;
        len -= (size_t)w;
    }
    if (close(fd) != 0) return cpose_err(CPOSE_EIO, "cannot write '%s': %s", path, strerror(errno));
    return CPOSE_OK;
}

struct ord_ent {
    const char *path;
    size_t img, first_seen;
};

static int cmp_ord(const void *a, const void *b)
{
    const struct ord_ent *x = a, *y = b;
    int r = strcmp(x->path, y->path);
    if (r) return r;
    return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

/* Label path for an image: labels_dir/file_name with its extension replaced by .txt (an absolute
 * file_name keeps only its base name when base_of_absolute, as JSON2YOLO does). */
static char *label_path(const char *labels_dir, const char *file_name, int base_of_absolute)
{
    if (base_of_absolute && file_name[0] == '/') file_name = cpose_path_basename(file_name);
    const char *ext = cpose_path_ext(file_name);
    size_t stem_len = strlen(file_name) - strlen(ext);
    return cpose_asprintf("%s/%.*s.txt", labels_dir, (int)stem_len, file_name);
}

static int convert_one(const char *json_path, const char *stem, const struct cpose_convert_opts *o,
                       struct cpose_convert_stats *st, int *kpt_k)
{
    struct cpose_coco c = {0};
    struct img_key *keys = NULL;
    size_t *first_seen = NULL, *count = NULL, *ann_img = NULL;
    struct ord_ent *ord = NULL;
    struct cbuf yb = {0};
    char *labels_dir = NULL, *yaml_path = NULL;
    struct conv_ctx cx = {0};
    int j2y = o->style == CPOSE_CONVERT_JSON2YOLO, checks = o->strict || !j2y;
    double t_load = cpose_now(), c_load = cpu_seconds();
    int rc = cpose_coco_load(json_path, &c);
    if (rc != CPOSE_OK) return rc;
    t_load = cpose_now() - t_load;
    c_load = cpu_seconds() - c_load;
    double t_write = cpose_now(), c_write = cpu_seconds();
    const char *sub = strncmp(stem, "instances_", 10) == 0 ? stem + 10 : stem;
    labels_dir = cpose_asprintf("%s/labels/%s", o->save_dir, sub);
    /* json2yolo: a second JSON file with the same labels folder appends to it, as JSON2YOLO's "a" mode */
    if (cpose_path_is_dir(labels_dir) && checks) {
        rc = cpose_err(CPOSE_EINVAL, "%s: labels folder '%s' already written by another JSON file in %s", json_path,
                       labels_dir, o->json_dir);
        goto fail;
    }
    if ((rc = cpose_mkdirs(labels_dir)) != CPOSE_OK) goto fail;
    if (c.is_results || !c.has_images || !c.has_annotations) {
        if (checks) {
            rc = cpose_err(CPOSE_EINVAL, "%s: no images: a COCO file needs the keys 'images' and 'annotations'%s",
                           json_path, j2y ? " (strict=False skips such files, as JSON2YOLO does)" : "");
            goto fail;
        }
        cpose_warn("%s: no images: expected COCO keys 'images' and 'annotations'; skipped, as JSON2YOLO does "
                   "(labels/%s/ stays empty)", json_path, sub);
        goto fail; /* rc is CPOSE_OK: only the cleanup */
    }
    if (c.n_images == 0) cpose_warn("%s: no images: its 'images' list is empty", json_path);

    /* names YAML as JSON2YOLO writes it (which writes none when no category has a class) */
    size_t n_names = names_block(&c, o->cls91to80, &yb);
    yaml_path = cpose_asprintf("%s/%s.yaml", o->save_dir, stem);
    if ((n_names > 0 || !j2y) && (rc = cpose_write_file_atomic(yaml_path, yb.p, yb.n)) != CPOSE_OK) goto fail;

    keys = cpose_malloc((c.n_images + 1) * sizeof *keys);
    for (size_t i = 0; i < c.n_images; i++) {
        keys[i].id = j2y ? json2yolo_id_key(c.images[i].id) : c.images[i].id;
        keys[i].idx = i;
    }
    qsort(keys, c.n_images, sizeof *keys, cmp_img_key);
    for (size_t i = 1; i < c.n_images; i++)
        if (keys[i].id == keys[i - 1].id) {
            const char *a0 = c.images[keys[i - 1].idx].file_name, *a1 = c.images[keys[i].idx].file_name;
            if (checks) {
                rc = cpose_err(CPOSE_EINVAL, "%s: image id %lld appears twice ('%s' and '%s'); image ids must be unique",
                               json_path, (long long)keys[i].id, a0 ? a0 : "?", a1 ? a1 : "?");
                goto fail;
            }
            /* JSON2YOLO keys its image table by id: the later entry replaces the earlier one */
            cpose_warn("%s: image id %lld appears twice ('%s' and '%s'): the later one is used, as JSON2YOLO does "
                       "(strict=True refuses such files)", json_path, (long long)keys[i].id, a0 ? a0 : "?", a1 ? a1 : "?");
        }

    first_seen = cpose_malloc((c.n_images + 1) * sizeof *first_seen);
    count = cpose_calloc(c.n_images + 1, sizeof *count);
    ann_img = cpose_malloc((c.n_anns + 1) * sizeof *ann_img);
    for (size_t i = 0; i < c.n_images; i++) first_seen[i] = (size_t)-1;
    size_t n_used = 0;
    for (size_t k = 0; k < c.n_anns; k++) {
        const struct cpose_coco_ann *a = &c.anns[k];
        if (!a->has_image_id) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no 'image_id'", json_path,
                           (long long)a->id, (long long)a->byte_offset);
            goto fail;
        }
        long img = find_image(keys, c.n_images, j2y ? json2yolo_id_key(a->image_id) : a->image_id);
        if (img < 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) refers to image_id %lld, which is not in 'images'",
                           json_path, (long long)a->id, (long long)a->byte_offset, (long long)a->image_id);
            goto fail;
        }
        const struct cpose_coco_image *im = &c.images[img];
        if (!im->file_name || im->width <= 0 || im->height <= 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: image id %lld (used by annotation id %lld) lacks %s", json_path,
                           (long long)im->id, (long long)a->id,
                           !im->file_name ? "'file_name'" : "a positive 'width' and 'height'");
            goto fail;
        }
        const char *relax = j2y ? " (strict=False converts it as JSON2YOLO does)" : "";
        if (checks && o->use_keypoints && !a->has_keypoints && !a->iscrowd) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no 'keypoints' (use_keypoints=True)%s",
                           json_path, (long long)a->id, (long long)a->byte_offset, relax);
            goto fail;
        }
        if (checks && !a->has_bbox && !a->has_keypoints && !a->iscrowd) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has neither 'bbox' nor 'keypoints'%s",
                           json_path, (long long)a->id, (long long)a->byte_offset, relax);
            goto fail;
        }
        if (checks && a->bbox_empty && !a->iscrowd) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has an empty 'bbox' []%s", json_path,
                           (long long)a->id, (long long)a->byte_offset, relax);
            goto fail;
        }
        if (a->n_kpt_values % 3 && !a->iscrowd) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has %d keypoint values, not (x, y, v) triplets",
                           json_path, (long long)a->id, (long long)a->byte_offset, a->n_kpt_values);
            goto fail;
        }
        if (o->cls91to80 && a->has_category_id && a->category_id > 91) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld has category_id %lld, outside the COCO-91 table (cls91to80=True)",
                           json_path, (long long)a->id, (long long)a->category_id);
            goto fail;
        }
        if (a->has_category_id && !o->cls91to80 && !checks && a->category_id >= -(1LL << 31) && a->category_id <= (1LL << 31)) {
            /* JSON2YOLO writes category_id - 1 whatever it is */
        } else if (a->has_category_id && !o->cls91to80 && (a->category_id < 1 || a->category_id > CONVERT_MAX_CATEGORY)) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld has category_id %lld; class ids are category_id - 1, so it "
                           "must be 1 to %d", json_path, (long long)a->id, (long long)a->category_id, CONVERT_MAX_CATEGORY);
            goto fail;
        }
        if (o->use_keypoints && a->has_keypoints && !a->iscrowd) {
            int nv = a->n_kpt_values;
            if (!checks && nv % 3 == 0 && nv / 3 <= CONVERT_MAX_KEYPOINTS) {
                /* JSON2YOLO writes each list as it is: the dataset's kpt_shape is the longest one */
                if (nv / 3 > *kpt_k) *kpt_k = nv / 3;
                goto kpt_done;
            }
            if (nv == 0 || nv % 3 || nv / 3 > CONVERT_MAX_KEYPOINTS) {
                rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has %d keypoint values; expected 3 per "
                               "keypoint (x, y, v), 1 to %d keypoints", json_path, (long long)a->id,
                               (long long)a->byte_offset, nv, CONVERT_MAX_KEYPOINTS);
                goto fail;
            }
            if (*kpt_k && nv / 3 != *kpt_k) {
                rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has %d keypoints where earlier "
                               "annotations have %d; every annotation needs the same kpt_shape", json_path,
                               (long long)a->id, (long long)a->byte_offset, nv / 3, *kpt_k);
                goto fail;
            }
            *kpt_k = nv / 3;
        }
    kpt_done:
        ann_img[k] = (size_t)img;
        if (first_seen[img] == (size_t)-1) first_seen[img] = n_used++;
        count[img]++;
    }
    cx.c = &c;
    cx.o = o;
    cx.ann_start = cpose_calloc(c.n_images + 1, sizeof(size_t));
    cx.ann_list = cpose_malloc((c.n_anns + 1) * sizeof(size_t));
    for (size_t i = 0; i < c.n_images; i++) cx.ann_start[i + 1] = cx.ann_start[i] + count[i];
    for (size_t i = 0; i < c.n_images; i++) count[i] = cx.ann_start[i];
    for (size_t k = 0; k < c.n_anns; k++) cx.ann_list[count[ann_img[k]]++] = k;

    /* images with annotations, grouped by label path (repeated file names append, in the order
     * the images were first annotated, as JSON2YOLO's append mode does) */
    ord = cpose_malloc((n_used + 1) * sizeof *ord);
    size_t n_ord = 0;
    for (size_t i = 0; i < c.n_images; i++)
        if (first_seen[i] != (size_t)-1) {
            ord[n_ord].path = label_path(labels_dir, c.images[i].file_name, j2y);
            ord[n_ord].img = i;
            ord[n_ord].first_seen = first_seen[i];
            n_ord++;
        }
    qsort(ord, n_ord, sizeof *ord, cmp_ord);

    /* folders first (serially), then files in parallel */
    char *last_dir = NULL;
    for (size_t i = 0; i < n_ord; i++) {
        const char *slash = strrchr(ord[i].path, '/');
        size_t dl = (size_t)(slash - ord[i].path);
        if (last_dir && strlen(last_dir) == dl && strncmp(last_dir, ord[i].path, dl) == 0) continue;
        cpose_free(last_dir);
        last_dir = cpose_strndup(ord[i].path, dl);
        if (strstr(last_dir, "/../") || strstr(ord[i].path + strlen(labels_dir), "/../")) {
            cpose_free(last_dir);
            rc = cpose_err(CPOSE_EINVAL, "%s: image file_name '%s' leaves the labels folder", json_path,
                           c.images[ord[i].img].file_name);
            goto fail;
        }
        if ((rc = cpose_mkdirs(last_dir)) != CPOSE_OK) {
            cpose_free(last_dir);
            goto fail;
        }
    }
    cpose_free(last_dir);

    int first_rc = CPOSE_OK;
    char first_msg[512] = "";
    long long skipped = 0, lines = 0, files = 0;
#pragma omp parallel reduction(+ : skipped, lines, files)
    {
        struct cbuf b = {0};
        int dirfd = -1;
        size_t dir_len = 0;
        const char *dir_of = NULL; /* the path whose folder dirfd holds */
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n_ord; i++) {
            if (i > 0 && strcmp(ord[i - 1].path, ord[i].path) == 0) continue; /* handled by the group head */
            b.n = 0;
            size_t j = i;
            do {
                image_rows(&cx, ord[j].img, &b, &skipped, &lines);
                j++;
            } while (j < n_ord && strcmp(ord[j].path, ord[i].path) == 0);
            const char *path = ord[i].path, *slash = strrchr(path, '/');
            size_t dl = (size_t)(slash - path);
            if (!dir_of || dl != dir_len || strncmp(dir_of, path, dl) != 0) {
                if (dirfd >= 0) close(dirfd);
                char *dir = cpose_strndup(path, dl);
                dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                cpose_free(dir);
                dir_of = path;
                dir_len = dl;
            }
            int r = dirfd >= 0 ? write_all(dirfd, slash + 1, path, b.p ? b.p : "", b.n, j2y)
                               : write_all(AT_FDCWD, path, path, b.p ? b.p : "", b.n, j2y);
            if (r != CPOSE_OK) {
#pragma omp critical(cpose_convert_err)
                if (first_rc == CPOSE_OK) {
                    first_rc = r;
                    snprintf(first_msg, sizeof first_msg, "%s", cpose_errmsg());
                }
            } else {
                files++;
            }
        }
        if (dirfd >= 0) close(dirfd);
        cpose_free(b.p);
    }
    if (first_rc != CPOSE_OK) {
        rc = cpose_err(first_rc, "%s", first_msg);
        goto fail;
    }
    if (st) {
        st->n_images_written += files;
        st->n_lines += lines;
        st->n_skipped += skipped;
    }
    cpose_info("%s: %lld label files, %lld rows, %lld annotations skipped → labels/%s (read %.2f s wall %.2f s CPU, "
               "write %.2f s wall %.2f s CPU)",
               json_path, files, lines, skipped, sub, t_load, c_load, cpose_now() - t_write, cpu_seconds() - c_write);
fail:
    if (ord)
        for (size_t i = 0; i < n_used; i++) cpose_free((void *)ord[i].path);
    cpose_free(ord);
    cpose_free(cx.ann_start);
    cpose_free(cx.ann_list);
    cpose_free(keys);
    cpose_free(first_seen);
    cpose_free(count);
    cpose_free(ann_img);
    cpose_free(yb.p);
    cpose_free(labels_dir);
    cpose_free(yaml_path);
    cpose_coco_free(&c);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes save_dir/dataset.yaml: splits guessed from the JSON stems (train/val/test in the name). */
static int write_dataset_yaml(const struct cpose_convert_opts *o, const char *final_dir, char **stems, int n, int k)
{
    char cwd[4096];
    char *abs = final_dir[0] == '/' || !getcwd(cwd, sizeof cwd) ? cpose_strdup(final_dir)
                                                                : cpose_asprintf("%s/%s", cwd, final_dir);
    const char *split_of[3] = {NULL, NULL, NULL};
    static const char *split_names[3] = {"train", "val", "test"};
    for (int i = 0; i < n; i++)
        for (int s = 0; s < 3; s++)
            if (!split_of[s] && strstr(stems[i], split_names[s])) split_of[s] = stems[i];
    if (!split_of[0]) split_of[0] = stems[0];
    if (!split_of[1]) split_of[1] = split_of[0];
    struct cbuf b = {0};
    cbuf_reserve(&b, 4096);
    b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n,
                            "# Written by cpose convert. Images go in images/<split>/ beside labels/<split>/.\n"
                            "path: %s\n",
                            abs);
    for (int s = 0; s < 3; s++) {
        if (!split_of[s]) continue;
        const char *sub = strncmp(split_of[s], "instances_", 10) == 0 ? split_of[s] + 10 : split_of[s];
        b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n, "%s: images/%s\n", split_names[s], sub);
    }
    if (o->use_keypoints && k > 0) {
        b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n, "kpt_shape: [%d, 3]\n", k);
        if (k == 17)
            b.n += (size_t)snprintf(b.p + b.n, b.cap - b.n,
                                    "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n");
    }
    cpose_free(abs);
    /* names from the first JSON's <stem>.yaml block */
    char *names_path = cpose_asprintf("%s/%s.yaml", o->save_dir, stems[0]);
    char *names = NULL;
    size_t nl = 0;
    int rc = cpose_read_file(names_path, &names, &nl);
    if (rc == CPOSE_OK) {
        cbuf_reserve(&b, nl + 1);
        memcpy(b.p + b.n, names, nl);
        b.n += nl;
        char *path = cpose_asprintf("%s/dataset.yaml", o->save_dir);
        rc = cpose_write_file_atomic(path, b.p, b.n);
        cpose_free(path);
    }
    cpose_free(names);
    cpose_free(names_path);
    cpose_free(b.p);
    return rc;
}

int cpose_convert_coco(const struct cpose_convert_opts *final_o, struct cpose_convert_stats *st)
{
    struct cpose_convert_opts tmp_o = *final_o, *o = &tmp_o;
    char *tmp_dir = NULL;
    char **jsons = NULL;
    int n = 0, rc = CPOSE_OK, kpt_k = 0;
    if (!o->json_dir || !*o->json_dir) return cpose_err(CPOSE_EINVAL, "json_dir= is required (a folder of COCO JSON files)");
    if (!o->save_dir || !*o->save_dir) return cpose_err(CPOSE_EINVAL, "save_dir= is required (the output folder)");
    DIR *d = opendir(o->json_dir);
    if (!d) return cpose_err(CPOSE_EIO, "json_dir '%s': %s", o->json_dir, strerror(errno));
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            jsons = cpose_realloc(jsons, (size_t)cap * sizeof *jsons);
        }
        jsons[n++] = cpose_strdup(e->d_name);
    }
    closedir(d);
    if (n == 0) {
        rc = cpose_err(CPOSE_EINVAL, "json_dir '%s' holds no *.json file", o->json_dir);
        goto fail;
    }
    qsort(jsons, n, sizeof *jsons, cmp_str);
    if (cpose_path_is_dir(o->save_dir) && !dir_is_empty(o->save_dir)) {
        if (!o->exist_ok) {
            rc = cpose_err(CPOSE_EINVAL, "save_dir '%s' exists and is not empty: pass exist_ok=True to replace it",
                           o->save_dir);
            goto fail;
        }
    }
    /* build the tree beside the destination, then rename: an interrupted run leaves no half tree */
    {
        char *trimmed = cpose_strdup(final_o->save_dir);
        size_t tl = strlen(trimmed);
        while (tl > 1 && trimmed[tl - 1] == '/') trimmed[--tl] = 0;
        tmp_dir = cpose_asprintf("%s.partial-%d", trimmed, (int)getpid());
        cpose_free(trimmed);
    }
    cpose_remove_tree(tmp_dir);
    if ((rc = cpose_mkdirs(tmp_dir)) != CPOSE_OK) goto fail;
    tmp_o.save_dir = tmp_dir;
    if (st) memset(st, 0, sizeof *st);
    for (int i = 0; i < n; i++) {
        char *path = cpose_path_join(o->json_dir, jsons[i]);
        char *stem = cpose_strndup(jsons[i], strlen(jsons[i]) - 5);
        rc = convert_one(path, stem, o, st, &kpt_k);
        cpose_free(path);
        cpose_free(jsons[i]);
        jsons[i] = stem;
        if (rc != CPOSE_OK) goto fail;
        if (st) st->n_json++;
    }
    /* JSON2YOLO writes no dataset YAML: only the Ultralytics style adds one */
    if (o->style == CPOSE_CONVERT_ULTRALYTICS && (rc = write_dataset_yaml(o, final_o->save_dir, jsons, n, kpt_k)) != CPOSE_OK)
        goto fail;
    if (cpose_path_is_dir(final_o->save_dir) && (rc = cpose_remove_tree(final_o->save_dir)) != CPOSE_OK) goto fail;
    if (rename(tmp_dir, final_o->save_dir) != 0) {
        rc = cpose_err(CPOSE_EIO, "cannot rename '%s' to '%s': %s", tmp_dir, final_o->save_dir, strerror(errno));
        goto fail;
    }
    cpose_free(tmp_dir);
    tmp_dir = NULL;
fail:
    if (tmp_dir) {
        cpose_remove_tree(tmp_dir);
        cpose_free(tmp_dir);
    }
    for (int i = 0; i < n; i++) cpose_free(jsons[i]);
    cpose_free(jsons);
    return rc;
}
