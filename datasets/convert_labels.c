/* datasets/convert_labels.c — the label files of a COCO → YOLO conversion: images grouped by label
 * path, rows formatted by JSON2YOLO's skip and duplicate rules ("%g" or "%.6f" numbers), and one
 * open/write/close per file, on all threads. The annotations are listed in the order the files are
 * written (a counting sort by label path), so each thread walks its share of that list. */
#define _GNU_SOURCE
#include "datasets/convert_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/base/fsutil.h"
#include "datasets/numfmt.h"

/* One label file's share of an image: ord entries with the same name form one file. */
struct ord_ent {
    uint64_t key[2];   /* the name's first 16 bytes, big-endian (0 past its end): most names differ there */
    size_t name;       /* offset of the path below labels_dir in the names arena */
    size_t img, first_seen;
};

/* The label writer's view of one JSON file. */
struct label_job {
    const struct cpose_coco *c;
    const struct cpose_convert_opts *o;
    const char *names;         /* "stem.txt\0" paths below labels_dir */
    size_t names_bytes;
    struct ord_ent *ord;       /* images in writing order */
    size_t n_ord;
    size_t *ann_start, *anns;  /* annotations of ord[i]: anns[ann_start[i]..ann_start[i + 1]) */
};

/* Why: the reader's arrays grow by realloc, which moves small pages (mremap); on a virtual machine
 * with shadow page tables the first read of each moved 4 KiB page then costs microseconds (0.17 s
 * for 128 MB, measured), and the conversion reads every annotation and keypoint once, in an order
 * unrelated to the file's. Collapsing copies in the kernel (0.03 s for 128 MB) and leaves 2 MiB pages. */
#if defined(__linux__) && !defined(MADV_COLLAPSE)
#define MADV_COLLAPSE 25 /* the kernel's number; glibc before 2.37 does not name it */
#endif
void cpose_convert_settle(const void *data, size_t bytes)
{
#if defined(MADV_HUGEPAGE) && defined(MADV_COLLAPSE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t begin = ((uintptr_t)data + huge - 1) & ~(huge - 1), end = ((uintptr_t)data + bytes) & ~(huge - 1);
    if (end <= begin) return;
    if (madvise((void *)begin, end - begin, MADV_HUGEPAGE) == 0) (void)madvise((void *)begin, end - begin, MADV_COLLAPSE);
#else
    (void)data;
    (void)bytes;
#endif
}

/* Writes one number of a row ("%g" when g, else "%.6f") and returns the end: a whole 0 to 9 in
 * "%g" (invisible keypoints, visibility flags, the class) directly, the rest by numfmt. */
static inline char *put_number(char *p, double v, int g)
{
    if (g && v >= 0 && v < 10 && v == (double)(int)v && !signbit(v)) {
        *p = (char)('0' + (int)v);
        return p + 1;
    }
    return p + (g ? cpose_fmt_g(p, v) : cpose_fmt_f6(p, v));
}

/* +0.0 ("%g" prints "0"; -0.0 prints "-0") */
static inline int is_plus_zero(double v) { return v == 0 && !signbit(v); }

/* Box (centre x, y, w, h, normalised) of an annotation by JSON2YOLO's rules; 0 when it is skipped
 * (crowd, no class, no box and no visible keypoint, empty box). */
