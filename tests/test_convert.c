/* tests/test_convert.c — COCO → YOLO conversion: byte-for-byte against JSON2YOLO's output trees
 * (real subset, edge-case probe with and without cls91to80), the Ultralytics style, the number
 * formatting against libc's printf, and the error messages for malformed input. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>
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

/* Every file of expect/ equals the same file in got/, and got/ holds no other file (no dataset.yaml:
 * JSON2YOLO writes none). */
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
    CHECK_MSG(g_files == n_expect, "%s holds %d files, expected %d", got, g_files, n_expect);
}

static int run_opts(const char *json_dir, const char *save_dir, int cls91to80, enum cpose_convert_style style,
                    int exist_ok, int strict)
{
    struct cpose_convert_opts o = {json_dir, save_dir, 1, cls91to80, exist_ok, style, strict};
    struct cpose_convert_stats st;
    return cpose_convert_coco(&o, &st);
}

static int run(const char *json_dir, const char *save_dir, int cls91to80, enum cpose_convert_style style, int exist_ok)
{
    struct cpose_convert_opts o = {json_dir, save_dir, 1, cls91to80, exist_ok, style, 0};
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

    char *y = NULL;
    size_t n = 0;

    /* Ultralytics style: %.6f, people without keypoints left out (expected values from Python's '%.6f') */
    out = cpose_path_join(tmp, "ultra");
    CHECK(run(tl_fixture("json2yolo/edgecase/in"), out, 0, CPOSE_CONVERT_ULTRALYTICS, 0) == CPOSE_OK);
    /* the dataset YAML for the result (Ultralytics style only) */
    char *dy = cpose_path_join(out, "dataset.yaml");
    CHECK(cpose_read_file(dy, &y, &n) == CPOSE_OK);
    CHECK_CONTAINS(y, "train: images/person_keypoints_probe\n");
    CHECK_CONTAINS(y, "kpt_shape: [17, 3]\n");
    CHECK_CONTAINS(y, "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n");
    CHECK_CONTAINS(y, "names:\n  0: person\n");
    cpose_free(y);
    y = NULL;
    cpose_free(dy);
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

/* --- JSON2YOLO's branches, one case each (style=json2yolo, strict=False) -----------------------
 * The expected rows are written by hand from JSON2YOLO's rules (general_json2yolo.py,
 * convert_coco_json with --use-keypoints; datasets/README.md lists the branches): class =
 * category_id − 1; box [x, y, w, h] → x + w/2, y + h/2, w, h divided by the image width/height;
 * keypoints x/W, y/H, v; every number printed with %g. Images are 100×50 unless said otherwise. */

struct want_file {
    const char *rel;  /* path below the output folder */
    const char *text; /* exact content */
};

/* Writes each (name, text) JSON into a fresh folder, converts it (json2yolo, keypoints on), and
 * checks that the output holds exactly the wanted files with the wanted bytes. Returns what the
 * converter printed on stderr (malloc'ed) for warning checks. */
static char *convert_case(const char *tag, const char *const *jsons, int n_json, const struct want_file *want,
                          int n_want)
{
    const char *tmp = tl_tmpdir(tag);
    char *in = cpose_path_join(tmp, "in"), *out = cpose_path_join(tmp, "out"), *err = cpose_path_join(tmp, "stderr");
    cpose_mkdirs(in);
    for (int i = 0; i < n_json; i++) {
        char *p = cpose_path_join(in, jsons[2 * i]);
        write_text(p, jsons[2 * i + 1]);
        cpose_free(p);
    }
    fflush(stderr);
    int saved = dup(2), fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    int rc = run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    close(saved);
    char *log = NULL;
    size_t n = 0;
    cpose_read_file(err, &log, &n);
    CHECK_MSG(rc == CPOSE_OK, "%s: convert failed: %s", tag, cpose_errmsg());
    for (int i = 0; i < n_want; i++) {
        char *p = cpose_path_join(out, want[i].rel), *got = NULL;
        size_t len = 0;
        int ok = cpose_read_file(p, &got, &len) == CPOSE_OK;
        CHECK_MSG(ok && strcmp(got, want[i].text) == 0, "%s: %s is\n%s\nwanted\n%s", tag, want[i].rel,
                  ok ? got : "(missing)", want[i].text);
        cpose_free(got);
        cpose_free(p);
    }
    g_files = 0;
    nftw(out, count_entry, 16, FTW_PHYS);
    CHECK_MSG(g_files == n_want, "%s: %d files written, wanted %d", tag, g_files, n_want);
    cpose_free(in);
    cpose_free(out);
    cpose_free(err);
    return log;
}

#define IMG(id, name) "{\"id\": " #id ", \"file_name\": \"" name "\", \"width\": 100, \"height\": 50}"
#define PERSON "\"categories\": [{\"id\": 1, \"name\": \"person\"}]"

static void test_json2yolo_branches(void)
{
    /* per annotation: kept; iscrowd 1 / true skipped; no category_id skipped; w ≤ 0 skipped; an exact
     * [cls, box] duplicate skipped; num_keypoints 0 kept with zero keypoints; no iscrowd key = not crowd */
    const char *skips[] = {"k.json", "{\"images\": [" IMG(1, "a.jpg") "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": 0, \"bbox\": [10, 10, 20, 10], \"keypoints\": [20, 15, 2, 0, 0, 0]},"
        "{\"id\": 2, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": 1, \"bbox\": [1, 1, 20, 10], \"keypoints\": [20, 15, 2, 0, 0, 0]},"
        "{\"id\": 3, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": true, \"bbox\": [2, 2, 20, 10], \"keypoints\": [20, 15, 2, 0, 0, 0]},"
        "{\"id\": 4, \"image_id\": 1, \"iscrowd\": 0, \"bbox\": [3, 3, 20, 10], \"keypoints\": [20, 15, 2, 0, 0, 0]},"
        "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [10, 10, 0, 5], \"keypoints\": [20, 15, 2, 0, 0, 0]},"
        "{\"id\": 6, \"image_id\": 1, \"category_id\": 1, \"bbox\": [10, 10, 20, 10], \"keypoints\": [1, 1, 2, 2, 2, 2]},"
        "{\"id\": 7, \"image_id\": 1, \"category_id\": 1, \"num_keypoints\": 0, \"bbox\": [0, 0, 50, 25], \"keypoints\": [0, 0, 0, 0, 0, 0]}"
        "], " PERSON "}"};
    const struct want_file w_skips[] = {{"k.yaml", "names:\n  0: person\n"},
                                        {"labels/k/a.txt", "0 0.2 0.3 0.2 0.2 0.2 0.3 2 0 0 0\n"
                                                           "0 0.25 0.25 0.5 0.5 0 0 0 0 0 0\n"}};
    cpose_free(convert_case("j2y-skips", skips, 1, w_skips, 2));

    /* the box: missing, null or [] → around the keypoints with v > 0; none visible or no keypoints →
     * skipped; keypoints missing or [] → a box-only row */
    const char *boxes[] = {"k.json", "{\"images\": [" IMG(2, "b.jpg") "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 2, \"category_id\": 1, \"keypoints\": [10, 10, 2, 30, 20, 1, 90, 45, 0]},"
        "{\"id\": 2, \"image_id\": 2, \"category_id\": 1, \"bbox\": null, \"keypoints\": [50, 25, 2, 70, 35, 2, 0, 0, 0]},"
        "{\"id\": 3, \"image_id\": 2, \"category_id\": 1, \"bbox\": [], \"keypoints\": [20, 10, 1, 40, 30, 1, 0, 0, 0]},"
        "{\"id\": 4, \"image_id\": 2, \"category_id\": 1, \"keypoints\": [20, 10, 0, 40, 30, 0, 0, 0, 0]},"
        "{\"id\": 5, \"image_id\": 2, \"category_id\": 1},"
        "{\"id\": 6, \"image_id\": 2, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 7, \"image_id\": 2, \"category_id\": 1, \"bbox\": [80, 40, 20, 10], \"keypoints\": []}"
        "], " PERSON "}"};
    const struct want_file w_boxes[] = {{"k.yaml", "names:\n  0: person\n"},
                                        {"labels/k/b.txt", "0 0.2 0.3 0.2 0.2 0.1 0.2 2 0.3 0.4 1 0.9 0.9 0\n"
                                                           "0 0.6 0.6 0.2 0.2 0.5 0.5 2 0.7 0.7 2 0 0 0\n"
                                                           "0 0.3 0.4 0.2 0.4 0.2 0.2 1 0.4 0.6 1 0 0 0\n"
                                                           "0 0.05 0.1 0.1 0.2\n"
                                                           "0 0.9 0.9 0.2 0.2\n"}};
    cpose_free(convert_case("j2y-boxes", boxes, 1, w_boxes, 2));

    /* zeros: an unlabelled keypoint (0, 0, 0) prints "0 0 0"; a negative zero (-0.0, -0e0) keeps its
     * sign; the integer -0 is Python's int 0 and prints "0" */
    const char *zeros[] = {"k.json", "{\"images\": [" IMG(6, "z.jpg") "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 6, \"category_id\": 1, \"bbox\": [0, 0, 10, 10], "
        "\"keypoints\": [-0.0, 0, 0, 0, -0.0, 0, 0, 0, -0.0, 0, 0, 0, 0.0, 0.0, 0.0, -0, -0, -0, -0e0, -0, 1]}"
        "], " PERSON "}"};
    const struct want_file w_zeros[] = {{"k.yaml", "names:\n  0: person\n"},
                                        {"labels/k/z.txt", "0 0.05 0.1 0.1 0.2 -0 0 0 0 -0 0 0 0 -0 0 0 0 0 0 0 0 0 0 -0 0 1\n"}};
    cpose_free(convert_case("j2y-zeros", zeros, 1, w_zeros, 2));

    /* per image: all annotations skipped → an empty file; no annotation → no file; sub-folders kept;
     * an absolute file_name → its base name; no extension → ".txt" appended; two images with one
     * file_name → one file, rows in the order the images were first annotated; a repeated image id →
     * the last image with it */
    const char *images[] = {"k.json", "{\"images\": [" IMG(3, "c.jpg") ", " IMG(4, "d.jpg") ", " IMG(5, "sub/e.png") ", "
        IMG(6, "/data/abs/f.jpg") ", " IMG(7, "noext") ", " IMG(8, "g.jpg") ", "
        "{\"id\": 9, \"file_name\": \"g.jpg\", \"width\": 200, \"height\": 100}, " IMG(10, "h.jpg") ", " IMG(10, "h2.jpg")
        "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 9, \"category_id\": 1, \"bbox\": [0, 0, 100, 50]},"
        "{\"id\": 2, \"image_id\": 8, \"category_id\": 1, \"bbox\": [0, 0, 100, 50]},"
        "{\"id\": 3, \"image_id\": 3, \"category_id\": 1, \"iscrowd\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 4, \"image_id\": 5, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 5, \"image_id\": 6, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 6, \"image_id\": 7, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 7, \"image_id\": 10, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]}"
        "], " PERSON "}"};
    const struct want_file w_images[] = {{"k.yaml", "names:\n  0: person\n"},
                                         {"labels/k/g.txt", "0 0.25 0.25 0.5 0.5\n0 0.5 0.5 1 1\n"},
                                         {"labels/k/c.txt", ""},
                                         {"labels/k/sub/e.txt", "0 0.05 0.1 0.1 0.2\n"},
                                         {"labels/k/f.txt", "0 0.05 0.1 0.1 0.2\n"},
                                         {"labels/k/noext.txt", "0 0.05 0.1 0.1 0.2\n"},
                                         {"labels/k/h2.txt", "0 0.05 0.1 0.1 0.2\n"}};
    cpose_free(convert_case("j2y-images", images, 1, w_images, 7));

    /* label names that share their first 16 bytes (files are grouped by a sort on those bytes, then on
     * the rest): one file per name, the rows of two images with one name together, in first-annotated
     * order */
    const char *long_names[] = {"k.json", "{\"images\": [" IMG(1, "long_prefix_name_0001_a.jpg") ", "
        IMG(2, "long_prefix_name_0001_b.jpg") ", " IMG(3, "long_prefix_name_0001_a.png") ", "
        IMG(4, "long_prefix_name_0001.jpg") ", " IMG(5, "long_prefix_name_0001_a0.jpg") "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 3, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 2, \"image_id\": 2, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 3, \"image_id\": 5, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 4, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 20, 10]},"
        "{\"id\": 5, \"image_id\": 4, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 6, \"image_id\": 3, \"category_id\": 1, \"bbox\": [0, 0, 20, 20]}"
        "], " PERSON "}"};
    const struct want_file w_long_names[] = {
        {"k.yaml", "names:\n  0: person\n"},
        {"labels/k/long_prefix_name_0001_a.txt", "0 0.05 0.1 0.1 0.2\n0 0.1 0.2 0.2 0.4\n0 0.1 0.1 0.2 0.2\n"},
        {"labels/k/long_prefix_name_0001_b.txt", "0 0.05 0.1 0.1 0.2\n"},
        {"labels/k/long_prefix_name_0001_a0.txt", "0 0.05 0.1 0.1 0.2\n"},
        {"labels/k/long_prefix_name_0001.txt", "0 0.05 0.1 0.1 0.2\n"}};
    cpose_free(convert_case("j2y-long-names", long_names, 1, w_long_names, 5));

    /* ids: category_id 0 → class −1 (and names key −1); image ids match as "%g" text, so 1000001 and
     * 1000002 are one key "1e+06" and the last such image takes both annotations */
    const char *ids[] = {"k.json", "{\"images\": [" IMG(1000001, "p.jpg") ", " IMG(1000002, "q.jpg") "], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 1000001, \"category_id\": 0, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 2, \"image_id\": 1000002, \"category_id\": 1, \"bbox\": [0, 0, 20, 10]}"
        "], \"categories\": [{\"id\": 1, \"name\": \"person\"}, {\"id\": 0, \"name\": \"zero\"}]}"};
    const struct want_file w_ids[] = {{"k.yaml", "names:\n  -1: zero\n  0: person\n"},
                                      {"labels/k/q.txt", "-1 0.05 0.1 0.1 0.2\n0 0.1 0.1 0.2 0.2\n"}};
    cpose_free(convert_case("j2y-ids", ids, 1, w_ids, 2));

    /* per file: `{}` and a results list are skipped with a warning (no names YAML, an empty labels
     * folder); no categories → no names YAML; instances_m.json and m.json share labels/m/ and append
     * (files in sorted order); "instances_" leaves the folder name only */
    const char *files[] = {"empty.json", "{}",
                           "results.json", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]",
                           "nocats.json", "{\"images\": [" IMG(1, "x.jpg") "], \"annotations\": ["
                           "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]}]}",
                           "instances_m.json", "{\"images\": [" IMG(1, "x.jpg") "], \"annotations\": ["
                           "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]}], " PERSON "}",
                           "m.json", "{\"images\": [" IMG(1, "x.jpg") "], \"annotations\": ["
                           "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 20, 10]}], " PERSON "}"};
    const struct want_file w_files[] = {{"labels/nocats/x.txt", "0 0.05 0.1 0.1 0.2\n"},
                                        {"instances_m.yaml", "names:\n  0: person\n"},
                                        {"m.yaml", "names:\n  0: person\n"},
                                        {"labels/m/x.txt", "0 0.05 0.1 0.1 0.2\n0 0.1 0.1 0.2 0.2\n"}};
    char *log = convert_case("j2y-files", files, 5, w_files, 4);
    CHECK_CONTAINS(log, "empty.json: no images");
    CHECK_CONTAINS(log, "results.json: no images");
    cpose_free(log);
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

    /* strict=True: what JSON2YOLO converts by guessing is refused, naming the annotation */
    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 79, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}]}");
    CHECK(run_opts(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 79");
    CHECK_CONTAINS(cpose_errmsg(), "'keypoints'");
    CHECK(run(in, out, 0, CPOSE_CONVERT_ULTRALYTICS, 0) == CPOSE_EINVAL); /* Ultralytics style keeps its checks */
    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 80, \"image_id\": 1, \"category_id\": 1, \"bbox\": [], \"keypoints\": [1, 1, 2]}]}");
    CHECK(run_opts(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 80");
    CHECK_CONTAINS(cpose_errmsg(), "empty 'bbox'");
    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 81, \"image_id\": 1, \"category_id\": 1}]}");
    CHECK(run_opts(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 81");
    write_text(js, "{}");
    CHECK(run_opts(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no images");
    CHECK(!cpose_path_is_dir(out));
    /* in every style: keypoints that are not triplets (JSON2YOLO stops with an exception) */
    write_text(js, "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.jpg\"}],"
                   " \"annotations\": [{\"id\": 82, \"image_id\": 1, \"category_id\": 1, \"keypoints\": [1, 1, 2, 3]}]}");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "4 keypoint values");

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

/* A JSON file of two 100x50 images with these file names, one annotation each. */
static void write_two_images(const char *js, const char *name1, const char *name2)
{
    char *text = cpose_asprintf(
        "{\"images\": [{\"id\": 1, \"file_name\": \"%s\", \"width\": 100, \"height\": 50}, "
        "{\"id\": 2, \"file_name\": \"%s\", \"width\": 100, \"height\": 50}], \"annotations\": ["
        "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"keypoints\": [1, 1, 2]}, "
        "{\"id\": 2, \"image_id\": 2, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"keypoints\": [1, 1, 2]}]}",
        name1, name2);
    write_text(js, text);
    cpose_free(text);
}

/* Failures while the label files are written: the error names the file_name or the label file, no
 * half-written tree is left beside save_dir, and with exist_ok the previous output is still there. */
/* Ultralytics style replaces a label file rather than appending to it, so the rows of two images
 * with one label path must reach it in one write: their entries must sort next to each other even
 * when other names share the first 16 bytes (the sort key) and come between them in annotation
 * order. */
static void test_grouping_replaces(void)
{
    const char *tmp = tl_tmpdir("convert-group");
    char *in = cpose_path_join(tmp, "in"), *js = cpose_path_join(in, "k.json"), *out = cpose_path_join(tmp, "out");
    cpose_mkdirs(in);
#define KP ", \"keypoints\": [5, 5, 2], \"num_keypoints\": 1}"
    write_text(js, "{\"images\": [" IMG(1, "long_prefix_name_0001_a.jpg") ", " IMG(2, "long_prefix_name_0001_b.jpg") ", "
                   IMG(3, "long_prefix_name_0001_a.png") ", " IMG(5, "long_prefix_name_0001_a0.jpg") "], \"annotations\": ["
                   "{\"id\": 1, \"image_id\": 3, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]" KP ","
                   "{\"id\": 2, \"image_id\": 2, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]" KP ","
                   "{\"id\": 3, \"image_id\": 5, \"category_id\": 1, \"bbox\": [0, 0, 10, 10]" KP ","
                   "{\"id\": 4, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 20, 10]" KP "], " PERSON "}");
#undef KP
    CHECK_MSG(run(in, out, 0, CPOSE_CONVERT_ULTRALYTICS, 0) == CPOSE_OK, "%s", cpose_errmsg());
    static const char *const want[][2] = {
        {"labels/k/long_prefix_name_0001_a.txt", "0 0.050000 0.100000 0.100000 0.200000 0.050000 0.100000 2.000000\n"
                                                  "0 0.100000 0.100000 0.200000 0.200000 0.050000 0.100000 2.000000\n"},
        {"labels/k/long_prefix_name_0001_b.txt", "0 0.050000 0.100000 0.100000 0.200000 0.050000 0.100000 2.000000\n"},
        {"labels/k/long_prefix_name_0001_a0.txt", "0 0.050000 0.100000 0.100000 0.200000 0.050000 0.100000 2.000000\n"}};
    for (int i = 0; i < 3; i++) {
        char *p = cpose_path_join(out, want[i][0]), *got = NULL;
        size_t len = 0;
        int ok = cpose_read_file(p, &got, &len) == CPOSE_OK;
        CHECK_MSG(ok && strcmp(got, want[i][1]) == 0, "%s is\n%s\nwanted\n%s", want[i][0], ok ? got : "(missing)", want[i][1]);
        cpose_free(got);
        cpose_free(p);
    }
    cpose_free(in);
    cpose_free(js);
    cpose_free(out);
}

static void test_write_errors(void)
{
    const char *tmp = tl_tmpdir("convert-write-err");
    char *in = cpose_path_join(tmp, "in");
    char *js = cpose_path_join(in, "k.json");
    char *out = cpose_path_join(tmp, "out");
    char *partial = cpose_asprintf("%s.partial-%d", out, (int)getpid());
    char *keep = cpose_path_join(out, "keep.txt");
    cpose_mkdirs(out);
    write_text(keep, "previous output");
    cpose_mkdirs(in);

    /* a file_name that leaves the labels folder, after an image that is fine */
    write_two_images(js, "a.jpg", "../../escape.jpg");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "'../../escape.jpg' leaves the labels folder");
    CHECK(cpose_path_is_file(keep));
    CHECK(!cpose_path_is_dir(partial));

    /* a label file that cannot be written: "b.txt" is also the folder of "b.txt/c.jpg" */
    write_two_images(js, "b.jpg", "b.txt/c.jpg");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 1) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "cannot write '");
    CHECK_CONTAINS(cpose_errmsg(), "/labels/k/b.txt'");
    CHECK(cpose_path_is_file(keep));
    CHECK(!cpose_path_is_dir(partial));

    /* the same input without the clash replaces the previous output */
    write_two_images(js, "b.jpg", "d/c.jpg");
    CHECK(run(in, out, 0, CPOSE_CONVERT_JSON2YOLO, 1) == CPOSE_OK);
    CHECK(!cpose_path_is_file(keep));
    char *c_txt = cpose_path_join(out, "labels/k/d/c.txt");
    CHECK(cpose_path_is_file(c_txt));
    CHECK(!cpose_path_is_dir(partial));
    cpose_free(c_txt);
    cpose_free(keep);
    cpose_free(partial);
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
                                     1.0 / 3, 2.0 / 3, 640.0 / 427, 0.0625, 1e-7, 12.5, 0.125,
                                     12.34375, 12.34365, 0.1234375, 99999.96875, 0.00048828125, 999998.5,
                                     9.9999950000000003, 1e-4 * (1 - 1e-16), 4194303.75 / 4194304};
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
        switch (i % 5) {
        case 0: v = (double)(r >> 11) / 9007199254740992.0; break;              /* [0,1) */
        case 1: v = (double)(r % 100000) / (double)(1 + rng_next() % 2000); break; /* pixel / size */
        case 2: v = (double)(r % 2000000) / 1e6; break;                           /* decimal ties */
        case 3: v = ldexp((double)(r % 20000000), -(int)(rng_next() % 30)); break; /* exact binary ties */
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

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    TL_GENERATED(test_numfmt());
    TL_GENERATED(test_table());
    TL_GENERATED(test_errors());
    TL_GENERATED(test_write_errors());
    TL_GENERATED(test_grouping_replaces());
    TL_GENERATED(test_json2yolo_branches());
    TL_FIXTURES(test_fixtures());
    return tl_finish();
}
