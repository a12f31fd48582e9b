/* tests/test_convert.c — COCO → YOLO conversion: byte-for-byte against JSON2YOLO's output trees
 * (real subset, edge-case probe with and without cls91to80), the Ultralytics style, the number
 * formatting against libc's printf, and the error messages for malformed input. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "datasets/convert.h"
#include "core/base/fsutil.h"
#include "datasets/numfmt.h"
#include "tests/testlib.h"

static const char *g_expect_root, *g_got_root;
static int g_files;

static int cmp_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag != FTW_F) return 0;
    g_files++;
    const char *rel = path + strlen(g_expect_root);
    char *got = cpose_asprintf("%s%s", g_got_root, rel);
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    int ok_a = cpose_read_file(path, &a, &la) == CPOSE_OK;
    int ok_b = cpose_read_file(got, &b, &lb) == CPOSE_OK;
    CHECK_MSG(ok_a && ok_b && la == lb && memcmp(a, b, la) == 0, "%s differs from %s", got, path);
    cpose_free(a);
    cpose_free(b);
    cpose_free(got);
    return 0;
}

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F) g_files++;
    return 0;
}

/* Every file of expect/ equals the same file in got/, and got/ holds exactly one more file
 * (dataset.yaml, which JSON2YOLO does not write). */
static void compare_tree(const char *expect, const char *got)
{
    g_expect_root = expect;
    g_got_root = got;
    g_files = 0;
    nftw(expect, cmp_entry, 16, FTW_PHYS);
    int n_expect = g_files;
    CHECK(n_expect > 0);
    g_files = 0;
    nftw(got, count_entry, 16, FTW_PHYS);
    CHECK_MSG(g_files == n_expect + 1, "%s holds %d files, expected %d", got, g_files, n_expect + 1);
}

static int run(const char *json_dir, const char *save_dir, int cls91to80, enum cpose_convert_style style, int exist_ok)
{
    struct cpose_convert_opts o = {json_dir, save_dir, 1, cls91to80, exist_ok, style};
    struct cpose_convert_stats st;
    return cpose_convert_coco(&o, &st);
}

static void test_fixtures(void)
{
    const char *tmp = tl_tmpdir("convert");
    char *out = cpose_path_join(tmp, "real");
    CHECK(run(tl_fixture("json2yolo/in"), out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_OK);
    compare_tree(tl_fixture("json2yolo/out"), out);
    cpose_free(out);

    out = cpose_path_join(tmp, "edge");
    CHECK(run(tl_fixture("json2yolo/edgecase/in"), out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_OK);
    compare_tree(tl_fixture("json2yolo/edgecase/out_default"), out);
    /* refusing a non-empty folder, replacing it with exist_ok */
    CHECK(run(tl_fixture("json2yolo/edgecase/in"), out, 1, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "exist_ok=True");
    CHECK(run(tl_fixture("json2yolo/edgecase/in"), out, 1, CPOSE_CONVERT_JSON2YOLO, 1) == CPOSE_OK);
    compare_tree(tl_fixture("json2yolo/edgecase/out_cls91to80"), out);
    cpose_free(out);

    /* the dataset YAML for the result */
    out = cpose_path_join(tmp, "edge/dataset.yaml");
    char *y = NULL;
    size_t n = 0;
    CHECK(cpose_read_file(out, &y, &n) == CPOSE_OK);
    CHECK_CONTAINS(y, "train: images/person_keypoints_probe\n");
    CHECK_CONTAINS(y, "kpt_shape: [17, 3]\n");
    CHECK_CONTAINS(y, "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n");
    CHECK_CONTAINS(y, "names:\n  0: person\n");
    cpose_free(y);
    cpose_free(out);

    /* Ultralytics style: %.6f, people without keypoints left out (expected values from Python's '%.6f') */
    out = cpose_path_join(tmp, "ultra");
    CHECK(run(tl_fixture("json2yolo/edgecase/in"), out, 0, CPOSE_CONVERT_ULTRALYTICS, 0) == CPOSE_OK);
    char *a_txt = cpose_path_join(out, "labels/person_keypoints_probe/a.txt");
    CHECK(cpose_read_file(a_txt, &y, &n) == CPOSE_OK);
    const char *zeros = " 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000"
                        " 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000"
                        " 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000"
                        " 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000"
                        " 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000 0.000000"
                        " 0.000000 0.000000 0.000000\n";
    char *expect = cpose_asprintf("0 0.150000 0.350000 0.200000 0.300000 0.100000 0.300000 2.000000%s"
                                  "0 0.000013 0.166686 0.000015 0.333333 0.000005 0.999999 2.000000%s",
                                  zeros, zeros);
    CHECK_MSG(y && strcmp(y, expect) == 0, "ultralytics a.txt:\n%s\nexpected:\n%s", y ? y : "", expect);
    cpose_free(expect);
    cpose_free(y);
    cpose_free(a_txt);
    cpose_free(out);
}

static void write_text(const char *path, const char *text)
{
    CHECK(cpose_write_file_atomic(path, text, strlen(text)) == CPOSE_OK);
}

static void test_errors(void)
{
    const char *tmp = tl_tmpdir("convert-err");
    char *in = cpose_path_join(tmp, "in");
    char *js = cpose_path_join(in, "bad.json");
    char *out = cpose_path_join(tmp, "out");
    cpose_mkdirs(in);

    /* (the second comma is byte 26) */
    write_text(js, "{\"annotations\": [{\"id\": 3,, }]}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "bad.json");
    CHECK_CONTAINS(cpose_errmsg(), "byte offset 26");
    CHECK(!cpose_path_is_dir(out));

    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 77, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"keypoints\": []}]}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 77");
    CHECK_CONTAINS(cpose_errmsg(), "'image_id'");
    CHECK(!cpose_path_is_dir(out));

    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 78, \"image_id\": 2, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}]}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 78");
    CHECK_CONTAINS(cpose_errmsg(), "image_id 2");

    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 79, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}]}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 79");
    CHECK_CONTAINS(cpose_errmsg(), "'keypoints'");

    /* a non-empty output folder is kept without exist_ok */
    cpose_mkdirs(out);
    char *keep = cpose_path_join(out, "keep.txt");
    write_text(keep, "x");
    write_text(js, "{\"images\": [], \"annotations\": [], \"categories\": []}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK(cpose_path_is_file(keep));
    cpose_free(keep);
    cpose_free(in);
    cpose_free(js);
    cpose_free(out);
}

