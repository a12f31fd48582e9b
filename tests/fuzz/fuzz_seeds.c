/* tests/fuzz/fuzz_seeds.c — writes the seed corpus of every fuzz target into DIR/<target>/ with
 * cpose's own writers (HDF5, archives, images) and small hand-written documents: nothing is copied
 * from elsewhere. Usage: fuzz_seeds DIR */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/nn/image.h"
#include "core/nn/model.h"
#include "plugins/plugin_registry.h"

#include <archive.h>
#include <archive_entry.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

static const char *root;

static void seed(const char *target, const char *name, const void *data, size_t len)
{
    char *dir = cpose_asprintf("%s/%s", root, target), *path = cpose_asprintf("%s/%s", dir, name);
    cpose_mkdirs(dir);
    cpose_write_file_atomic(path, data, len);
    cpose_free(dir), cpose_free(path);
}

static void seed_text(const char *target, const char *name, const char *text) { seed(target, name, text, strlen(text)); }

static void seed_file(const char *target, const char *name, const char *path)
{
    char *d = NULL;
    size_t n = 0;
    if (cpose_read_file(path, &d, &n) == CPOSE_OK) seed(target, name, d, n);
    cpose_free(d);
}

static void archive_seed(const char *name, int zip)
{
    char *path = cpose_asprintf("%s/.%s", root, name);
    struct archive *a = archive_write_new();
    if (zip) archive_write_set_format_zip(a);
    else archive_write_set_format_pax_restricted(a);
    archive_write_open_filename(a, path);
    const char *files[][2] = {{"ds/images/a.txt", "alpha"}, {"ds/labels/a.txt", "0 0.5 0.5 0.1 0.1\n"}};
    for (int i = 0; i < 2; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, files[i][0]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(files[i][1]));
        archive_write_header(a, e);
        archive_write_data(a, files[i][1], strlen(files[i][1]));
        archive_entry_free(e);
    }
    struct archive_entry *l = archive_entry_new();
    archive_entry_set_pathname(l, "ds/link");
    archive_entry_set_filetype(l, AE_IFLNK);
    archive_entry_set_symlink(l, "images/a.txt");
    archive_write_header(a, l);
    archive_entry_free(l);
    archive_write_close(a);
    archive_write_free(a);
    seed_file("fuzz_archive", name, path);
    remove(path);
    cpose_free(path);
}

#include "tests/fuzz/seed_pt_pickle.h"

/* .pt seeds: the checkpoint pickle with its fp16 storage (values 1.0) in a stored ZIP, as torch.save
 * writes it, and the same deflated (libarchive's zip writer). */
static void pt_seeds(void)
{
    static const char *const names[2] = {"stored.pt", "deflated.pt"};
    static uint8_t storage[864];
    for (size_t i = 0; i < sizeof storage; i += 2) storage[i] = 0x00, storage[i + 1] = 0x3c;
    for (int k = 0; k < 2; k++) {
        char *path = cpose_asprintf("%s/.%s", root, names[k]);
        struct archive *a = archive_write_new();
        archive_write_set_format_zip(a);
        archive_write_set_format_option(a, "zip", "compression", k == 0 ? "store" : "deflate");
        archive_write_open_filename(a, path);
        const struct { const char *name; const void *data; size_t len; } files[] = {
            {"seed/data.pkl", seed_pt_pickle, sizeof seed_pt_pickle - 1},
            {"seed/data/0", storage, sizeof storage},
            {"seed/version", "3\n", 2},
        };
        for (int i = 0; i < 3; i++) {
            struct archive_entry *e = archive_entry_new();
            archive_entry_set_pathname(e, files[i].name);
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)files[i].len);
            archive_write_header(a, e);
            archive_write_data(a, files[i].data, files[i].len);
            archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        seed_file("fuzz_pt_checkpoint", names[k], path);
        remove(path);
        cpose_free(path);
    }
}

