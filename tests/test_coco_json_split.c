/* tests/test_coco_json_split.c — the COCO reader's shortcuts (segmentation polygons handed past yajl,
 * the annotations array parsed in pieces on several threads) against the plain path that feeds every
 * byte to yajl on one thread: on random documents full of traps (strings holding `},{` and
 * `"segmentation":`, RLE objects, odd white space, sections in any order, results lists) every variant must give the
 * same images, annotations, categories and keypoints; on corrupted copies, the same error message. */
/* cpose-layer: datasets */
#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "datasets/coco_json_impl.h"
#include "tests/testlib.h"

#include <omp.h>
#include <stdarg.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

struct sb { char *p; size_t n, cap; };
static void put(struct sb *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->p = cpose_realloc(b->p, b->cap);
    }
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap2);
    va_end(ap2);
    b->n += (size_t)k;
}

static const char *ws(void)
{
    static const char *opts[] = {"", "", "", " ", "\n  ", "\t", " \r\n "};
    return opts[rnd(7)];
}

static const char *trap_string(void)
{
    static const char *opts[] = {"plain", "},{", "}, {\\\"segmentation\\\": [1, 2]}, {", "\\\"segmentation\\\":[[1,2]]",
                                 "a]b[c", "x\\\\", "\\u007d,\\u007b", "segmentation is not here"};
    return opts[rnd(8)];
}

static void number(struct sb *b)
{
    switch (rnd(6)) {
    case 0: put(b, "%d", (int)rnd(2000) - 500); break;
    case 1: put(b, "%.2f", rnd(100000) / 100.0); break;
    case 2: put(b, "%.17g", rnd(1u << 30) / 7.0); break;
    case 3: put(b, "%de%d", (int)rnd(90) + 1, (int)rnd(5)); break;
    case 4: put(b, "-0.%03dE-2", (int)rnd(1000)); break;
    default: put(b, "0"); break;
    }
}

static void segmentation(struct sb *b)
{
    switch (rnd(5)) {
    case 0: /* RLE with a string that looks like JSON */
        put(b, "{\"counts\": \"%s]}[\", \"size\": [%d, %d]}", trap_string(), (int)rnd(500), (int)rnd(500));
        break;
    case 1: put(b, "[]"); break;
    case 2: put(b, "{\"counts\": [1, 2, 3], \"size\": [4, 5]}"); break;
    default: {
        put(b, "[");
        int polys = 1 + (int)rnd(3);
        for (int q = 0; q < polys; q++) {
            put(b, "%s%s[", q ? "," : "", ws());
            int n = (int)rnd(12);
            for (int i = 0; i < n; i++) {
                if (i) put(b, ",%s", ws());
                number(b);
            }
            put(b, "%s]", ws());
        }
        put(b, "]");
    }
    }
}

static void annotation(struct sb *b, int64_t id, int n_images)
{
    put(b, "{");
    int fields = 0;
    int order = (int)rnd(3);
    for (int f = 0; f < 9; f++) {
        int which = (f + order * 3) % 9;
        if (rnd(10) == 0 && which != 0) continue; /* some keys absent */
        put(b, "%s%s", fields++ ? "," : "", ws());
        switch (which) {
        case 0: put(b, "\"id\":%s%lld", ws(), (long long)id); break;
        case 1: put(b, "\"image_id\": %d", (int)rnd((uint32_t)n_images) + 1); break;
        case 2: put(b, "\"category_id\": 1"); break;
        case 3: put(b, "\"segmentation\"%s:%s", ws(), ws()); segmentation(b); break;
        case 4: put(b, "\"bbox\": [%d.5, 2, %d, 4e1]", (int)rnd(600), (int)rnd(300)); break;
        case 5: put(b, "\"iscrowd\": %s", rnd(4) ? "0" : "true"); break;
        case 6: {
            put(b, "\"keypoints\": [");
            for (int k = 0; k < 9; k++) {
                if (k) put(b, ",");
                number(b);
            }
            put(b, "]");
            break;
        }
        case 7: put(b, "\"caption\": \"%s\", \"extra\": {\"segmentation\": [[1]], \"s\": \"%s\"}", trap_string(), trap_string()); break;
        default: put(b, "\"num_keypoints\": %d, \"area\": %d.25", (int)rnd(18), (int)rnd(9999)); break;
        }
    }
    put(b, "%s}", ws());
}

