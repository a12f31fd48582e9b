/* datasets/coco_json.c — streaming COCO JSON reader on yajl callbacks: a small state machine that
 * keeps images, annotations, categories and keypoint numbers, and skips everything else (notably
 * `segmentation` polygons) without storing it. */
#include "datasets/coco_json.h"
#include "datasets/coco_json_impl.h"
#include "core/base/alloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t offset(struct coco_parser *p) { return p->base + (int64_t)yajl_get_bytes_consumed(p->h); }

static const char *item_kind(struct coco_parser *p)
{
    return p->sec == SEC_IMAGES ? "image" : p->sec == SEC_CATS ? "category" : "annotation";
}

static int fail_type(struct coco_parser *p, const char *key, const char *want)
{
    int64_t id = p->sec == SEC_IMAGES ? p->img.id : p->sec == SEC_CATS ? p->cat.id : p->ann.id;
    int has = p->sec == SEC_IMAGES ? p->img.has_id : p->sec == SEC_CATS ? 1 : p->ann.has_id;
    char idtxt[64] = "";
    if (has) snprintf(idtxt, sizeof idtxt, " id %lld", (long long)id);
    p->rc = cpose_err(CPOSE_EINVAL, "%s: %s%s: key '%s' must be %s (byte offset %lld)", p->path, item_kind(p), idtxt,
                      key, want, (long long)offset(p));
    return 0;
}

static const char *field_name(enum coco_field f)
{
    static const char *names[] = {"?", "id", "image_id", "category_id", "iscrowd", "num_keypoints", "area", "bbox",
                                  "score", "keypoints", "file_name", "width", "height", "name", "supercategory"};
    return names[f];
}

static enum coco_field lookup_field(const unsigned char *k, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
    if (IS("id")) return F_ID;
    if (IS("image_id")) return F_IMAGE_ID;
    if (IS("category_id")) return F_CATEGORY_ID;
    if (IS("iscrowd")) return F_ISCROWD;
    if (IS("num_keypoints")) return F_NUM_KEYPOINTS;
    if (IS("area")) return F_AREA;
    if (IS("bbox")) return F_BBOX;
    if (IS("score")) return F_SCORE;
    if (IS("keypoints")) return F_KEYPOINTS;
    if (IS("file_name")) return F_FILE_NAME;
    if (IS("width")) return F_WIDTH;
    if (IS("height")) return F_HEIGHT;
    if (IS("name")) return F_NAME;
    if (IS("supercategory")) return F_SUPERCATEGORY;
    return F_OTHER;
#undef IS
}

static void begin_item(struct coco_parser *p)
{
    int64_t off = offset(p);
    if (p->sec == SEC_IMAGES) memset(&p->img, 0, sizeof p->img);
    else if (p->sec == SEC_CATS) memset(&p->cat, 0, sizeof p->cat);
    else {
        memset(&p->ann, 0, sizeof p->ann);
        p->ann.num_keypoints = -1;
        p->ann.byte_offset = off > 0 ? off - 1 : 0;
        p->ann.kpt_offset = p->kpts.len;
    }
    p->field = F_OTHER;
    p->st = ST_ITEM;
}

static void end_item(struct coco_parser *p)
{
    /* The vectors own the strings from here: clear the scratch item so they are freed once. */
    if (p->sec == SEC_IMAGES) {
        cpose_vec_push(&p->images, &p->img);
        memset(&p->img, 0, sizeof p->img);
    } else if (p->sec == SEC_CATS) {
        cpose_vec_push(&p->cats, &p->cat);
        memset(&p->cat, 0, sizeof p->cat);
    } else {
        cpose_vec_push(&p->anns, &p->ann);
    }
    p->st = ST_LIST;
}

static int on_start_map(void *ctx)
{
    struct coco_parser *p = ctx;
    if (p->skip) { p->skip++; return 1; }
    switch (p->st) {
    case ST_START: p->st = ST_TOP; return 1;
    case ST_LIST: begin_item(p); return 1;
    case ST_ITEM:
        if (p->field != F_OTHER) return fail_type(p, field_name(p->field), "a number or string, not an object");
        p->skip = 1;
        return 1;
    case ST_TOP: p->skip = 1; return 1;
    default:
        p->rc = cpose_err(CPOSE_EINVAL, "%s: unexpected object at byte offset %lld", p->path, (long long)offset(p));
        return 0;
    }
}

static int on_end_map(void *ctx)
{
    struct coco_parser *p = ctx;
    if (p->skip) { p->skip--; return 1; }
    if (p->st == ST_ITEM) end_item(p);
    else if (p->st == ST_TOP) p->st = ST_DONE;
    return 1;
}

