/* tests/test_dataset.c — dataset YAML resolution and errors, image listing, images→labels mapping,
 * and label verification (coco8-pose scan, crafted corrupt inputs, duplicate rows, the cache). */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "datasets/imghdr.h"
#include "datasets/labels.h"
#include "tests/testlib.h"

static void write_text(const char *path, const char *text)
{
    char *dir = cpose_path_dirname(path);
    cpose_mkdirs(dir);
    cpose_free(dir);
    CHECK(cpose_write_file_atomic(path, text, strlen(text)) == CPOSE_OK);
}

static char *yaml_in(const char *dir, const char *name, const char *text)
{
    char *p = cpose_path_join(dir, name);
    write_text(p, text);
    return p;
}

static void test_mapping(void)
{
    char *l = cpose_img2label_path("/d/images/train/images/a.b.jpg");
    CHECK(strcmp(l, "/d/images/train/labels/a.b.txt") == 0);
    cpose_free(l);
    l = cpose_img2label_path("/d/coco/images/val2017/000000000139.JPG");
    CHECK(strcmp(l, "/d/coco/labels/val2017/000000000139.txt") == 0);
    cpose_free(l);
    CHECK(cpose_is_image_ext("x/a.JPEG") && cpose_is_image_ext("a.webp") && !cpose_is_image_ext("a.txt") &&
          !cpose_is_image_ext("a.gif"));
    char *n = cpose_path_normalize("/a/./b/../c//d/");
    CHECK(strcmp(n, "/a/c/d") == 0);
    cpose_free(n);
}