static int ann_box(const struct cpose_coco_ann *a, const double *kp, double W, double H, double box[4])
{
    int nk = a->n_kpt_values / 3;
    if (a->iscrowd || !a->has_category_id) return 0;
    if (a->has_bbox) {
        memcpy(box, a->bbox, 4 * sizeof *box);
    } else {
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (int j = 0; j < nk; j++)
            if (kp[3 * j + 2] > 0) {
                x0 = fmin(x0, kp[3 * j]);
                x1 = fmax(x1, kp[3 * j]);
                y0 = fmin(y0, kp[3 * j + 1]);
                y1 = fmax(y1, kp[3 * j + 1]);
            }
        if (!(x0 <= x1)) return 0;
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
    return box[2] > 0 && box[3] > 0;
}

/* Appends the rows of ord entry i to b following the skip/duplicate rules; kept is scratch for the
 * rows already written for this image (5 doubles each, grown here). */
static void image_rows(const struct label_job *j, size_t i, struct cbuf *b, double **kept, size_t *kept_cap,
                       long long *n_skip, long long *n_lines)
{
    const struct cpose_coco *c = j->c;
    const struct cpose_convert_opts *o = j->o;
    const struct cpose_coco_image *im = &c->images[j->ord[i].img];
    double W = (double)im->width, H = (double)im->height;
    size_t a0 = j->ann_start[i], a1 = j->ann_start[i + 1];
    if (a1 - a0 > *kept_cap) {
        *kept_cap = a1 - a0;
        *kept = cpose_realloc(*kept, *kept_cap * 5 * sizeof(double));
    }
    size_t n_kept = 0;
    int g = o->style == CPOSE_CONVERT_JSON2YOLO;
    for (size_t k = a0; k < a1; k++) {
        const struct cpose_coco_ann *a = &c->anns[j->anns[k]];
        const double *kp = cpose_coco_kpts(c, a);
        double box[4];
        if (!ann_box(a, kp, W, H, box)) {
            (*n_skip)++;
            continue;
        }
        int cls = o->cls91to80 ? cpose_coco91_to_80(a->category_id) : (int)(a->category_id - 1);
        if (o->cls91to80 && cls < 0) {
            (*n_skip)++;
            continue;
        }
        if (!g) {
            long nvis = a->num_keypoints;
            if (nvis < 0) {
                nvis = 0;
                for (int q = 0; q < a->n_kpt_values / 3; q++) nvis += kp[3 * q + 2] > 0;
            }
            if (o->use_keypoints && nvis == 0) {
                (*n_skip)++;
                continue;
            }
        }
        int dup = 0;
        for (size_t q = 0; q < n_kept && !dup; q++) {
            const double *r = *kept + 5 * q;
            dup = r[0] == cls && r[1] == box[0] && r[2] == box[1] && r[3] == box[2] && r[4] == box[3];
        }
        if (dup) {
            (*n_skip)++;
            continue;
        }
        double *r = *kept + 5 * n_kept++;
        r[0] = cls;
        memcpy(r + 1, box, sizeof box);
        int nvals = o->use_keypoints ? a->n_kpt_values : 0;
        cbuf_reserve(b, (size_t)(5 + nvals) * (CPOSE_NUMFMT_MAX + 1) + 2);
        char *p = b->p + b->n;
        p = put_number(p, (double)cls, 1);
        for (int q = 0; q < 4; q++) {
            *p++ = ' ';
            p = put_number(p, box[q], g);
        }
        int q = 0;
        for (; q + 3 <= nvals; q += 3) { /* x, y, visibility */
            if (g && is_plus_zero(kp[q]) && is_plus_zero(kp[q + 1]) && is_plus_zero(kp[q + 2])) {
                memcpy(p, " 0 0 0", 6); /* an unlabelled keypoint */
                p += 6;
                continue;
            }
            *p++ = ' ';
            p = put_number(p, kp[q] / W, g);
            *p++ = ' ';
            p = put_number(p, kp[q + 1] / H, g);
            *p++ = ' ';
            p = put_number(p, kp[q + 2], g);
        }
        for (int part = 0; q < nvals; q++, part++) { /* a list that is not in triplets: x, then y */
            *p++ = ' ';
            p = put_number(p, part == 0 ? kp[q] / W : kp[q] / H, g);
        }
        *p++ = '\n';
        b->n = (size_t)(p - b->p);
        (*n_lines)++;
    }
}

/* Fails with the whole path of the label file in the message. */
static int write_error(const char *labels_dir, const char *name, int err)
{
    char *path = cpose_asprintf("%s/%s", labels_dir, name);
    int rc = cpose_err(CPOSE_EIO, "cannot write '%s': %s", path, strerror(err));
    cpose_free(path);
    return rc;
}

/* Writes labels_dir/name: openat below dirfd, the open labels_dir (or the whole path when dirfd < 0),
 * so the kernel does not walk the whole path for each of 64k files. json2yolo style appends to an
 * existing file, the other style replaces it. */
static int write_file(int dirfd, const char *labels_dir, const char *name, const char *data, size_t len, int append)
{
    int flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, fd;
    if (dirfd >= 0) {
        fd = openat(dirfd, name, flags, 0666);
    } else {
        char *path = cpose_asprintf("%s/%s", labels_dir, name);
        fd = open(path, flags, 0666);
        cpose_free(path);
    }
    if (fd < 0) return write_error(labels_dir, name, errno);
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return write_error(labels_dir, name, e);
        }
        data += w;
        len -= (size_t)w;
    }
    if (close(fd) != 0) return write_error(labels_dir, name, errno);
    return CPOSE_OK;
}

/* The first 16 bytes of name as two big-endian words, zero past its end: comparing them compares the
 * names as strcmp does (unsigned bytes, the shorter first), up to the 16th byte. */
static void name_key(const char *name, size_t len, uint64_t key[2])
{
    unsigned char bytes[16] = {0};
    memcpy(bytes, name, len < 16 ? len : 16);
    key[0] = key[1] = 0;
    for (int i = 0; i < 16; i++) key[i / 8] = key[i / 8] << 8 | bytes[i];
}