static int on_start_array(void *ctx)
{
    struct coco_parser *p = ctx;
    if (p->skip) { p->skip++; return 1; }
    switch (p->st) {
    case ST_START: p->st = ST_LIST; p->sec = SEC_ANNS; p->top_is_list = 1; return 1; /* results file */
    case ST_TOP:
        if (p->pending_sec == SEC_NONE) { p->skip = 1; return 1; }
        p->sec = p->pending_sec;
        p->st = ST_LIST;
        return 1;
    case ST_ITEM:
        if (p->field == F_BBOX || p->field == F_KEYPOINTS) {
            p->st = ST_NUMS;
            p->n_nums = p->preloaded_nums; /* numbers a driver already pushed (then this list is "[]") */
            p->preloaded_nums = 0;
            return 1;
        }
        if (p->field != F_OTHER) return fail_type(p, field_name(p->field), "a number or string, not a list");
        p->skip = 1;
        return 1;
    case ST_NUMS: return fail_type(p, field_name(p->field), "a flat list of numbers");
    default:
        p->rc = cpose_err(CPOSE_EINVAL, "%s: unexpected list at byte offset %lld", p->path, (long long)offset(p));
        return 0;
    }
}

static int on_end_array(void *ctx)
{
    struct coco_parser *p = ctx;
    if (p->skip) { p->skip--; return 1; }
    if (p->st == ST_NUMS) {
        if (p->sec == SEC_ANNS && p->field == F_BBOX) {
            if (p->n_nums == 0) p->ann.bbox_empty = 1; /* the consumer decides (JSON2YOLO: as missing) */
            else if (p->n_nums != 4) return fail_type(p, "bbox", "a list of 4 numbers [x, y, w, h]");
            else p->ann.has_bbox = 1;
        } else if (p->sec == SEC_ANNS && p->field == F_KEYPOINTS) {
            p->ann.has_keypoints = 1;
            p->ann.n_kpt_values = p->n_nums;
        } else if (p->sec == SEC_CATS && p->field == F_KEYPOINTS) {
            p->cat.n_keypoint_names = p->n_nums;
        }
        p->st = ST_ITEM;
        p->field = F_OTHER;
    } else if (p->st == ST_LIST) {
        p->st = p->top_is_list ? ST_DONE : ST_TOP;
        p->sec = SEC_NONE;
    }
    return 1;
}

static int on_map_key(void *ctx, const unsigned char *k, size_t n)
{
    struct coco_parser *p = ctx;
    p->n_keys++;
    int in_ann = !p->skip && p->st == ST_ITEM && p->sec == SEC_ANNS;
    p->last_key_is_segmentation = in_ann && n == 12 && memcmp(k, "segmentation", 12) == 0;
    p->last_key_is_keypoints = in_ann && n == 9 && memcmp(k, "keypoints", 9) == 0;
    p->last_key_is_bbox = in_ann && n == 4 && memcmp(k, "bbox", 4) == 0;
    if (p->skip) return 1;
    if (p->st == ST_TOP) {
        p->pending_sec = (n == 6 && !memcmp(k, "images", 6)) ? SEC_IMAGES
                         : (n == 11 && !memcmp(k, "annotations", 11)) ? SEC_ANNS
                         : (n == 10 && !memcmp(k, "categories", 10)) ? SEC_CATS
                                                                     : SEC_NONE;
        p->top_keys |= p->pending_sec == SEC_IMAGES ? COCO_KEY_IMAGES
                       : p->pending_sec == SEC_ANNS ? COCO_KEY_ANNS
                       : p->pending_sec == SEC_CATS ? COCO_KEY_CATS
                                                    : 0;
    } else if (p->st == ST_ITEM) {
        p->field = lookup_field(k, n);
    }
    return 1;
}

