/* tests/test_harden_data.c — hostile dataset files (issue 11, items 5, 14, 15 and messages): a FIFO
 * named x.jpg does not block the scan, headers claiming 20000² and 2^31 pixels are corrupt images, a
 * 0-byte .jpg is reported as empty (not "truncated JPEG"), and a label file starting with NUL is a
 * corrupt label (not a background). All files are generated here. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "datasets/dataset.h"
#include "datasets/imghdr.h"
#include "datasets/labels.h"
#include "tests/testlib.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static char *img_path(const char *name) { return cpose_asprintf("%s/images/%s", dir, name); }

static void write_label(const char *stem, const char *text, size_t len)
{
    char *p = cpose_asprintf("%s/labels/%s.txt", dir, stem);
    cpose_write_file_atomic(p, text, len);
    cpose_free(p);
}

/* A real 32x32 PNG whose IHDR then claims w x h (the decoder would fail; only the header says so). */
static void png_claiming(const char *name, uint32_t w, uint32_t h)
{
    struct cpose_image im;
    cpose_image_new(&im, 32, 32, 3, 90);
    char *p = img_path(name);
    CHECK(cpose_image_write(p, &im, 90) == CPOSE_OK);
    cpose_image_free(&im);
    char *data;
    size_t len;
    CHECK(cpose_read_file(p, &data, &len) == CPOSE_OK && len > 24 && !memcmp(data + 12, "IHDR", 4));
    unsigned char *u = (unsigned char *)data + 16;
    for (int i = 0; i < 4; i++) u[i] = (unsigned char)(w >> (24 - 8 * i)), u[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    cpose_write_file_atomic(p, data, len);
    cpose_free(data), cpose_free(p);
}

static void on_alarm(int sig)
{
    static const char m[] = "FAIL: the scan blocked (FIFO opened for reading)\n";
    (void)!write(2, m, sizeof m - 1);
    _exit(1);
}

static const char *find_msg(const struct cpose_label_set *s, const char *file, const char *needle)
{
    for (size_t i = 0; i < s->n_msgs; i++)
        if (strstr(s->msgs[i], file) && strstr(s->msgs[i], needle)) return s->msgs[i];
    return NULL;
}

int main(void)
{
    dir = cpose_strdup(tl_tmpdir("harden-data"));
    char *d1 = cpose_asprintf("%s/images", dir), *d2 = cpose_asprintf("%s/labels", dir);
    cpose_mkdirs(d1), cpose_mkdirs(d2);
    struct cpose_image im;
    cpose_image_new(&im, 64, 48, 3, 120);
    const char *names[] = {"good.jpg", "fifo.jpg", "huge.png", "giant.png", "empty.jpg", "nul.jpg"};
    char *files[6];
    for (int i = 0; i < 6; i++) files[i] = img_path(names[i]);
    CHECK(cpose_image_write(files[0], &im, 90) == CPOSE_OK);
    CHECK(cpose_image_write(files[5], &im, 90) == CPOSE_OK);
    cpose_image_free(&im);
    CHECK(mkfifo(files[1], 0600) == 0);
    png_claiming("huge.png", 20000, 20000);
    png_claiming("giant.png", 1u << 31, 1u << 31);
    cpose_write_file_atomic(files[4], "", 0);
    const char row[] = "0 0.5 0.5 0.2 0.2\n";
    write_label("good", row, sizeof row - 1);
    char nul[sizeof row + 1];
    nul[0] = 0;
    memcpy(nul + 1, row, sizeof row);
    write_label("nul", nul, sizeof nul - 1);

    struct cpose_scan_opts o = {.nc = 1, .K = 0, .ndim = 3};
    struct cpose_label_set s = {0};
    signal(SIGALRM, on_alarm);
    alarm(30);
    CHECK(cpose_labels_scan(files, 6, &o, &s) == CPOSE_OK);
    alarm(0);
    CHECK_MSG(s.n_items == 1, "%zu usable images", s.n_items);
    CHECK(s.nc == 5);
    CHECK(find_msg(&s, "fifo.jpg", "not a regular file (a FIFO)"));
    CHECK(find_msg(&s, "huge.png", "header claims 20000x20000 pixels"));
    CHECK(find_msg(&s, "giant.png", "ignoring corrupt image"));
    CHECK(find_msg(&s, "empty.jpg", "empty file (0 bytes)"));
    CHECK(!find_msg(&s, "empty.jpg", "truncated"));
    CHECK(find_msg(&s, "nul.jpg", "NUL byte at offset 0"));
    for (size_t i = 0; i < s.n_msgs && tl_failed; i++) fprintf(stderr, "  msg: %s\n", s.msgs[i]);
    cpose_labels_free(&s);

    /* fuzz_image_header finding: an EXIF IFD offset of 2^32-1 wrapped a bounds check (SEGV) */
    static const unsigned char exif[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x16, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2A, 0,
                                         0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xC0, 0, 0x11, 8, 0, 16, 0, 24, 3,
                                         1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9};
    int ew = 0, eh = 0;
    cpose_image_header_size(exif, sizeof exif, &ew, &eh);
    CHECK(1); /* reaching here is the check: before the fix the process died */

    /* nc: 0 in a dataset YAML is refused (it printed "labels 0--1" later) */
    char *yml = cpose_asprintf("%s/nc0.yaml", dir);
    const char *y0 = "path: /tmp/none\ntrain: images\nval: images\nnc: 0\n";
    cpose_write_file_atomic(yml, y0, strlen(y0));
    struct cpose_dataset ds;
    CHECK(cpose_dataset_load(yml, &ds) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "must be between 1 and 100000");
    cpose_free(yml);
    for (int i = 0; i < 6; i++) cpose_free(files[i]);
    cpose_free(d1), cpose_free(d2);
    cpose_remove_tree(dir);
    cpose_free(dir);
    return tl_finish();
}