/* By label path (names: the arena), then first annotation. */
static int cmp_ord(const void *a, const void *b, void *names)
{
    const struct ord_ent *x = a, *y = b;
    for (int w = 0; w < 2; w++)
        if (x->key[w] != y->key[w]) return x->key[w] < y->key[w] ? -1 : 1;
    const char *nx = (const char *)names + x->name, *ny = (const char *)names + y->name;
    if ((y->key[1] & 0xff) != 0) { /* the same 16 bytes and no end among them: the rest decides */
        int r = strcmp(nx + 16, ny + 16);
        if (r) return r;
    }
    return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

/* The file_name of image i as the label path keeps it (json2yolo style keeps only the base name of
 * an absolute one, as JSON2YOLO does), and the length of its stem. */
static const char *label_stem(const struct convert_plan *pl, size_t i, size_t *stem_len)
{
    const char *file_name = pl->c->images[i].file_name;
    if (pl->o->style == CPOSE_CONVERT_JSON2YOLO && file_name[0] == '/') file_name = cpose_path_basename(file_name);
    *stem_len = strlen(file_name) - strlen(cpose_path_ext(file_name));
    return file_name;
}

/* The label path of each annotated image below labels_dir (file_name with its extension replaced by
 * .txt), sorted by path, then first annotation, into ord and the names arena j->names. */
static void order_images(const struct convert_plan *pl, struct label_job *j)
{
    const struct cpose_coco *c = pl->c;
    size_t n = 0, bytes = 0, stem_len;
    for (size_t i = 0; i < c->n_images; i++) {
        if (pl->first_seen[i] == (size_t)-1) continue;
        label_stem(pl, i, &stem_len);
        bytes += stem_len + 5;
    }
    char *names = cpose_alloc_huge(bytes + 1), *at = names;
    for (size_t i = 0; i < c->n_images; i++) {
        if (pl->first_seen[i] == (size_t)-1) continue;
        const char *stem = label_stem(pl, i, &stem_len);
        memcpy(at, stem, stem_len);
        memcpy(at + stem_len, ".txt", 5);
        name_key(at, stem_len + 4, j->ord[n].key);
        j->ord[n].name = (size_t)(at - names);
        j->ord[n].img = i;
        j->ord[n].first_seen = pl->first_seen[i];
        at += stem_len + 5;
        n++;
    }
    qsort_r(j->ord, n, sizeof *j->ord, cmp_ord, names);
    j->names = names;
    j->names_bytes = bytes + 1;
}

/* Length of the folder part of a label name ("a/b.txt": 1, "b.txt": 0). */
static size_t dir_len(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash ? (size_t)(slash - name) : 0;
}

/* Makes the folders the label files go in (in path order), refusing a path that leaves labels_dir. */
static int make_folders(const struct convert_plan *pl, const struct label_job *j)
{
    const char *last = NULL; /* name whose folder was made last */
    size_t last_len = 0;
    for (size_t i = 0; i < j->n_ord; i++) {
        const char *name = j->names + j->ord[i].name;
        size_t dl = dir_len(name);
        if (last && dl == last_len && strncmp(last, name, dl) == 0) continue;
        last = name;
        last_len = dl;
        char *path = cpose_asprintf("%s/%s", pl->labels_dir, name);
        char *dir = cpose_strndup(path, (size_t)(strrchr(path, '/') - path));
        int rc = CPOSE_OK;
        if (strstr(dir, "/../") || strstr(path + strlen(pl->labels_dir), "/../"))
            rc = cpose_err(CPOSE_EINVAL, "%s: image file_name '%s' leaves the labels folder", pl->json_path,
                           j->c->images[j->ord[i].img].file_name);
        else rc = cpose_mkdirs(dir);
        cpose_free(dir);
        cpose_free(path);
        if (rc != CPOSE_OK) return rc;
    }
    return CPOSE_OK;
}

/* The annotations of each ord entry, in file order, laid out in ord order (a counting sort). */
static void lay_out_annotations(const struct convert_plan *pl, struct label_job *j)
{
    const struct cpose_coco *c = pl->c;
    size_t *pos_of_img = cpose_alloc_huge((c->n_images + 1) * sizeof *pos_of_img);
    size_t *next = cpose_alloc_huge((j->n_ord + 1) * sizeof *next);
    for (size_t i = 0; i < j->n_ord; i++) pos_of_img[j->ord[i].img] = i;
    j->ann_start = cpose_alloc_huge((j->n_ord + 1) * sizeof *j->ann_start);
    j->anns = cpose_alloc_huge((c->n_anns + 1) * sizeof *j->anns);
    for (size_t k = 0; k < c->n_anns; k++) j->ann_start[pos_of_img[pl->ann_img[k]] + 1]++;
    for (size_t i = 0; i < j->n_ord; i++) {
        j->ann_start[i + 1] += j->ann_start[i];
        next[i] = j->ann_start[i];
    }
    for (size_t k = 0; k < c->n_anns; k++) j->anns[next[pos_of_img[pl->ann_img[k]]]++] = k;
    cpose_free_huge(next, (j->n_ord + 1) * sizeof *next);
    cpose_free_huge(pos_of_img, (c->n_images + 1) * sizeof *pos_of_img);
}

/* The annotations of ord entries are read in label-path order, far from file order, so each one is
 * a cache (and TLB) miss that the formatting of the entry before cannot hide: measured, two thirds of
 * the formatting time was spent waiting on the first field of an annotation and its first keypoint.
 * So the loop asks for them ahead: the annotation records of entry i + ANN_AHEAD, then (their
 * offsets now at hand) the keypoint values of entry i + KPT_AHEAD. */
enum { ANN_AHEAD = 8, KPT_AHEAD = 4 };

static void prefetch_anns(const struct label_job *j, size_t i)
{
    if (i >= j->n_ord) return;
    for (size_t k = j->ann_start[i]; k < j->ann_start[i + 1]; k++) {
        const char *a = (const char *)&j->c->anns[j->anns[k]];
        __builtin_prefetch(a);
        __builtin_prefetch(a + sizeof(struct cpose_coco_ann) - 1);
    }
}

static void prefetch_kpts(const struct label_job *j, size_t i)
{
    if (i >= j->n_ord) return;
    for (size_t k = j->ann_start[i]; k < j->ann_start[i + 1]; k++) {
        const struct cpose_coco_ann *a = &j->c->anns[j->anns[k]];
        const char *kp = (const char *)cpose_coco_kpts(j->c, a);
        size_t bytes = (size_t)a->n_kpt_values * sizeof(double);
        for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(kp + off);
    }
}

/* Formats and writes the files of ord[0..n_ord) on all threads; the first failure (in no particular
 * order) is returned. */
static int write_files(const struct convert_plan *pl, const struct label_job *j, struct convert_counts *counts)
{
    int append = pl->o->style == CPOSE_CONVERT_JSON2YOLO;
    int dirfd = open(pl->labels_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int first_rc = CPOSE_OK;
    char first_msg[512] = "";
    long long skipped = 0, lines = 0, files = 0;
#pragma omp parallel reduction(+ : skipped, lines, files)
    {
        struct cbuf b = {0};
        double *kept = NULL;
        size_t kept_cap = 0;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < j->n_ord; i++) {
            prefetch_anns(j, i + ANN_AHEAD);
            prefetch_kpts(j, i + KPT_AHEAD);
            const char *name = j->names + j->ord[i].name;
            if (i > 0 && strcmp(j->names + j->ord[i - 1].name, name) == 0) continue; /* written with the group head */
            b.n = 0;
            size_t e = i;
            do image_rows(j, e++, &b, &kept, &kept_cap, &skipped, &lines);
            while (e < j->n_ord && strcmp(j->names + j->ord[e].name, name) == 0);
            int r = write_file(dirfd, pl->labels_dir, name, b.p ? b.p : "", b.n, append);
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
        cpose_free(kept);
        cpose_free(b.p);
    }
    if (dirfd >= 0) close(dirfd);
    counts->files += files;
    counts->lines += lines;
    counts->skipped += skipped;
    if (first_rc != CPOSE_OK) return cpose_err(first_rc, "%s", first_msg);
    return CPOSE_OK;
}

int cpose_convert_write_labels(const struct convert_plan *pl, struct convert_counts *counts)
{
    struct label_job j = {.c = pl->c, .o = pl->o};
    j.ord = cpose_alloc_huge((pl->n_used + 1) * sizeof *j.ord); /* these arrays on huge pages: see alloc.h */
    j.n_ord = pl->n_used;
    char *msg = NULL;
    int rc = CPOSE_OK;
#pragma omp parallel sections
    {
#pragma omp section
        cpose_convert_settle(pl->c->kpt_values, pl->c->n_kpt_values * sizeof *pl->c->kpt_values);
#pragma omp section
        {
            order_images(pl, &j);
            rc = make_folders(pl, &j);
            if (rc == CPOSE_OK) lay_out_annotations(pl, &j);
            else msg = cpose_strdup(cpose_errmsg()); /* messages are per thread */
        }
    }
    if (rc != CPOSE_OK) rc = cpose_err(rc, "%s", msg);
    else rc = write_files(pl, &j, counts);
    cpose_free(msg);
    cpose_free_huge(j.ann_start, (j.n_ord + 1) * sizeof *j.ann_start);
    cpose_free_huge(j.anns, (pl->c->n_anns + 1) * sizeof *j.anns);
    cpose_free_huge(j.ord, (j.n_ord + 1) * sizeof *j.ord);
    cpose_free_huge((char *)j.names, j.names_bytes);
    return rc;
}