static int set_number(struct coco_parser *p, double v, int integral)
{
    if (p->st == ST_NUMS) {
        if (p->sec == SEC_ANNS && p->field == F_BBOX) {
            if (p->n_nums < 4) p->ann.bbox[p->n_nums] = v;
        } else if (p->sec == SEC_ANNS && p->field == F_KEYPOINTS) {
            cpose_vec_push(&p->kpts, &v);
        } else if (p->sec == SEC_CATS) {
            return fail_type(p, "keypoints", "a list of keypoint names");
        }
        p->n_nums++;
        return 1;
    }
    if (p->st != ST_ITEM) return 1;
    /* ids and counts must be exact integers a double holds exactly (|v| < 2^53): 1.5 or 2^70 would
     * otherwise truncate or saturate and attach an annotation to the wrong image */
    int is_int_field = p->field == F_ID || p->field == F_IMAGE_ID || p->field == F_CATEGORY_ID ||
                       p->field == F_WIDTH || p->field == F_HEIGHT || p->field == F_ISCROWD || p->field == F_NUM_KEYPOINTS;
    if (is_int_field && !(v == floor(v) && fabs(v) < 9007199254740992.0)) {
        char want[96];
        snprintf(want, sizeof want, "an integer below 2^53 (found %.17g)", v);
        return fail_type(p, field_name(p->field), want);
    }
    int64_t iv = is_int_field ? (int64_t)v : 0; /* only bounded values are converted (fuzz_coco_json: area 1e57) */
    switch (p->sec) {
    case SEC_IMAGES:
        if (p->field == F_ID) { p->img.id = iv; p->img.has_id = 1; }
        else if (p->field == F_WIDTH) p->img.width = iv;
        else if (p->field == F_HEIGHT) p->img.height = iv;
        else if (p->field == F_FILE_NAME) return fail_type(p, "file_name", "a string");
        break;
    case SEC_CATS:
        if (p->field == F_ID) p->cat.id = iv;
        break;
    case SEC_ANNS:
        switch (p->field) {
        case F_ID: p->ann.id = iv; p->ann.has_id = 1; break;
        case F_IMAGE_ID: p->ann.image_id = iv; p->ann.has_image_id = 1; break;
        case F_CATEGORY_ID: p->ann.category_id = iv; p->ann.has_category_id = 1; break;
        case F_ISCROWD: p->ann.iscrowd = iv; p->ann.has_iscrowd = 1; break;
        case F_NUM_KEYPOINTS: p->ann.num_keypoints = iv; break;
        case F_AREA: p->ann.area = v; p->ann.has_area = 1; break;
        case F_SCORE: p->ann.score = v; p->ann.has_score = 1; break;
        case F_BBOX: return fail_type(p, "bbox", "a list of 4 numbers [x, y, w, h]");
        case F_KEYPOINTS: return fail_type(p, "keypoints", "a list of numbers");
        default: break;
        }
        break;
    default: break;
    }
    (void)integral;
    p->field = F_OTHER;
    return 1;
}

static int on_number(void *ctx, const char *s, size_t n)
{
    struct coco_parser *p = ctx;
    if (p->skip) return 1;
    if (p->st == ST_ITEM && p->field == F_OTHER) return 1;
    return set_number(p, cpose_coco_number(s, n), 1);
}

static int on_boolean(void *ctx, int b)
{
    struct coco_parser *p = ctx;
    if (p->skip || p->st != ST_ITEM) return 1;
    if (p->sec == SEC_ANNS && p->field == F_ISCROWD) return set_number(p, b, 1);
    return 1;
}

static int on_null(void *ctx)
{
    struct coco_parser *p = ctx;
    if (!p->skip && p->st == ST_NUMS) return fail_type(p, field_name(p->field), "a list of numbers (found null)");
    if (!p->skip && p->st == ST_ITEM) p->field = F_OTHER; /* null = absent */
    return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct coco_parser *p = ctx;
    if (p->skip) return 1;
    if (p->st == ST_NUMS) {
        if (p->sec == SEC_CATS && p->field == F_KEYPOINTS) { p->n_nums++; return 1; }
        return fail_type(p, field_name(p->field), "a list of numbers");
    }
    if (p->st != ST_ITEM) return 1;
    if (p->sec == SEC_IMAGES && p->field == F_FILE_NAME) {
        if (memchr(s, 0, n)) return fail_type(p, "file_name", "a name without NUL characters (\\u0000)");
        cpose_free(p->img.file_name);
        p->img.file_name = cpose_strndup((const char *)s, n);
    } else if (p->sec == SEC_CATS && p->field == F_NAME) {
        cpose_free(p->cat.name);
        p->cat.name = cpose_strndup((const char *)s, n);
    } else if (p->sec == SEC_CATS && p->field == F_SUPERCATEGORY) {
        cpose_free(p->cat.supercategory);
        p->cat.supercategory = cpose_strndup((const char *)s, n);
    } else if (p->field != F_OTHER && p->field != F_NAME && p->field != F_SUPERCATEGORY && p->field != F_FILE_NAME) {
        return fail_type(p, field_name(p->field), "a number");
    }
    p->field = F_OTHER;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string, on_start_map, on_map_key, on_end_map, on_start_array,
    on_end_array,
};

