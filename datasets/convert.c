/* datasets/convert.c — COCO keypoint JSON → YOLO pose labels (JSON2YOLO's rules, see
 * shared/REFERENCE.md "COCO → YOLO conversion"): the names YAML, the checks of each annotation and
 * its match to an image (JSON2YOLO's image keys), the output tree built beside save_dir and renamed
 * into place. The label files themselves are convert_labels.c's. */
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
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "datasets/convert_impl.h"

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
    if (id > -1000000 && id < 1000000) return id; /* six digits or fewer: "%g" prints it whole */
    char buf[32];
    snprintf(buf, sizeof buf, "%g", (double)id);
    return (int64_t)strtod(buf, NULL);
}

/* Image ids (keys), and when they are dense enough (COCO's: 118k images, ids below 600k) a table from
 * id - min to image index, so each of the annotations finds its image in one look-up. The keys are
 * sorted, except when the table was filled straight from unique ids (then they stay in file order). */
struct image_index {
    struct img_key *keys;
    size_t n;
    int64_t min;
    size_t span;      /* table length, 0: no table */
    int32_t *table;   /* image index, or -1 */
};

/* The table straight from the images in file order when their keys are dense and unique (COCO's
 * case), so no sort is needed; 0 (nothing kept) otherwise. */
static int image_table_direct(struct image_index *x)
{
    if (x->n == 0 || x->n > INT32_MAX) return 0;
    int64_t lo = x->keys[0].id, hi = lo;
    for (size_t i = 1; i < x->n; i++) {
        lo = x->keys[i].id < lo ? x->keys[i].id : lo;
        hi = x->keys[i].id > hi ? x->keys[i].id : hi;
    }
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0 || span > 16 * (uint64_t)x->n + 65536) return 0;
    int32_t *table = cpose_alloc_huge((size_t)span * sizeof *table);
    memset(table, 0xff, (size_t)span * sizeof *table);
    for (size_t i = 0; i < x->n; i++) {
        int32_t *slot = &table[x->keys[i].id - lo];
        if (*slot >= 0) { /* a repeated id: the sorted path reports repeats in id order */
            cpose_free_huge(table, (size_t)span * sizeof *table);
            return 0;
        }
        *slot = (int32_t)i;
    }
    x->min = lo;
    x->span = (size_t)span;
    x->table = table;
    return 1;
}

static void image_index_build(struct image_index *x, const struct cpose_coco *c, int j2y)
{
    x->n = c->n_images;
    x->keys = cpose_alloc_huge((x->n + 1) * sizeof *x->keys);
    for (size_t i = 0; i < x->n; i++) {
        x->keys[i].id = j2y ? json2yolo_id_key(c->images[i].id) : c->images[i].id;
        x->keys[i].idx = i;
    }
    if (image_table_direct(x)) return; /* keys stay in file order: no id repeats */
    qsort(x->keys, x->n, sizeof *x->keys, cmp_img_key);
    if (x->n == 0 || x->n > INT32_MAX) return;
    x->min = x->keys[0].id;
    uint64_t span = (uint64_t)x->keys[x->n - 1].id - (uint64_t)x->min + 1;
    if (span == 0 || span > 16 * (uint64_t)x->n + 65536) return;
    x->span = (size_t)span;
    x->table = cpose_alloc_huge(x->span * sizeof *x->table);
    memset(x->table, 0xff, x->span * sizeof *x->table);
    for (size_t i = 0; i < x->n; i++) /* in (id, file order): the last of a repeated id wins */
        x->table[x->keys[i].id - x->min] = (int32_t)x->keys[i].idx;
}

/* The plan's loop over the annotations reads three places at random for each (its image's table
 * slot, the image, the image's first-seen mark), each a cache miss on COCO-sized files; so the slot
 * is asked for PLAN_AHEAD annotations ahead, and the other two (the slot now at hand) half as far. */