static void test_yaml(void)
{
    const char *tmp = tl_tmpdir("dsyaml");
    const char *fx = tl_fixture("coco8-pose");
    struct cpose_dataset d;

    /* absolute path, map names */
    char *text = cpose_asprintf("path: %s\ntrain: images/train\nval: images/val\ntest:\nkpt_shape: [17, 3]\n"
                                "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n"
                                "names:\n  0: person\n", fx);
    char *y = yaml_in(tmp, "c8.yaml", text);
    CHECK(cpose_dataset_load(y, &d) == CPOSE_OK);
    CHECK(d.nc == 1 && strcmp(d.names[0], "person") == 0);
    CHECK(d.kpt_shape[0] == 17 && d.kpt_shape[1] == 3 && d.n_flip_idx == 17 && d.flip_idx[1] == 2);
    char *fxv = cpose_asprintf("%s/images/val", fx);
    char *expect = cpose_path_normalize(fxv);
    cpose_free(fxv);
    CHECK(d.n_splits[CPOSE_SPLIT_VAL] == 1 && strcmp(d.splits[CPOSE_SPLIT_VAL][0], expect) == 0);
    CHECK(d.n_splits[CPOSE_SPLIT_TEST] == 0);
    char **files = NULL;
    size_t n = 0;
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_TRAIN, &files, &n) == CPOSE_OK && n == 4);
    if (n == 4) CHECK(strstr(files[0], "images/train/000000000036.jpg") && strstr(files[3], "000000000086.jpg"));
    cpose_strv_free(files, n);
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_TEST, &files, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no 'test' split");
    cpose_dataset_free(&d);
    cpose_free(expect);
    cpose_free(text);
    cpose_free(y);

    /* no path: the YAML's folder; list names; a .txt split with ./ entries; ../ fallback */
    char *root = cpose_path_join(tmp, "ds");
    char *img = cpose_path_join(root, "images/a/x.jpg");
    write_text(img, "not really a jpeg");
    y = yaml_in(root, "list.txt", "./images/a/x.jpg\n./images/a/notes.md\n");
    cpose_free(y);
    y = yaml_in(root, "l.yaml", "train: [list.txt, images/a]\nval: images/a\nnames: [cat, dog]\n");
    CHECK(cpose_dataset_load(y, &d) == CPOSE_OK && d.n_splits[CPOSE_SPLIT_TRAIN] == 2);
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_TRAIN, &files, &n) == CPOSE_OK && n == 2); /* listed twice */
    cpose_strv_free(files, n);
    cpose_dataset_free(&d);
    cpose_free(y);
    y = yaml_in(root, "d.yaml", "train: list.txt\nval: ../images/a\nnames: [cat, dog]\n");
    CHECK(cpose_dataset_load(y, &d) == CPOSE_OK);
    CHECK(d.nc == 2 && strcmp(d.names[1], "dog") == 0 && d.kpt_shape[0] == 0);
    CHECK(strcmp(d.path, root) == 0);
    expect = cpose_path_join(root, "images/a");
    CHECK_MSG(strcmp(d.splits[CPOSE_SPLIT_VAL][0], expect) == 0, "%s", d.splits[CPOSE_SPLIT_VAL][0]);
    cpose_free(expect);
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_TRAIN, &files, &n) == CPOSE_OK && n == 1);
    if (n == 1) CHECK(strcmp(files[0], img) == 0);
    cpose_strv_free(files, n);
    cpose_dataset_free(&d);
    cpose_free(y);
    cpose_free(img);

    /* a relative path lives under DATASETS_DIR; the bundled coco8-pose.yaml resolves there too */
    setenv("CPOSE_DATASETS_DIR", root, 1);
    y = yaml_in(tmp, "rel.yaml", "path: sub/set\ntrain: images/train\nval: images/val\nnc: 3\n");
    CHECK(cpose_dataset_load(y, &d) == CPOSE_OK);
    expect = cpose_path_join(root, "sub/set");
    CHECK_MSG(strcmp(d.path, expect) == 0, "%s", d.path);
    CHECK(d.nc == 3 && strcmp(d.names[2], "class_2") == 0);
    cpose_free(expect);
    cpose_dataset_free(&d);
    cpose_free(y);
    CHECK(cpose_dataset_load("coco8-pose.yaml", &d) == CPOSE_OK);
    expect = cpose_asprintf("%s/datasets/coco8-pose", tmp); /* DATASETS_DIR/../datasets/coco8-pose */
    CHECK_MSG(strcmp(d.path, expect) == 0, "%s vs %s", d.path, expect);
    CHECK(d.n_download == 1 && strstr(d.download[0], "coco8-pose.zip"));
    CHECK(d.kpt_shape[0] == 17 && d.n_flip_idx == 17);
    cpose_free(expect);
    cpose_dataset_free(&d);
    CHECK(cpose_dataset_load("coco-pose.yaml", &d) == CPOSE_OK);
    CHECK(d.n_download == 4 && d.n_splits[CPOSE_SPLIT_TEST] == 1);
    if (d.n_download == 4) {
        expect = cpose_path_join(d.path, "images");
        CHECK(strcmp(d.download_dir[1], expect) == 0);
        cpose_free(expect);
    }
    cpose_dataset_free(&d);
    unsetenv("CPOSE_DATASETS_DIR");
    cpose_free(root);

    /* Ultralytics' Python download scripts are ignored with a warning, not run */
    y = yaml_in(tmp, "script.yaml", "train: a\nval: a\nnames: [x]\ndownload: |\n  from pathlib import Path\n  print(1)\n");
    CHECK(cpose_dataset_load(y, &d) == CPOSE_OK && d.n_download == 0);
    cpose_dataset_free(&d);
    cpose_free(y);

    /* errors, each naming the file/line/key */
    struct {
        const char *text, *needle;
    } bad[] = {
        {"train: a\nnames: [x]\n", "'val:' key missing"},
        {"val: a\nnames: [x]\n", "'train:' key missing"},
        {"train: a\nval: a\n", "either 'names' or 'nc'"},
        {"train: a\nval: a\nnames: [x]\nnc: 2\n", "'names' length 1 and 'nc: 2' must match"},
        {"train: a\nval: a\nnames: [x]\nkpt_shape: [3, 3]\nflip_idx: [0, 2]\n", "flip_idx has 2 entries but kpt_shape[0] is 3"},
        {"train: a\nval: a\nnames: [x]\nkpt_shape: [3, 3]\nflip_idx: [0, 0, 1]\n", "not a permutation of 0..2"},
        {"train: a\nval: a\nnames: [x]\nkpt_shape: [3, 4]\n", "kpt_shape"},
        {"train: a\nval: a\nnames: [x]\nflip_idx: [0]\n", "without kpt_shape"},
        {"train: a\nval: a\nnames: [x]\ntrian: b\n", ":4: unknown key 'trian'"},
        {"train: a\nval: [a\n", "YAML syntax error"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        y = yaml_in(tmp, "bad.yaml", bad[i].text);
        CHECK(cpose_dataset_load(y, &d) == CPOSE_EINVAL);
        CHECK_CONTAINS(cpose_errmsg(), bad[i].needle);
        CHECK_CONTAINS(cpose_errmsg(), "bad.yaml");
        cpose_free(y);
    }
    CHECK(cpose_dataset_load("/nonexistent/x.yaml", &d) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/x.yaml");
}

static void test_parse(void)
{
    float *rows = NULL;
    int n = 0, dup = 0;
    CHECK(cpose_labels_parse("0 0.5 0.5 0.2 0.2 0.1 0.2 2\n\n0 0.5 0.5 0.2 0.2 0.1 0.2 2\n1 0.1 0.1 0.1 0.1 0 0 0\n", 2,
                             1, 3, &rows, &n, &dup) == CPOSE_OK);
    CHECK(n == 2 && dup == 1);
    if (n == 2) CHECK(rows[8] == 1.0f && rows[6] == 0.2f);
    cpose_free(rows);
    CHECK(cpose_labels_parse("0 0.5 0.5 0.2 0.2 0.1 0.2\n", 1, 1, 3, &rows, &n, &dup) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "line 1: labels require 8 columns each");
    CHECK(cpose_labels_parse("0 0.5 0.5 0.2 0.2 0.1 1.5 2\n", 1, 1, 3, &rows, &n, &dup) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "out of bounds coordinates [1.5]");
    CHECK(cpose_labels_parse("0 0.5 0.5 0.2 0.2 -0.1 0.5 2\n", 1, 1, 3, &rows, &n, &dup) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "negative label values [-0.1]");
    CHECK(cpose_labels_parse("3 0.5 0.5 0.2 0.2 0.1 0.5 2\n", 1, 1, 3, &rows, &n, &dup) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "exceeds dataset class count 1");
    CHECK(cpose_labels_parse("0 0.5 x 0.2 0.2\n", 1, 0, 0, &rows, &n, &dup) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "could not convert string to float: 'x'");
}

static char **list_of(const char *dir, size_t *n)
{
    char **files = NULL;
    const char *e[1] = {dir};
    CHECK(cpose_list_images(e, 1, &files, n) == CPOSE_OK);
    return files;
}

static void test_scan_coco8(void)
{
    const char *tmp = tl_tmpdir("dsscan");
    char *imgs = cpose_asprintf("%s/images", tl_fixture("coco8-pose"));
    size_t n = 0;
    char **files = list_of(imgs, &n);
    CHECK(n == 8);
    char *cache = cpose_path_join(tmp, "c8.cache");
    struct cpose_scan_opts o = {1, 17, 3, "coco8: ", 1, cache};
    struct cpose_label_set s;
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK);
    CHECK(s.nf == 8 && s.nm == 0 && s.ne == 0 && s.nc == 0 && s.n_items == 8 && !s.from_cache);
    int rows = 0;
    for (size_t i = 0; i < s.n_items; i++) rows += s.items[i].n;
    CHECK_MSG(rows == 21, "rows %d", rows); /* line counts of the 8 label files (wc -l) */
    if (s.n_items == 8) {
        /* sizes from the JPEG headers (`file`), first row of 000000000049.txt */
        CHECK(s.items[0].w == 481 && s.items[0].h == 640);
        CHECK(s.items[3].w == 512 && s.items[3].h == 640);
        CHECK(s.items[7].w == 480 && s.items[7].h == 640);
        CHECK(strstr(s.items[1].im_file, "000000000049.jpg") && s.items[1].n == 2);
        CHECK(s.items[1].cls_box[0] == 0.0f && s.items[1].cls_box[1] == 0.620039f && s.items[1].cls_box[4] == 0.146080f);
        CHECK(s.items[1].kpts[0] == 0.658793f && s.items[1].kpts[2] == 2.0f && s.items[1].kpts[12 + 2] == 0.0f);
    }
    cpose_labels_free(&s);
    CHECK(cpose_path_is_file(cache));
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK);
    CHECK(s.from_cache && s.nf == 8 && s.n_items == 8 && s.nc == 0);
    if (s.n_items == 8) CHECK(s.items[1].cls_box[1] == 0.620039f && s.items[1].kpts[0] == 0.658793f);
    cpose_labels_free(&s);
    /* another kpt_shape is another cache key */
    struct cpose_scan_opts o2 = {1, 17, 2, "coco8: ", 1, cache};
    CHECK(cpose_labels_scan(files, n, &o2, &s) == CPOSE_OK);
    CHECK(!s.from_cache && s.nc == 8); /* 56 columns are not 5 + 17·2 */
    cpose_labels_free(&s);
    cpose_strv_free(files, n);
    cpose_free(imgs);
    cpose_free(cache);
}

