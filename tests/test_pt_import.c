/* tests/test_pt_import.c — .pt import: the pickle reader on hand-made pickles (values, refused
 * opcodes with their byte offsets, damage), the ZIP reader on archives Python's zipfile writes
 * (deflated, ZIP64, CRC damage, not a checkpoint), checkpoints torch.save writes from a cpose model
 * (fp32 and fp16, model and ema, a plain state_dict, a missing and a mis-shaped tensor) compared with
 * the values torch itself reads back; and on ../shared fixtures: Ultralytics' own checkpoints give the
 * parity forward (fp32) and the same tensors as the flat .h5 (fp16, synth-trained). */
/* cpose-layer: nn */
#define _GNU_SOURCE /* memmem */
#include "tests/testlib.h"
#include "tests/tl_pred.h"

#include <string.h>
#include <sys/wait.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/nn/pickle_read.h"
#include "core/nn/pt_load.h"
#include "core/nn/pt_impl.h"
#include "core/nn/pt_zip.h"
#include "tests/fuzz/seed_pt_pickle.h"

/* Parses a hand-made pickle; returns the status and leaves the document in *d (or NULL). */
static int parse(const char *bytes, size_t n, struct cpose_pkl_doc **d)
{
    return cpose_pkl_parse("test.pkl", (const uint8_t *)bytes, n, d);
}

#define PKL(lit) lit, sizeof(lit) - 1

/* A refused pickle: the message names the opcode and its byte offset. */
static void check_refused(const char *bytes, size_t n, const char *opname, const char *at)
{
    struct cpose_pkl_doc *d = NULL;
    int rc = parse(bytes, n, &d);
    CHECK_MSG(rc == CPOSE_EINVAL && d == NULL, "%s: rc %d", opname, rc);
    CHECK_CONTAINS(cpose_errmsg(), opname);
    CHECK_CONTAINS(cpose_errmsg(), at);
    cpose_pkl_free(d);
}