/* layout 0-2: ground truth with the sections in different orders; 3: a results list. */
static char *document(int n_images, int n_anns, int layout)
{
    struct sb b = {0};
    put(&b, "{%s\"info\": {\"description\": \"%s\", \"annotations\": [1, {\"a\": \"},{\"}]},%s", ws(), trap_string(), ws());
    struct sb images = {0}, anns = {0};
    put(&images, "\"images\":%s[", ws());
    for (int i = 1; i <= n_images; i++)
        put(&images, "%s{\"id\": %d, \"file_name\": \"%s%d.jpg\", \"width\": %d, \"height\": 480}", i > 1 ? "," : "",
            i, rnd(3) ? "img" : "},{\\\"segmentation\\\":[", i, 320 + (int)rnd(400));
    put(&images, "]");
    put(&anns, "%s[%s", layout == 3 ? "" : "\"annotations\":", ws());
    for (int a = 0; a < n_anns; a++) {
        if (a) put(&anns, "%s,%s", ws(), ws());
        annotation(&anns, 1000 + a, n_images);
    }
    put(&anns, "%s]", ws());
    if (layout == 3) { /* a results list */
        cpose_free(b.p);
        cpose_free(images.p);
        return anns.p;
    }
    const char *cats = "\"categories\": [{\"id\": 1, \"name\": \"person\", \"keypoints\": [\"nose\", \"eye\", \"ear\"]}]";
    if (layout == 0) put(&b, "%s, %s, %s}", images.p, anns.p, cats);
    else if (layout == 1) put(&b, "%s,%s,%s}", cats, anns.p, images.p);
    else put(&b, "%s, %s, \"annotations\": [], %s}", anns.p, cats, images.p);
    cpose_free(images.p);
    cpose_free(anns.p);
    return b.p;
}

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* a: the plain parse; b: a variant (its keypoint array may hold unused values between pieces). */
static int same_coco(const struct cpose_coco *a, const struct cpose_coco *b)
{
    if (a->n_images != b->n_images || a->n_anns != b->n_anns || a->n_categories != b->n_categories ||
        a->is_results != b->is_results || b->n_kpt_values < a->n_kpt_values)
        return 0;
    for (size_t i = 0; i < a->n_images; i++) {
        const struct cpose_coco_image *x = &a->images[i], *y = &b->images[i];
        if (x->id != y->id || x->width != y->width || x->height != y->height || !same_str(x->file_name, y->file_name))
            return 0;
    }
    for (size_t i = 0; i < a->n_anns; i++) {
        const struct cpose_coco_ann *x = &a->anns[i], *y = &b->anns[i];
        if (x->id != y->id || x->image_id != y->image_id || x->category_id != y->category_id || x->iscrowd != y->iscrowd ||
            x->num_keypoints != y->num_keypoints || x->area != y->area || memcmp(x->bbox, y->bbox, sizeof x->bbox) ||
            x->n_kpt_values != y->n_kpt_values || x->byte_offset != y->byte_offset || x->has_bbox != y->has_bbox ||
            x->has_keypoints != y->has_keypoints || x->has_id != y->has_id || x->has_area != y->has_area ||
            x->bbox_empty != y->bbox_empty)
            return 0;
        if (x->kpt_offset + (size_t)x->n_kpt_values > a->n_kpt_values ||
            y->kpt_offset + (size_t)y->n_kpt_values > b->n_kpt_values)
            return 0;
        if (x->n_kpt_values &&
            memcmp(cpose_coco_kpts(a, x), cpose_coco_kpts(b, y), (size_t)x->n_kpt_values * sizeof(double)))
            return 0;
    }
    for (size_t i = 0; i < a->n_categories; i++)
        if (a->categories[i].id != b->categories[i].id || !same_str(a->categories[i].name, b->categories[i].name) ||
            a->categories[i].n_keypoint_names != b->categories[i].n_keypoint_names)
            return 0;
    return 1;
}

/* Every variant against the plain path, on text (which may be malformed). Returns the plain rc. */
static int check_variants(const char *text, size_t len, const char *what)
{
    struct cpose_coco ref;
    int ref_rc = cpose_coco_parse_opts("doc.json", text, len, 1, 0, &ref);
    char ref_msg[1024];
    snprintf(ref_msg, sizeof ref_msg, "%s", cpose_errmsg());
    static const int chunks[] = {1, 2, 3, 4, 7};
    for (int c = 0; c < 5; c++)
        for (int skip = 0; skip <= 1; skip++) {
            if (chunks[c] == 1 && !skip) continue;
            struct cpose_coco got;
            int rc = cpose_coco_parse_opts("doc.json", text, len, chunks[c], skip, &got);
            CHECK_MSG(rc == ref_rc, "%s, %d pieces, skip %d: rc %d, plain path %d (%s)", what, chunks[c], skip, rc,
                      ref_rc, rc ? cpose_errmsg() : ref_msg);
            if (rc == CPOSE_OK && ref_rc == CPOSE_OK)
                CHECK_MSG(same_coco(&ref, &got), "%s, %d pieces, skip %d: result differs", what, chunks[c], skip);
            else if (rc != CPOSE_OK && ref_rc != CPOSE_OK)
                CHECK_MSG(strcmp(cpose_errmsg(), ref_msg) == 0, "%s, %d pieces, skip %d: '%s' vs plain '%s'", what,
                          chunks[c], skip, cpose_errmsg(), ref_msg);
            cpose_coco_free(&got);
        }
    cpose_coco_free(&ref);
    return ref_rc;
}