static void write_jpeg(const char *path, int w, int h)
{
    struct cpose_image im;
    cpose_image_new(&im, w, h, 3, 100);
    char *dir = cpose_path_dirname(path);
    cpose_mkdirs(dir);
    cpose_free(dir);
    CHECK(cpose_image_write(path, &im, 90) == CPOSE_OK);
    cpose_image_free(&im);
}

static void test_scan_crafted(void)
{
    const char *tmp = tl_tmpdir("dscraft");
    const char *ok_row = "0 0.5 0.5 0.2 0.2 0.1 0.2 2 0.3 0.4 1\n";
    char p[512];
    const char *names[] = {"a_ok", "b_dup", "c_missing", "d_empty", "e_cols", "f_range", "g_trunc", "h_garbage", "i_tiny"};
    for (int i = 0; i < 9; i++) {
        snprintf(p, sizeof p, "%s/images/s/%s.jpg", tmp, names[i]);
        write_jpeg(p, i == 8 ? 8 : 64, 48);
    }
    snprintf(p, sizeof p, "%s/labels/s/a_ok.txt", tmp);
    write_text(p, ok_row);
    snprintf(p, sizeof p, "%s/labels/s/b_dup.txt", tmp);
    char *two = cpose_asprintf("%s%s", ok_row, ok_row);
    write_text(p, two);
    cpose_free(two);
    snprintf(p, sizeof p, "%s/labels/s/d_empty.txt", tmp);
    write_text(p, "");
    snprintf(p, sizeof p, "%s/labels/s/e_cols.txt", tmp);
    write_text(p, "0 0.5 0.5 0.2 0.2 0.1 0.2 2 0.3 0.4\n");
    snprintf(p, sizeof p, "%s/labels/s/f_range.txt", tmp);
    write_text(p, "0 0.5 0.5 0.2 0.2 0.1 0.2 2 1.3 0.4 1\n");
    snprintf(p, sizeof p, "%s/labels/s/g_trunc.txt", tmp);
    write_text(p, ok_row);
    snprintf(p, sizeof p, "%s/labels/s/h_garbage.txt", tmp);
    write_text(p, ok_row);
    snprintf(p, sizeof p, "%s/images/s/g_trunc.jpg", tmp);
    struct stat st;
    stat(p, &st);
    CHECK(truncate(p, st.st_size / 2) == 0);
    snprintf(p, sizeof p, "%s/images/s/h_garbage.jpg", tmp);
    write_text(p, "garbage, not an image \xff\xd9"); /* ends like a JPEG, decodes as nothing */

    snprintf(p, sizeof p, "%s/images", tmp);
    size_t n = 0;
    char **files = list_of(p, &n);
    CHECK(n == 9);
    struct cpose_scan_opts o = {1, 2, 3, "t: ", 1, NULL};
    struct cpose_label_set s;
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK);
    /* found: a b d(empty) ; missing: c ; corrupt: e f g h i */
    CHECK_MSG(s.nf == 3 && s.nm == 1 && s.ne == 1 && s.nc == 5, "nf %ld nm %ld ne %ld nc %ld", s.nf, s.nm, s.ne, s.nc);
    CHECK(s.n_items == 4);
    if (s.n_items == 4) CHECK(s.items[1].n == 1 && s.items[2].n == 0 && s.items[0].kpts[5] == 1.0f);
    const char *needles[] = {"b_dup.jpg: 1 duplicate labels removed", "e_cols.txt line 1: labels require 11 columns",
                             "f_range.txt line 1: non-normalized or out of bounds coordinates [1.3]",
                             "g_trunc.jpg: ignoring corrupt image/label: truncated JPEG",
                             "h_garbage.jpg: ignoring corrupt image/label: unreadable image",
                             "i_tiny.jpg: ignoring corrupt image/label: image size (48, 8) <10 pixels"};
    for (size_t k = 0; k < sizeof needles / sizeof *needles; k++) {
        int found = 0;
        for (size_t i = 0; i < s.n_msgs; i++) found |= strstr(s.msgs[i], needles[k]) != NULL;
        CHECK_MSG(found, "no message containing '%s'", needles[k]);
    }
    cpose_labels_free(&s);
    snprintf(p, sizeof p, "%s/labels/s.cache", tmp);
    CHECK(cpose_path_is_file(p));
    /* a changed label file invalidates the cache */
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK && s.from_cache);
    cpose_labels_free(&s);
    snprintf(p, sizeof p, "%s/labels/s/e_cols.txt", tmp);
    write_text(p, ok_row);
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK && !s.from_cache && s.nc == 4 && s.nf == 4);
    cpose_labels_free(&s);
    /* a read-only labels parent: no cache, a warning */
    snprintf(p, sizeof p, "%s/labels/s.cache", tmp);
    unlink(p);
    snprintf(p, sizeof p, "%s/labels", tmp);
    chmod(p, 0555);
    CHECK(cpose_labels_scan(files, n, &o, &s) == CPOSE_OK && !s.from_cache);
    cpose_labels_free(&s);
    snprintf(p, sizeof p, "%s/labels/s.cache", tmp);
    CHECK(!cpose_path_is_file(p));
    snprintf(p, sizeof p, "%s/labels", tmp);
    chmod(p, 0755);
    cpose_strv_free(files, n);
}