static void test_pickle(void)
{
    struct cpose_pkl_doc *d = NULL;
    /* {'a': 1, 'b': [2, -3], 'c': (None, True, 1.5)} written by hand from the opcode table */
    static const char ok[] = "\x80\x02}q\x00(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "b]q\x01(K\x02J\xfd\xff\xff\xff"
                             "eX\x01\x00\x00\x00" "cN\x88G\x3f\xf8\x00\x00\x00\x00\x00\x00\x87u.";
    CHECK_MSG(parse(PKL(ok), &d) == CPOSE_OK, "%s", cpose_errmsg());
    if (d) {
        int64_t x = 0;
        const struct cpose_pkl *b = cpose_pkl_get(d->root, "b"), *c = cpose_pkl_get(d->root, "c");
        CHECK(cpose_pkl_map_len(d->root) == 3);
        CHECK(cpose_pkl_int(cpose_pkl_get(d->root, "a"), &x) && x == 1);
        CHECK(b && b->kind == CPOSE_PKL_LIST && b->n == 2 && b->items[1]->i == -3);
        CHECK(c && c->kind == CPOSE_PKL_TUPLE && c->n == 3 && c->items[0]->kind == CPOSE_PKL_NONE &&
              c->items[1]->kind == CPOSE_PKL_BOOL && c->items[1]->i == 1 && c->items[2]->f == 1.5);
    }
    cpose_pkl_free(d), d = NULL;
    /* os.system('ls') as GLOBAL + REDUCE is a tree node; nothing runs */
    static const char reduce[] = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00ls\x85R.";
    CHECK(parse(PKL(reduce), &d) == CPOSE_OK);
    if (d) {
        CHECK(d->root->kind == CPOSE_PKL_CALL && cpose_pkl_is_global(d->root->func, "os", "system"));
        CHECK(d->root->args->n == 1 && !strcmp(d->root->args->items[0]->s, "ls"));
    }
    cpose_pkl_free(d), d = NULL;
    /* LONG1 (8 bytes, negative) and STACK_GLOBAL / MEMOIZE / FRAME of protocol 4 */
    static const char p4[] = "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x05torch\x94\x8c\x04Size\x94\x93\x94"
                             "h\x00\x8a\x08\xfe\xff\xff\xff\xff\xff\xff\xff\x87.";
    CHECK_MSG(parse(PKL(p4), &d) == CPOSE_OK, "%s", cpose_errmsg());
    if (d) {
        CHECK(d->root->kind == CPOSE_PKL_TUPLE && d->root->n == 3);
        CHECK(d->root->n == 3 && cpose_pkl_is_global(d->root->items[0], "torch", "Size"));
        CHECK(d->root->n == 3 && d->root->items[1]->kind == CPOSE_PKL_STR && !strcmp(d->root->items[1]->s, "torch"));
        CHECK(d->root->n == 3 && d->root->items[2]->kind == CPOSE_PKL_INT && d->root->items[2]->i == -2);
    }
    cpose_pkl_free(d), d = NULL;
    /* refused opcodes, named with their offsets */
    check_refused(PKL("\x80\x02(X\x02\x00\x00\x00lsios\nsystem\n."), "INST", "byte 10");
    check_refused(PKL("\x80\x02(cos\nsystem\nX\x02\x00\x00\x00lso."), "OBJ", "byte 21");
    check_refused(PKL("\x80\x02\x82\x01."), "EXT1", "byte 2");
    check_refused(PKL("(dp0\n."), "DICT", "byte 1");
    check_refused(PKL("\x80\x02I1\n."), "INT", "byte 2");
    check_refused(PKL("\x80\x02\x97."), "NEXT_BUFFER", "byte 2");
    /* damage */
    CHECK(parse(PKL("\x80\x02X\x10\x00\x00\x00" "ab"), &d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "past the end");
    CHECK(parse(PKL("\x80\x02N"), &d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "without a STOP");
    CHECK(parse(PKL("\x80\x02h\x05."), &d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "memo entry 5");
    CHECK(parse(PKL("\x80\x02R."), &d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "REDUCE");
    CHECK(parse(PKL("\x80\x02\xff."), &d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "0xff");
    CHECK(d == NULL);
}

/* The fuzz seed's pickle (Python's pickler over stand-in classes): the module walk finds its one
 * tensor with the shape and dtype the pickle gives, and its yaml dict becomes YAML text. */
static void test_walk(void)
{
    struct cpose_pkl_doc *d = NULL;
    CHECK_MSG(parse(seed_pt_pickle, sizeof seed_pt_pickle - 1, &d) == CPOSE_OK, "%s", cpose_errmsg());
    if (!d) return;
    const struct cpose_pkl *model = cpose_pkl_get(d->root, "model");
    CHECK(cpose_pkl_is_global(model, "ultralytics.nn.tasks", "PoseModel"));
    struct cpose_pt_tensor *t = NULL;
    size_t n = 0, cap = 0;
    long visits = 0;
    CHECK_MSG(cpose_pt_state_dict("seed", model, "", &t, &n, &cap, 0, &visits) == CPOSE_OK, "%s", cpose_errmsg());
    CHECK(n == 1 && visits == 4); /* PoseModel, Sequential, Conv, Conv2d */
    if (n == 1) {
        CHECK(!strcmp(t[0].key, "model.0.conv.weight") && !strcmp(t[0].storage, "0") && t[0].dtype == CPOSE_PT_F16);
        CHECK(t[0].ndim == 4 && t[0].size[0] == 16 && t[0].size[1] == 3 && t[0].stride[0] == 27 && t[0].storage_numel == 432);
    }
    cpose_free(t);
    char *yaml = cpose_pt_yaml_from_map(cpose_pkl_get(cpose_pkl_attrs(model), "yaml"), NULL);
    CHECK_CONTAINS(yaml, "kpt_shape: [17, 3]\n");
    CHECK_CONTAINS(yaml, "[-1, 1, nn.Upsample, [None, 2, nearest]]");
    CHECK_CONTAINS(yaml, "[-1, 3, C2f, [128, true]]");
    CHECK_CONTAINS(yaml, "scales: {\"n\": [0.33, 0.25, 1024]}"); /* n is a YAML 1.1 bool: quoted */
    cpose_free(yaml);
    char *ta = cpose_pt_yaml_from_map(cpose_pkl_get(d->root, "train_args"), NULL);
    CHECK(ta && !strcmp(ta, "task: pose\nimgsz: 320\n"));
    cpose_free(ta);
    cpose_pkl_free(d);
}

static char *tmp_path(const char *dir, const char *name) { return cpose_path_join(dir, name); }

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *python(void)
{
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static void test_zip(const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tests/helpers/pt_make.py zips %s", python(), getenv("CPOSE_SOURCE_DIR"), dir);
    CHECK_MSG(run(cmd) == 0, "%s", cmd);
    const char *names[] = {"deflated.pt", "zip64.pt"};
    for (int i = 0; i < 2; i++) {
        char *p = tmp_path(dir, names[i]);
        struct cpose_pt_zip *z = NULL;
        CHECK_MSG(cpose_pt_zip_open(p, &z) == CPOSE_OK, "%s", cpose_errmsg());
        long k = z ? cpose_pt_zip_find(z, "data.pkl") : -1;
        CHECK(k >= 0);
        const uint8_t *data = NULL;
        size_t len = 0;
        struct cpose_pkl_doc *d = NULL;
        if (k >= 0) CHECK_MSG(cpose_pt_zip_read(z, (size_t)k, &data, &len) == CPOSE_OK, "%s", cpose_errmsg());
        if (data) CHECK_MSG(cpose_pkl_parse(p, data, len, &d) == CPOSE_OK, "%s", cpose_errmsg());
        int64_t epoch = 0;
        CHECK(d && cpose_pkl_int(cpose_pkl_get(d->root, "epoch"), &epoch) && epoch == 3);
        cpose_pkl_free(d);
        cpose_pt_zip_close(z);
        /* a ZIP with a pickle but no model: the message names the keys it has */
        struct cpose_model *m = NULL;
        CHECK(cpose_model_load(p, NULL, &m) == CPOSE_EINVAL && m == NULL);
        CHECK_CONTAINS(cpose_errmsg(), "no 'model' or 'ema'");
        CHECK_CONTAINS(cpose_errmsg(), "'epoch'");
        cpose_free(p);
    }
    /* a ZIP that is not a checkpoint; a file that is not a ZIP */
    char *p = tmp_path(dir, "notckpt.zip");
    struct cpose_pt_zip *z = NULL;
    struct cpose_model *m = NULL;
    CHECK(cpose_pt_model_load(p, NULL, &m) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "notes/data.pkl: not a torch.save checkpoint");
    cpose_free(p);
    p = tmp_path(dir, "text.pt");
    FILE *f = fopen(p, "w");
    if (f) fputs("this is not a zip archive, just some text long enough\n", f), fclose(f);
    CHECK(cpose_model_load(p, NULL, &m) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "not a ZIP archive");
    CHECK_CONTAINS(cpose_errmsg(), "text.pt");
    cpose_free(p);
    /* one flipped byte inside a stored member fails its CRC; a cut file loses its directory */
    char *zp = tmp_path(dir, "zip64.pt"), *pk = tmp_path(dir, "pickle.bin"), *buf = NULL, *pkl = NULL;
    size_t zn = 0, pn = 0;
    CHECK(cpose_read_file(zp, &buf, &zn) == CPOSE_OK && cpose_read_file(pk, &pkl, &pn) == CPOSE_OK);
    char *at = buf && pkl ? memmem(buf, zn, pkl, pn) : NULL;
    CHECK(at != NULL);
    if (at) {
        at[pn / 2] ^= 0x40;
        CHECK(cpose_pt_zip_open_mem("flipped.pt", buf, zn, &z) == CPOSE_OK);
        const uint8_t *data;
        size_t len;
        CHECK(z && cpose_pt_zip_read(z, 0, &data, &len) == CPOSE_EINVAL);
        CHECK_CONTAINS(cpose_errmsg(), "CRC-32");
        CHECK_CONTAINS(cpose_errmsg(), "zip64/data.pkl");
        cpose_pt_zip_close(z), z = NULL;
        CHECK(cpose_pt_zip_open_mem("cut.pt", buf, zn - 30, &z) == CPOSE_EINVAL && z == NULL);
        CHECK_CONTAINS(cpose_errmsg(), "cut.pt");
    }
    cpose_free(buf), cpose_free(pkl), cpose_free(zp), cpose_free(pk);
}

/* Every tensor of m equals the float32 dataset of the same key in expect.h5 (what torch read back). */
static void check_tensors_equal(struct cpose_model *m, const char *expect, const char *what)
{
    struct cpose_h5 *f = NULL;
    CHECK_MSG(cpose_h5_open(expect, &f) == CPOSE_OK, "%s", cpose_errmsg());
    if (!f || !m) return;
    int bad = 0, n = cpose_model_num_tensors(m);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        const char *name;
        int nd;
        const int64_t *dims;
        float *data, *ref = NULL;
        cpose_model_tensor(m, i, &name, &nd, &dims, &data);
        int64_t numel = 1;
        for (int d = 0; d < nd; d++) numel *= dims[d];
        int rnd;
        int64_t rd[CPOSE_H5_MAX_DIMS];
        if (cpose_h5_read_f32(f, name, &ref, &rnd, rd) != CPOSE_OK) {
            if (bad++ < 3) fprintf(stderr, "%s: %s not in %s\n", what, name, expect);
            continue;
        }
        for (int64_t k = 0; k < numel; k++) {
            double e = fabs((double)data[k] - ref[k]);
            if (e > worst) worst = e;
        }
        cpose_free(ref);
    }
    printf("%s: %d tensors, max |diff| %.3g\n", what, n, worst);
    CHECK_MSG(bad == 0 && worst == 0, "%s: %d missing, max |diff| %.3g", what, bad, worst);
    CHECK(n > 300);
    cpose_h5_close(f);
}

static void test_generated(const char *dir)
{
    char *src = tmp_path(dir, "src.h5"), *src6 = tmp_path(dir, "src_p6.h5"), cmd[4096];
    struct cpose_model *m = NULL, *src_m = NULL, *p6 = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 7, &src_m) == CPOSE_OK);
    CHECK_MSG(src_m && cpose_model_save(src_m, src) == CPOSE_OK, "%s", cpose_errmsg());
    CHECK(cpose_model_load_seeded("yolov8s-pose-p6.yaml", NULL, 3, &p6) == CPOSE_OK);
    CHECK_MSG(p6 && cpose_model_save(p6, src6) == CPOSE_OK, "%s", cpose_errmsg());
    cpose_model_free(p6), p6 = NULL;
    /* one python start writes every variant */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s tests/helpers/pt_make.py ckpt %s %s/fp32.pt %s/exp32.h5"
             " --next %s/fp16.pt %s/exp16.h5 --half --ema --imgsz 320"
             " --next %s/missing.pt %s/exp_m.h5 --drop model.22.cv4.1.2.bias"
             " --next %s/shape.pt %s/exp_s.h5 --reshape model.2.m.0.cv1.conv.weight"
             " --next %s/sd.pt %s/unused.h5 --statedict"
             " --next %s/bf16.pt %s/exp_bf16.h5 --dtype bfloat16 --next %s/f64.pt %s/exp_f64.h5 --dtype float64"
             " --next %s/p6.pt %s/exp_p6.h5 --half --src %s",
             getenv("CPOSE_SOURCE_DIR"), python(), src, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir,
             dir, dir, src6);
    int rc = run(cmd);
    if (rc == 77) {
        printf("SKIP (generated checkpoints): python3-torch/h5py/yaml not importable\n");
        cpose_model_free(src_m), cpose_free(src), cpose_free(src6);
        return;
    }
    CHECK_MSG(rc == 0, "%s", cmd);

    char *p = tmp_path(dir, "fp32.pt"), *e = tmp_path(dir, "exp32.h5");
    CHECK_MSG(cpose_model_load(p, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, e, "fp32 checkpoint");
    check_tensors_equal(src_m, e, "source model vs torch's read-back");
    if (m) {
        const struct cpose_model_info *info = cpose_model_get_info(m);
        CHECK(info->imgsz == 640 && info->nkpt == 17 && info->n_names == 1 && !strcmp(info->names[0], "person"));
        CHECK_CONTAINS(cpose_model_train_args(m), "data: coco8-pose.yaml");
        CHECK_CONTAINS(cpose_model_train_args(m), "name: null");
    }
    cpose_model_free(m), m = NULL, cpose_free(p), cpose_free(e);

    p = tmp_path(dir, "fp16.pt"), e = tmp_path(dir, "exp16.h5");
    CHECK_MSG(cpose_model_load(p, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, e, "fp16 checkpoint (ema)");
    CHECK(m && cpose_model_get_info(m)->imgsz == 320);
    cpose_model_free(m), m = NULL, cpose_free(p), cpose_free(e);

    const char *other[][3] = {{"bf16.pt", "exp_bf16.h5", "bfloat16 checkpoint"}, {"f64.pt", "exp_f64.h5", "float64 checkpoint"}};
    for (int i = 0; i < 2; i++) {
        p = tmp_path(dir, other[i][0]), e = tmp_path(dir, other[i][1]);
        CHECK_MSG(cpose_model_load(p, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
        check_tensors_equal(m, e, other[i][2]);
        cpose_model_free(m), m = NULL, cpose_free(p), cpose_free(e);
    }

    /* a P6 model at another scale: 4 levels, stride [8, 16, 32, 64], scale s from the yaml dict */
    p = tmp_path(dir, "p6.pt"), e = tmp_path(dir, "exp_p6.h5");
    CHECK_MSG(cpose_model_load(p, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, e, "fp16 P6 checkpoint (s)");
    if (m) {
        const struct cpose_model_info *info = cpose_model_get_info(m);
        CHECK(info->n_levels == 4 && info->strides[3] == 64 && info->scale == 's');
    }
    cpose_model_free(m), m = NULL, cpose_free(p), cpose_free(e);

    p = tmp_path(dir, "missing.pt");
    CHECK(cpose_model_load(p, NULL, &m) == CPOSE_EINVAL && !m);
    CHECK_CONTAINS(cpose_errmsg(), "missing keys (model.22.cv4.1.2.bias)");
    CHECK_CONTAINS(cpose_errmsg(), "missing.pt");
    cpose_free(p);
    p = tmp_path(dir, "shape.pt");
    CHECK(cpose_model_load(p, NULL, &m) == CPOSE_EINVAL && !m);
    CHECK_CONTAINS(cpose_errmsg(), "wrong shape (model.2.m.0.cv1.conv.weight: file [");
    cpose_free(p);

    p = tmp_path(dir, "sd.pt"), e = tmp_path(dir, "exp32.h5");
    CHECK(cpose_model_load(p, NULL, &m) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "plain state_dict");
    CHECK_MSG(cpose_model_load(p, "yolov8n-pose.yaml", &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, e, "state_dict checkpoint");
    cpose_model_free(m), m = NULL, cpose_free(p), cpose_free(e);
    cpose_model_free(src_m);
    cpose_free(src), cpose_free(src6);
}

static void test_fixtures(void)
{
    const char *ckpt = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal-ckpt.pt");
    const char *flat = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *parity = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_model *m = NULL;
    struct cpose_h5 *f = NULL;
    float *input = NULL, *pred = NULL, *got = NULL;
    CHECK_MSG(cpose_model_load(ckpt, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, flat, "bncal .pt vs .h5");
    CHECK(cpose_h5_open(parity, &f) == CPOSE_OK);
    if (m && f && cpose_h5_read_f32(f, "input", &input, NULL, NULL) == CPOSE_OK &&
        cpose_h5_read_f32(f, "pred", &pred, NULL, NULL) == CPOSE_OK) {
        int64_t A = cpose_model_num_anchors(m, 640, 640);
        got = cpose_malloc(sizeof(float) * 56 * (size_t)A);
        CHECK(cpose_model_predict(m, input, 1, 640, 640, got) == CPOSE_OK);
        tl_check_pred("bncal .pt forward vs Ultralytics pred", got, pred, A);
        CHECK(cpose_model_get_info(m)->imgsz == 640);
    }
    cpose_h5_close(f);
    cpose_free(input), cpose_free(pred), cpose_free(got);
    cpose_model_free(m), m = NULL;

    const char *best = tl_fixture("ultralytics/synth-trained/synth-seed1-best.pt");
    const char *best_h5 = tl_fixture("ultralytics/synth-trained/synth-seed1-best.h5");
    CHECK_MSG(cpose_model_load(best, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    check_tensors_equal(m, best_h5, "synth-seed1-best.pt (fp16) vs .h5");
    CHECK(m && cpose_model_get_info(m)->imgsz == 256);
    cpose_model_free(m);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    if (!getenv("CPOSE_SOURCE_DIR")) setenv("CPOSE_SOURCE_DIR", CPOSE_SOURCE_DIR, 1);
    TL_GENERATED(test_pickle());
    TL_GENERATED(test_walk());
    if (tl_want_generated) {
        const char *dir = tl_tmpdir("pt-import");
        test_zip(dir);
        test_generated(dir);
    }
    TL_FIXTURES(test_fixtures());
    return tl_finish();
}