static void test_valid_documents(void)
{
    for (int d = 0; d < 60; d++) {
        char *doc = document(1 + (int)rnd(6), (int)rnd(40), d % 4);
        char what[64];
        snprintf(what, sizeof what, "document %d", d);
        CHECK_MSG(check_variants(doc, strlen(doc), what) == CPOSE_OK, "%s should parse: %s", what, cpose_errmsg());
        cpose_free(doc);
    }
}

static void test_corrupted_documents(void)
{
    static const char junk[] = {'x', ',', ']', '}', '"', '.', '-', 'e', ' ', '['};
    int n_bad = 0;
    for (int d = 0; d < 60; d++) {
        char *doc = document(1 + (int)rnd(4), 5 + (int)rnd(30), d % 4);
        size_t len = strlen(doc);
        for (int k = 0; k < 8; k++) {
            char *bad = cpose_strdup(doc);
            size_t at = rnd((uint32_t)len);
            if (rnd(3) == 0) { /* delete a byte */
                memmove(bad + at, bad + at + 1, len - at);
            } else {
                bad[at] = junk[rnd(sizeof junk)];
            }
            char what[64];
            snprintf(what, sizeof what, "document %d, corruption %d at %zu", d, k, at);
            if (check_variants(bad, strlen(bad), what) != CPOSE_OK) n_bad++;
            cpose_free(bad);
        }
        cpose_free(doc);
    }
    CHECK_MSG(n_bad > 150, "only %d of 480 corruptions were errors: the test lost its teeth", n_bad);
}

static void test_polygon_errors(void)
{
    /* malformed numbers inside a polygon must not be skipped quietly */
    static const char *polys[] = {"[[1.]]", "[[01]]", "[[1,]]", "[[,1]]", "[[1 2]]", "[[.5]]", "[[1e]]", "[[-]]",
                                  "[[1]", "[[NaN]]", "[[1][2]]", "[[+1]]", "[[1.5.5]]", "[[-01]]", "[[00]]",
                                  "[[1,,2]]", "[[1,-]]", "[[1,-a]]", "[[1,.5]]", "[[123456789012345678901x]]",
                                  "[[12345678\xfa" "9]]", "[[1.23456789012\xff]]", "[[9:]]", "[[1,2/]]", "[[1.0e+]]",
                                  "[[123456789.123456789,-]]"};
    for (size_t i = 0; i < sizeof polys / sizeof *polys; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "{\"annotations\": [{\"id\": 1, \"segmentation\": %s, \"bbox\": [1, 2, 3, 4]}]}", polys[i]);
        CHECK_MSG(check_variants(doc, strlen(doc), polys[i]) == CPOSE_EINVAL, "%s accepted", polys[i]);
    }
    const char *ok = "{\"annotations\": [{\"id\": 1, \"segmentation\": [[-0.5e+3, 0, 1E2], [ ]], \"bbox\": [1, 2, 3, 4]}]}";
    CHECK(check_variants(ok, strlen(ok), "valid exotic polygon") == CPOSE_OK);
    /* digit runs across the eight-byte steps, at every distance from the end of the document */
    static const char *long_ok[] = {"[[12345678,123456789,1234567890123456789012,-0.12345678901234567,0,-0]]",
                                    "[[1.5,-2.25,3e4,0.0,99999999.99999999,1,2,3]]", "[[0.1234567,12345678.9]]"};
    for (size_t i = 0; i < sizeof long_ok / sizeof *long_ok; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "{\"annotations\": [{\"id\": 1, \"segmentation\": %s}]}", long_ok[i]);
        CHECK_MSG(check_variants(doc, strlen(doc), long_ok[i]) == CPOSE_OK, "%s refused", long_ok[i]);
        snprintf(doc, sizeof doc, "{\"annotations\": [{\"id\": 1, \"segmentation\": %s", long_ok[i]);
        for (size_t cut = strlen(doc) - 12; cut < strlen(doc); cut++)
            CHECK_MSG(check_variants(doc, cut, long_ok[i]) != CPOSE_OK, "%s cut at %zu accepted", long_ok[i], cut);
    }
}