static void free_partial(struct coco_parser *p)
{
    for (size_t i = 0; i < p->images.len; i++) cpose_free(CPOSE_VEC_AT(&p->images, struct cpose_coco_image, i).file_name);
    for (size_t i = 0; i < p->cats.len; i++) {
        cpose_free(CPOSE_VEC_AT(&p->cats, struct cpose_coco_category, i).name);
        cpose_free(CPOSE_VEC_AT(&p->cats, struct cpose_coco_category, i).supercategory);
    }
    cpose_free(p->img.file_name);
    cpose_free(p->cat.name);
    cpose_free(p->cat.supercategory);
    cpose_vec_free(&p->images);
    cpose_vec_free(&p->anns);
    cpose_vec_free(&p->cats);
    cpose_vec_free(&p->kpts);
    memset(&p->img, 0, sizeof p->img);
    memset(&p->cat, 0, sizeof p->cat);
}

static int syntax_error(struct coco_parser *p, const unsigned char *chunk, size_t len)
{
    /* yajl counts the offending byte as consumed: report the offset of that byte (0-based). */
    int64_t off = offset(p);
    if (off > 0) off--;
    unsigned char *msg = yajl_get_error(p->h, 0, chunk, len);
    if (msg) {
        size_t n = strlen((char *)msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    }
    int rc = cpose_err(CPOSE_EINVAL, "%s: malformed JSON at byte offset %lld: %s", p->path, (long long)off,
                       msg ? (const char *)msg : "parse error");
    if (msg) yajl_free_error(p->h, msg);
    return rc;
}

void cpose_coco_parser_init(struct coco_parser *p, const char *path)
{
    memset(p, 0, sizeof *p);
    p->path = path;
    p->images = (struct cpose_vec)CPOSE_VEC_INIT(struct cpose_coco_image);
    p->anns = (struct cpose_vec)CPOSE_VEC_INIT(struct cpose_coco_ann);
    p->cats = (struct cpose_vec)CPOSE_VEC_INIT(struct cpose_coco_category);
    p->kpts = (struct cpose_vec)CPOSE_VEC_INIT(double);
    p->h = yajl_alloc(&callbacks, NULL, p);
}

int cpose_coco_parser_feed(struct coco_parser *p, const char *buf, size_t len, int64_t file_off)
{
    p->base = file_off;
    yajl_status st = yajl_parse(p->h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok) {
        p->base = file_off + (int64_t)len;
        return CPOSE_OK;
    }
    if (st == yajl_status_client_canceled) return p->rc ? p->rc : cpose_err(CPOSE_EINVAL, "%s: parse cancelled", p->path);
    return syntax_error(p, (const unsigned char *)buf, len);
}

int cpose_coco_parser_complete(struct coco_parser *p)
{
    if (yajl_complete_parse(p->h) != yajl_status_ok)
        return cpose_err(CPOSE_EINVAL, "%s: JSON ends too early at byte offset %lld (truncated file?)", p->path,
                         (long long)p->base);
    if (p->st == ST_START)
        return cpose_err(CPOSE_EINVAL, "%s: the JSON is neither a COCO object nor a results list", p->path);
    return CPOSE_OK;
}

void cpose_coco_parser_take(struct coco_parser *p, struct cpose_coco *out)
{
    memset(out, 0, sizeof *out);
    out->path = cpose_strdup(p->path);
    out->images = p->images.data, out->n_images = p->images.len;
    out->anns = p->anns.data, out->n_anns = p->anns.len;
    out->categories = p->cats.data, out->n_categories = p->cats.len;
    out->kpt_values = p->kpts.data, out->n_kpt_values = p->kpts.len;
    out->is_results = p->top_is_list;
    out->has_images = !!(p->top_keys & COCO_KEY_IMAGES);
    out->has_annotations = !!(p->top_keys & COCO_KEY_ANNS);
    out->has_categories = !!(p->top_keys & COCO_KEY_CATS);
    memset(&p->images, 0, sizeof p->images);
    memset(&p->anns, 0, sizeof p->anns);
    memset(&p->cats, 0, sizeof p->cats);
    memset(&p->kpts, 0, sizeof p->kpts);
}

int cpose_coco_parser_finish(struct coco_parser *p, struct cpose_coco *out)
{
    memset(out, 0, sizeof *out);
    int rc = cpose_coco_parser_complete(p);
    if (rc == CPOSE_OK) cpose_coco_parser_take(p, out);
    return rc;
}

void cpose_coco_parser_free(struct coco_parser *p)
{
    if (p->h) yajl_free(p->h);
    p->h = NULL;
    free_partial(p);
}

void cpose_coco_free(struct cpose_coco *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_images; i++) cpose_free(c->images[i].file_name);
    for (size_t i = 0; i < c->n_categories; i++) {
        cpose_free(c->categories[i].name);
        cpose_free(c->categories[i].supercategory);
    }
    cpose_free(c->images);
    cpose_free(c->anns);
    cpose_free(c->categories);
    cpose_free(c->kpt_values);
    cpose_free(c->path);
    memset(c, 0, sizeof *c);
}