static void h5_seeds(void)
{
    /* a foreign flat file as h5py writes one: datasets at the root, a variable-length keys_in_order */
    char *p1 = cpose_asprintf("%s/.foreign.h5", root);
    hid_t f = H5Fcreate(p1, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    float w[16 * 3 * 3 * 3] = {0};
    hsize_t d[4] = {16, 3, 3, 3};
    hid_t sp = H5Screate_simple(4, d, NULL);
    hid_t ds = H5Dcreate2(f, "model.0.conv.weight", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w);
    H5Dclose(ds), H5Sclose(sp);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t n = 2;
    sp = H5Screate_simple(1, &n, NULL);
    const char *keys[2] = {"model.0.conv.weight", "model.0.bn.weight"};
    hid_t at = H5Acreate2(f, "keys_in_order", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(at, t, keys);
    H5Aclose(at), H5Sclose(sp), H5Tclose(t), H5Fclose(f);
    seed_file("fuzz_h5_weights", "foreign.h5", p1);
    remove(p1);
    /* a sealed cpose checkpoint layout, small */
    char *p2 = cpose_asprintf("%s/.sealed.h5", root);
    struct cpose_h5 *h = NULL;
    if (cpose_h5_create(p2, &h) == CPOSE_OK) {
        int64_t dims[4] = {16, 3, 3, 3};
        cpose_h5_write_f32(h, "/model/model.0.conv.weight", w, 4, dims);
        cpose_h5_attr_write_str(h, "/", "format", "cpose-checkpoint");
        const char *names[] = {"person"};
        cpose_h5_attr_write_str_array(h, "/", "names", names, 1);
        int64_t kpt[2] = {17, 3};
        cpose_h5_attr_write_i64(h, "/", "kpt_shape", kpt, 2);
        cpose_h5_commit(h);
        seed_file("fuzz_h5_weights", "sealed.h5", p2);
        remove(p2);
    }
    cpose_free(p1), cpose_free(p2);
}

/* fuzz_paddle_import: cpose's own Paddle export of the narrow model at 64×64, as the target reads
 * it (a 4-byte length, model.pdmodel, model.pdiparams). */
static void paddle_seed(struct cpose_plugin_registry *reg, struct cpose_model *m, const char *yaml)
{
    const char *keys[] = {"project", "name", "exist_ok", "imgsz"};
    char *proj = cpose_asprintf("%s/.paddle", root);
    const char *values[] = {proj, "p", "True", "64"};
    char *out = NULL, *prog = NULL, *par = NULL;
    size_t pn = 0, qn = 0;
    if (cpose_export_run(reg, m, yaml, "paddle", keys, values, 4, &out) == CPOSE_OK) {
        char *a = cpose_asprintf("%s/inference_model/model.pdmodel", out), *b = cpose_asprintf("%s/inference_model/model.pdiparams", out);
        if (cpose_read_file(a, &prog, &pn) == CPOSE_OK && cpose_read_file(b, &par, &qn) == CPOSE_OK) {
            uint8_t *all = cpose_malloc(4 + pn + qn);
            uint32_t len = (uint32_t)pn;
            memcpy(all, &len, 4), memcpy(all + 4, prog, pn), memcpy(all + 4 + pn, par, qn);
            seed("fuzz_paddle_import", "tiny.paddle", all, 4 + pn + qn);
            cpose_free(all);
        }
        cpose_free(a), cpose_free(b);
    } else {
        fprintf(stderr, "fuzz_seeds: no seed for fuzz_paddle_import (the paddle export plugin was not found or failed)\n");
    }
    cpose_free(out), cpose_free(proj), cpose_free(prog), cpose_free(par);
}

/* fuzz_onnx_import: cpose's own ONNX export of a narrow YOLOv8-pose (width 1/8, so the seed is small)
 * with random weights, in fp32 and fp16; skipped with a message when the ONNX plugin is not built. */
static void onnx_seeds(const char *src)
{
    char *yolo = cpose_asprintf("%s/core/cfg/models/yolov8-pose.yaml", src), *text = NULL;
    size_t n = 0;
    if (cpose_read_file(yolo, &text, &n) != CPOSE_OK) goto out;
    char *row = strstr(text, "n: [0.33, 0.25, 1024]");
    if (row) memcpy(row, "n: [0.33, .125, 1024]", strlen("n: [0.33, .125, 1024]"));
    char *yaml = cpose_asprintf("%s/.tiny-pose.yaml", root);
    cpose_write_file_atomic(yaml, text, n);
    struct cpose_model *m = NULL;
    struct cpose_plugin_registry *reg = cpose_plugins_load_default();
    if (row && reg && cpose_plugins_find(reg, "onnx") && cpose_model_load_seeded(yaml, NULL, 1, &m) == CPOSE_OK) {
        for (int half = 0; half < 2; half++) {
            const char *keys[] = {"project", "name", "exist_ok", "half"};
            char *proj = cpose_asprintf("%s/.onnx", root);
            const char *values[] = {proj, half ? "h" : "f", "True", half ? "True" : "False"};
            char *out = NULL;
            if (cpose_export_run(reg, m, yaml, "onnx", keys, values, 4, &out) == CPOSE_OK)
                seed_file("fuzz_onnx_import", half ? "tiny-fp16.onnx" : "tiny.onnx", out);
            cpose_free(out), cpose_free(proj);
        }
        if (cpose_plugins_find(reg, "paddle")) paddle_seed(reg, m, yaml);
    } else {
        fprintf(stderr, "fuzz_seeds: no ONNX seed for fuzz_onnx_import (the onnx export plugin was not found or failed)\n");
        for (int i = 0; reg && i < reg->n_problems; i++) fprintf(stderr, "  %s\n", reg->problems[i]);
    }
    cpose_model_free(m);
    cpose_plugins_free(reg);
    remove(yaml);
    cpose_free(yaml);
out:
    cpose_free(yolo), cpose_free(text);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    root = argv[1];
    cpose_mkdirs(root);
    seed_text("fuzz_coco_json", "gt.json",
              "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 640, \"height\": 480}], \"annotations\": "
              "[{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": 0, \"area\": 100.5, \"bbox\": [1, 2, 30, "
              "40], \"num_keypoints\": 2, \"keypoints\": [10, 20, 2, 0, 0, 0, 15, 25, 1]}], \"categories\": [{\"id\": 1, "
              "\"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [\"a\", \"b\", \"c\"]}]}");
    seed_text("fuzz_coco_json", "results.json",
              "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1.5, 2.25, 30, 40], \"score\": 0.875, \"keypoints\": "
              "[10.5, 20, 0.9, 0, 0, 0.1, 15, 25, 0.5]}]");
    seed_text("fuzz_dataset_yaml", "d.yaml",
              "path: ../datasets/x\ntrain: images/train\nval: images/val\nkpt_shape: [17, 3]\nflip_idx: [0, 2, 1, 4, 3, "
              "6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\nnames:\n  0: person\ndownload: https://127.0.0.1/x.zip\n");
    seed_text("fuzz_dataset_yaml", "list.yaml", "path: /tmp/x\ntrain: [a, b]\nval: v.txt\nnames: [a, b]\nnc: 2\n");
    const char *src = getenv("CPOSE_SOURCE_DIR") ? getenv("CPOSE_SOURCE_DIR") : CPOSE_SOURCE_DIR;
    char *m1 = cpose_asprintf("%s/core/cfg/models/yolov8-pose.yaml", src), *m2 = cpose_asprintf("%s/core/cfg/models/yolov8-pose-p6.yaml", src);
    seed_file("fuzz_model_yaml", "p5.yaml", m1);
    seed_file("fuzz_model_yaml", "p6.yaml", m2);
    cpose_free(m1), cpose_free(m2);
    char row[2048] = "0 0.5 0.5 0.25 0.25";
    for (int k = 0; k < 17; k++) snprintf(row + strlen(row), sizeof row - strlen(row), " 0.%d 0.%d %d", k + 1, k + 2, k % 3);
    strcat(row, "\n");
    seed_text("fuzz_labels", "pose.txt", row);
    seed_text("fuzz_labels", "box.txt", "0 0.5 0.5 0.2 0.3\n0 0.1 0.1 0.05 0.05\n");
    h5_seeds();
    archive_seed("a.tar", 0);
    archive_seed("a.zip", 1);
    struct cpose_image im;
    cpose_image_new(&im, 24, 16, 3, 77);
    char *j = cpose_asprintf("%s/.i.jpg", root), *p = cpose_asprintf("%s/.i.png", root);
    cpose_image_write(j, &im, 90);
    cpose_image_write(p, &im, 90);
    seed_file("fuzz_image_header", "i.jpg", j);
    seed_file("fuzz_image_header", "i.png", p);
    remove(j), remove(p);
    cpose_free(j), cpose_free(p);
    cpose_image_free(&im);
    seed_text("fuzz_lua_json", "doc.json", "{\"a\": [1, 2.5, \"x\", null, true], \"b\": {\"c\": {\"d\": []}}}");
    seed_text("fuzz_lua_json", "num.json", "42");
    onnx_seeds(src);
    pt_seeds();
    return 0;
}