enum { PLAN_AHEAD = 16 };
static void prefetch_plan(const struct image_index *x, const struct cpose_coco *c, const size_t *first_seen, size_t k)
{
    if (!x->span) return;
    if (k + PLAN_AHEAD < c->n_anns) {
        uint64_t at = (uint64_t)c->anns[k + PLAN_AHEAD].image_id - (uint64_t)x->min;
        if (at < x->span) __builtin_prefetch(&x->table[at]);
    }
    if (k + PLAN_AHEAD / 2 < c->n_anns) {
        uint64_t at = (uint64_t)c->anns[k + PLAN_AHEAD / 2].image_id - (uint64_t)x->min;
        if (at < x->span && x->table[at] >= 0) {
            __builtin_prefetch(&c->images[x->table[at]]);
            __builtin_prefetch(&first_seen[x->table[at]]);
        }
    }
}

static void image_index_free(struct image_index *x)
{
    cpose_free_huge(x->keys, (x->n + 1) * sizeof *x->keys);
    cpose_free_huge(x->table, x->span * sizeof *x->table);
}

/* Index of the image with this id (the last one in the file when ids repeat, as a Python dict
 * keeps), or -1. */
static long find_image(const struct image_index *x, int64_t id)
{
    if (x->span) {
        uint64_t at = (uint64_t)id - (uint64_t)x->min;
        return at < x->span ? (long)x->table[at] : -1;
    }
    const struct img_key *keys = x->keys;
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid].id <= id) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0 || keys[lo - 1].id != id) return -1;
    return (long)keys[lo - 1].idx;
}

static int convert_one(const char *json_path, const char *stem, const struct cpose_convert_opts *o,
                       struct cpose_convert_stats *st, int *kpt_k)
{
    struct cpose_coco c = {0};
    struct image_index index = {0};
    size_t *first_seen = NULL, *ann_img = NULL;
    struct cbuf yb = {0};
    char *labels_dir = NULL, *yaml_path = NULL;
    int j2y = o->style == CPOSE_CONVERT_JSON2YOLO, checks = o->strict || !j2y;
    double t_load = cpose_now(), c_load = cpu_seconds();
    int rc = cpose_coco_load(json_path, &c);
    if (rc != CPOSE_OK) return rc;
    t_load = cpose_now() - t_load;
    c_load = cpu_seconds() - c_load;
    cpose_convert_settle(c.anns, c.n_anns * sizeof *c.anns); /* the keypoints: while the files are ordered */
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

    image_index_build(&index, &c, j2y);
    const struct img_key *keys = index.keys;
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

    first_seen = cpose_alloc_huge((c.n_images + 1) * sizeof *first_seen); /* on huge pages: see alloc.h */
    ann_img = cpose_alloc_huge((c.n_anns + 1) * sizeof *ann_img);
    for (size_t i = 0; i < c.n_images; i++) first_seen[i] = (size_t)-1;
    size_t n_used = 0;
    for (size_t k = 0; k < c.n_anns; k++) {
        const struct cpose_coco_ann *a = &c.anns[k];
        prefetch_plan(&index, &c, first_seen, k); /* the id itself: JSON2YOLO's key differs from 10^6 on only */
        if (!a->has_image_id) {
            rc = cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no 'image_id'", json_path,
                           (long long)a->id, (long long)a->byte_offset);
            goto fail;
        }
        long img = find_image(&index, j2y ? json2yolo_id_key(a->image_id) : a->image_id);
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
    }
    struct convert_plan plan = {.c = &c, .o = o, .json_path = json_path, .labels_dir = labels_dir,
                                .ann_img = ann_img, .first_seen = first_seen, .n_used = n_used};
    struct convert_counts n = {0};
    if ((rc = cpose_convert_write_labels(&plan, &n)) != CPOSE_OK) goto fail;
    if (st) {
        st->n_images_written += n.files;
        st->n_lines += n.lines;
        st->n_skipped += n.skipped;
    }
    cpose_info("%s: %lld label files, %lld rows, %lld annotations skipped → labels/%s (read %.2f s wall %.2f s CPU, "
               "write %.2f s wall %.2f s CPU)",
               json_path, n.files, n.lines, n.skipped, sub, t_load, c_load, cpose_now() - t_write, cpu_seconds() - c_write);
fail:
    image_index_free(&index);
    cpose_free_huge(first_seen, (c.n_images + 1) * sizeof *first_seen);
    cpose_free_huge(ann_img, (c.n_anns + 1) * sizeof *ann_img);
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