static void test_header(void)
{
    /* SOI, APP1 Exif (big-endian TIFF, IFD0 with Orientation = 6), SOF0 30×20, EOI */
    static const uint8_t jpg[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                  0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
                                  0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 20, 0x00, 30, 1, 1, 0x11, 0,
                                  0xFF, 0xD9};
    int w = 0, h = 0;
    CHECK(cpose_image_header_size(jpg, sizeof jpg, &w, &h) == CPOSE_OK && w == 20 && h == 30); /* rotated 90° */
    uint8_t plain[sizeof jpg];
    memcpy(plain, jpg, sizeof jpg);
    plain[31] = 1; /* orientation 1: as stored */
    CHECK(cpose_image_header_size(plain, sizeof plain, &w, &h) == CPOSE_OK && w == 30 && h == 20);
    CHECK(cpose_image_header_size(jpg, 46, &w, &h) == CPOSE_EINVAL); /* cut inside the frame header */
    CHECK(cpose_image_header_size((const uint8_t *)"GIF89a......", 12, &w, &h) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "not a JPEG");
    /* a PNG written by OpenCV */
    const char *tmp = tl_tmpdir("hdr");
    char *p = cpose_path_join(tmp, "x.png");
    struct cpose_image im;
    cpose_image_new(&im, 37, 23, 3, 9);
    CHECK(cpose_image_write(p, &im, 0) == CPOSE_OK);
    cpose_image_free(&im);
    char *data = NULL;
    size_t n = 0;
    CHECK(cpose_read_file(p, &data, &n) == CPOSE_OK);
    CHECK(cpose_image_header_size((const uint8_t *)data, n, &w, &h) == CPOSE_OK && w == 37 && h == 23);
    cpose_free(data);
    cpose_free(p);
}

int main(void)
{
    test_header();
    test_mapping();
    test_parse();
    test_yaml();
    test_scan_coco8();
    test_scan_crafted();
    return tl_finish();
}