static uint64_t rng_state = 12345;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The fast formatters equal printf on label-like values, ties, boundaries and odd values. */
static void test_numfmt(void)
{
    static const double special[] = {0.0, -0.0, 1.0, 2.0, 0.5, 0.15, 0.35, 1e-4, 9.99999e-5, 0.0001234565,
                                     0.1234565, 999999.0, 999999.5, 1e6, 123456.5, 0.0000125, 1.25e-05,
                                     5e-06, 0.9999995, 0.99999949999, 99999.95, -0.25, -1e-9, 1e300,
                                     1.0 / 3, 2.0 / 3, 640.0 / 427, 0.0625, 1e-7, 12.5, 0.125};
    char a[CPOSE_NUMFMT_MAX + 1], b[CPOSE_NUMFMT_MAX + 1];
    int bad_g = 0, bad_f = 0;
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
        double v = special[i];
        int n = cpose_fmt_g(a, v);
        a[n] = 0;
        snprintf(b, sizeof b, "%g", v);
        if (strcmp(a, b)) { bad_g++; fprintf(stderr, "%%g %.17g: %s vs %s\n", v, a, b); }
        n = cpose_fmt_f6(a, v);
        a[n] = 0;
        snprintf(b, sizeof b, "%.6f", v);
        if (strcmp(a, b)) { bad_f++; fprintf(stderr, "%%.6f %.17g: %s vs %s\n", v, a, b); }
    }
    for (int i = 0; i < 300000; i++) {
        uint64_t r = rng_next();
        double v;
        switch (i % 4) {
        case 0: v = (double)(r >> 11) / 9007199254740992.0; break;              /* [0,1) */
        case 1: v = (double)(r % 100000) / (double)(1 + rng_next() % 2000); break; /* pixel / size */
        case 2: v = (double)(r % 2000000) / 1e6; break;                           /* decimal ties */
        default: v = ldexp((double)(r >> 11), (int)(rng_next() % 60) - 70); break;  /* wide range */
        }
        if (rng_next() & 1) v = -v;
        int n = cpose_fmt_g(a, v);
        a[n] = 0;
        snprintf(b, sizeof b, "%g", v);
        if (strcmp(a, b) && bad_g++ < 5) fprintf(stderr, "%%g %.17g: %s vs %s\n", v, a, b);
        n = cpose_fmt_f6(a, v);
        a[n] = 0;
        snprintf(b, sizeof b, "%.6f", v);
        if (strcmp(a, b) && bad_f++ < 5) fprintf(stderr, "%%.6f %.17g: %s vs %s\n", v, a, b);
    }
    CHECK(bad_g == 0);
    CHECK(bad_f == 0);
}

static void test_table(void)
{
    /* facts: COCO ids 1→0, 11→10, 13→11, 90→79; 12, 26, 83, 91 unused */
    CHECK(cpose_coco91_to_80(1) == 0);
    CHECK(cpose_coco91_to_80(11) == 10);
    CHECK(cpose_coco91_to_80(12) == -1);
    CHECK(cpose_coco91_to_80(13) == 11);
    CHECK(cpose_coco91_to_80(27) == 24);
    CHECK(cpose_coco91_to_80(83) == -1);
    CHECK(cpose_coco91_to_80(90) == 79);
    CHECK(cpose_coco91_to_80(91) == -1);
}

int main(void)
{
    test_numfmt();
    test_table();
    test_errors();
    test_fixtures();
    return tl_finish();
}