static void test_keypoint_lists(void)
{
    /* keypoint lists are converted outside yajl when flat; every shape must end as the plain path ends */
    static const struct { const char *list; int ok; } cases[] = {
        {"[]", 1}, {"[ 1 , 2.5 ,\n0 ]", 1}, {"[-0, 1e400, 0.1e-330, 12345678901234567890]", 1},
        {"[1, null]", 0}, {"[[1]]", 0}, {"\"x\"", 0}, {"[1,2,]", 0}, {"[1 2]", 0}, {"[01]", 0}, {"[1.e5]", 0},
        {"{\"a\": 1}", 0}, {"[1", 0}, {"[true]", 1} /* booleans in a number list are ignored by the reader */};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "{\"annotations\": [{\"id\": 1, \"keypoints\" : %s, \"bbox\": [1, 2, 3, 4]}, {\"id\": 2}]}",
                 cases[i].list);
        int rc = check_variants(doc, strlen(doc), cases[i].list);
        CHECK_MSG((rc == CPOSE_OK) == cases[i].ok, "keypoints %s: rc %d", cases[i].list, rc);
    }
}

static void test_bbox_lists(void)
{
    /* bbox lists are converted outside yajl when flat; every shape must end as the plain path ends */
    static const struct { const char *list; int ok; } cases[] = {
        {"[]", 1}, {"[1, 2, 3, 4]", 1}, {"[ -0 ,1e400,\n0.1e-330 , 12345678901234567890 ]", 1}, {"[1, 2, 3]", 0},
        {"[1, 2, 3, 4, 5]", 0}, {"[1, null, 3, 4]", 0}, {"[[1, 2, 3, 4]]", 0}, {"\"x\"", 0}, {"[1,2,3,4,]", 0},
        {"[1 2 3 4]", 0}, {"[01, 2, 3, 4]", 0}, {"[1.e5, 2, 3, 4]", 0}, {"[1, 2, 3, 4", 0},
        {"[true, 1, 2, 3, 4]", 1} /* booleans in a number list are ignored by the reader */};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char doc[320];
        snprintf(doc, sizeof doc, "{\"annotations\": [{\"id\": 1, \"bbox\" : %s, \"area\": 2}, {\"id\": 2}]}", cases[i].list);
        int rc = check_variants(doc, strlen(doc), cases[i].list);
        CHECK_MSG((rc == CPOSE_OK) == cases[i].ok, "bbox %s: rc %d", cases[i].list, rc);
        snprintf(doc, sizeof doc, "[{\"image_id\": 1, \"bbox\": %s, \"score\": 0.5}, {\"image_id\": 2, \"bbox\": %s}]",
                 cases[i].list, cases[i].list);
        rc = check_variants(doc, strlen(doc), cases[i].list);
        CHECK_MSG((rc == CPOSE_OK) == cases[i].ok, "results bbox %s: rc %d", cases[i].list, rc);
    }
    /* "bbox" outside an annotation (an image's, a string's text) is not taken for the annotation key */
    const char *doc = "{\"images\": [{\"id\": 1, \"bbox\": [1, 2]}], \"annotations\": [{\"id\": 1, \"name\": \"\\\"bbox\\\": [\", "
                      "\"bbox\": [5, 6, 7, 8]}]}";
    CHECK(check_variants(doc, strlen(doc), "bbox key look-alikes") == CPOSE_OK);
}

/* A file of ≈ 24 MB read by cpose_coco_load (a private mapping read through the page window, which
 * drops pages behind the parsers, in pieces on 3 threads) gives what the plain in-memory path gives. */
static void test_loaded_file(void)
{
    for (int layout = 0; layout < 4; layout += 3) {
        char *text = document(2000, 60000, layout);
        size_t len = strlen(text);
        CHECK_MSG(len > (size_t)(16 << 20), "document of %zu bytes is too small to move the window", len);
        char path[] = "/tmp/cpose-test-coco-window-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        if (fd < 0) { cpose_free(text); return; }
        FILE *f = fdopen(fd, "wb");
        CHECK(fwrite(text, 1, len, f) == len);
        fclose(f);
        struct cpose_coco ref, got;
        int ref_rc = cpose_coco_parse_opts("doc.json", text, len, 1, 0, &ref);
        omp_set_num_threads(3);
        int rc = cpose_coco_load(path, &got);
        CHECK_MSG(rc == CPOSE_OK && ref_rc == CPOSE_OK, "layout %d: load rc %d, plain rc %d (%s)", layout, rc, ref_rc,
                  cpose_errmsg());
        if (rc == CPOSE_OK && ref_rc == CPOSE_OK) {
            CHECK_MSG(same_coco(&ref, &got), "layout %d: loaded file differs from the plain parse", layout);
            CHECK(got.n_anns > 50000);
        }
        if (rc == CPOSE_OK) cpose_coco_free(&got);
        if (ref_rc == CPOSE_OK) cpose_coco_free(&ref);
        unlink(path);
        cpose_free(text);
    }
}

int main(void)
{
    test_loaded_file();
    test_valid_documents();
    test_corrupted_documents();
    test_polygon_errors();
    test_keypoint_lists();
    test_bbox_lists();
    return tl_finish();
}
