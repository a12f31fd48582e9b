/* tests/test_checkpoint.c — training checkpoints (core/train/checkpoint.h) on generated state: a
 * bit-exact round trip of raw weights, EMA, optimizer state, pending gradients and the run state;
 * the file loads as weights whose values are the EMA's and whose imgsz comes from train_args; the
 * version check (a newer version refused naming file and version; version 1 and unversioned files
 * still load); resume refusals (weights only, damaged file, another model, another optimizer, a
 * changed dataset); and the dataset hash against sha256sum. */
/* cpose-layer: train */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/train/checkpoint.h"
#include "core/train/train_table.h"
#include "tests/testlib.h"

/* A run's objects built over one model. */
struct run {
    struct cpose_model *m;
    struct cpose_train_exec *ex;
    struct cpose_param *tab;
    size_t n, nt;
    struct cpose_optim *o;
    struct cpose_ema *e;
};

static int run_open(struct run *r, const char *yaml, uint64_t seed, enum cpose_optim_kind kind)
{
    memset(r, 0, sizeof *r);
    int rc = cpose_model_load_seeded(yaml, NULL, seed, &r->m);
    if (!rc) rc = cpose_train_exec_new(r->m, &r->ex);
    if (!rc) rc = cpose_train_exec_table(r->ex, r->m, &r->tab, &r->n, &r->nt);
    if (!rc) rc = cpose_optim_create(kind, 0.01, 0.937, 5e-4, r->tab, r->nt, &r->o);
    if (!rc) rc = cpose_ema_create(r->tab, r->n, 0.9999, 2000, 0, &r->e);
    if (rc) fprintf(stderr, "setup: %s\n", cpose_errmsg());
    return rc;
}

static void run_close(struct run *r)
{
    cpose_ema_free(r->e);
    cpose_optim_free(r->o);
    cpose_free(r->tab);
    cpose_train_exec_free(r->ex);
    cpose_model_free(r->m);
}

/* Deterministic values with varied exponents and signs (and a negative zero and a subnormal), so a
 * conversion through another type would show. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float next_value(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t r = (uint32_t)(rng_state >> 32);
    if (r % 997 == 0) return -0.0f;
    if (r % 991 == 0) return 1e-40f;
    float v = (float)(r & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
    return v * (float)(1u << (r >> 28)) * 1e-3f;
}

static void fill(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = next_value();
}

/* Gives every piece of training state a distinct generated value. */
static void scramble(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) fill(r->tab[i].data, r->tab[i].n), fill(r->e->value[i], r->tab[i].n);
    for (size_t i = 0; i < r->nt; i++) {
        if (r->tab[i].grad) fill(r->tab[i].grad, r->tab[i].n);
        fill(r->o->s1[i], r->tab[i].n);
        if (r->o->s2[i]) fill(r->o->s2[i], r->tab[i].n);
        r->o->steps[i] = 1000 + (long)i;
        r->o->mu_product[i] = next_value();
    }
    for (int g = 0; g < CPOSE_OPTIM_NGROUPS; g++)
        r->o->group[g] = (struct cpose_optim_group){0.0123 + g, 0.01 + g * 1e-7, 0.8 + g * 0.01, 1e-4 * (g == 1)};
    r->o->beta2 = 0.9991, r->o->eps = 3e-9, r->o->rms_alpha = 0.97, r->o->momentum_decay = 0.005;
    r->e->updates = 4321;
}

static int same(const void *a, const void *b, size_t bytes)
{
    return memcmp(a, b, bytes) == 0;
}

static const char *TRAIN_ARGS = "task: pose\nmode: train\nmodel: yolov8n-pose.yaml\ndata: synth.yaml\nepochs: 40\n"
                                "batch: 16\nimgsz: 256\nseed: 0\noptimizer: AdamW\n";

static void fill_state(struct cpose_ckpt_state *st)
{
    static uint64_t words[3] = {0xffffffffffffffffull, 0, 0x8000000000000001ull};
    cpose_ckpt_state_init(st);
    st->epoch = 7, st->iteration = 123456, st->last_opt_step = 123452, st->best_epoch = 5;
    st->best_fitness = 0.123456789012345, st->seed = 0xdeadbeefcafef00dull, st->train_seconds = 98.765;
    st->train_args_yaml = (char *)TRAIN_ARGS, st->dataset_hash = (char *)"abc123";
    st->rng = words, st->n_rng = 3, st->has_grads = 1;
}

static void test_round_trip(const char *dir)
{
    struct run a, b;
    char path[512];
    snprintf(path, sizeof path, "%s/last.h5", dir);
    if (run_open(&a, "yolov8n-pose.yaml", 1, CPOSE_OPTIM_ADAMW) || run_open(&b, "yolov8n-pose.yaml", 2, CPOSE_OPTIM_ADAMW)) {
        CHECK(!"setup");
        return;
    }
    scramble(&a);
    struct cpose_ckpt_state st, got;
    fill_state(&st);
    CHECK_MSG(cpose_ckpt_save(path, a.m, a.tab, a.n, a.nt, a.o, a.e, &st) == CPOSE_OK, "%s", cpose_errmsg());
    struct stat sb;
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    CHECK(stat(path, &sb) == 0 && stat(tmp, &sb) != 0); /* renamed into place, no temporary left */

    CHECK_MSG(cpose_ckpt_check(path, b.tab, b.n, b.nt, CPOSE_OPTIM_ADAMW, "abc123") == CPOSE_OK, "%s", cpose_errmsg());
    CHECK_MSG(cpose_ckpt_load(path, b.tab, b.n, b.nt, b.o, b.e, &got) == CPOSE_OK, "%s", cpose_errmsg());
    int bad_data = 0, bad_ema = 0, bad_grad = 0, bad_s = 0, bad_steps = 0;
    for (size_t i = 0; i < a.n; i++) {
        size_t bytes = sizeof(float) * a.tab[i].n;
        bad_data += !same(a.tab[i].data, b.tab[i].data, bytes);
        bad_ema += !same(a.e->value[i], b.e->value[i], bytes);
    }
    for (size_t i = 0; i < a.nt; i++) {
        size_t bytes = sizeof(float) * a.tab[i].n;
        if (a.tab[i].grad) bad_grad += !same(a.tab[i].grad, b.tab[i].grad, bytes);
        bad_s += !same(a.o->s1[i], b.o->s1[i], bytes) + !same(a.o->s2[i], b.o->s2[i], bytes);
        bad_steps += a.o->steps[i] != b.o->steps[i] || !same(&a.o->mu_product[i], &b.o->mu_product[i], sizeof(float));
    }
    CHECK_MSG(bad_data == 0, "%d raw rows differ", bad_data);
    CHECK_MSG(bad_ema == 0, "%d EMA rows differ", bad_ema);
    CHECK_MSG(bad_grad == 0, "%d gradient rows differ", bad_grad);
    CHECK_MSG(bad_s == 0, "%d optimizer state rows differ", bad_s);
    CHECK_MSG(bad_steps == 0, "%d step counts / mu products differ", bad_steps);
    CHECK(b.e->updates == 4321);
    CHECK(same(b.o->group, a.o->group, sizeof a.o->group));
    CHECK(b.o->beta2 == 0.9991 && b.o->eps == 3e-9 && b.o->rms_alpha == 0.97 && b.o->momentum_decay == 0.005);
    CHECK(got.format_version == CPOSE_CKPT_VERSION);
    CHECK(got.epoch == 7 && got.iteration == 123456 && got.last_opt_step == 123452 && got.best_epoch == 5);
    CHECK(got.best_fitness == 0.123456789012345 && got.train_seconds == 98.765);
    CHECK(got.seed == 0xdeadbeefcafef00dull);
    CHECK(got.train_args_yaml && !strcmp(got.train_args_yaml, TRAIN_ARGS));
    CHECK(got.dataset_hash && !strcmp(got.dataset_hash, "abc123"));
    CHECK(got.n_rng == 3 && got.rng && got.rng[0] == 0xffffffffffffffffull && got.rng[1] == 0 &&
          got.rng[2] == 0x8000000000000001ull);
    CHECK(got.has_grads == 1);
    cpose_ckpt_state_free(&got);

    /* read_state alone gives the same state */
    CHECK(cpose_ckpt_read_state(path, &got) == CPOSE_OK && got.epoch == 7 && got.seed == 0xdeadbeefcafef00dull);
    cpose_ckpt_state_free(&got);

    /* the checkpoint is a weights file: its tensors are the EMA's, imgsz comes from train_args */
    struct cpose_model *w = NULL;
    CHECK_MSG(cpose_model_load(path, NULL, &w) == CPOSE_OK, "%s", cpose_errmsg());
    if (w) {
        CHECK(cpose_model_get_info(w)->imgsz == 256);
        CHECK(cpose_model_train_args(w) && !strcmp(cpose_model_train_args(w), TRAIN_ARGS));
        int checked = 0, bad = 0;
        for (int t = 0; t < cpose_model_num_tensors(w); t++) {
            const char *name;
            int nd;
            const int64_t *dims;
            float *data;
            cpose_model_tensor(w, t, &name, &nd, &dims, &data);
            for (size_t i = 0; i < a.n; i++)
                if (!strcmp(a.tab[i].name, name)) {
                    checked++;
                    bad += !same(data, a.e->value[i], sizeof(float) * a.tab[i].n);
                }
        }
        CHECK_MSG(checked == (int)a.n && bad == 0, "%d of %zu rows matched by name, %d differ from the EMA", checked,
                  a.n, bad);
        /* and a plain save of that model keeps train_args */
        char again[512];
        snprintf(again, sizeof again, "%s/again.h5", dir);
        struct cpose_model *w2 = NULL;
        CHECK(cpose_model_save(w, again) == CPOSE_OK);
        CHECK(cpose_model_load(again, NULL, &w2) == CPOSE_OK && w2 && cpose_model_get_info(w2)->imgsz == 256 &&
              !strcmp(cpose_model_train_args(w2), TRAIN_ARGS));
        cpose_model_free(w2);
    }
    cpose_model_free(w);

    /* a save that fails early leaves the previous checkpoint untouched */
    struct stat before, after;
    stat(path, &before);
    CHECK(cpose_ckpt_save(path, a.m, a.tab, a.n, a.n + 1, a.o, a.e, &st) != CPOSE_OK);
    CHECK(stat(path, &after) == 0 && after.st_size == before.st_size && after.st_mtime == before.st_mtime);
    run_close(&a);
    run_close(&b);
}

/* Writes a weights file of m whose version attribute is `version` (-1: none written; the model's
 * own writer always writes one, so a flat state_dict is written by hand). */
static int write_versioned(const struct cpose_model *m, const char *path, int64_t version)
{
    struct cpose_h5 *f = NULL;
    int rc = cpose_h5_create(path, &f);
    if (rc) return rc;
    if (version >= 0) {
        rc = cpose_model_write_h5(m, f, NULL, NULL);
        if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "version", &version, 1);
    } else {
        for (int t = 0; t < cpose_model_num_tensors(m) && !rc; t++) {
            const char *name;
            int nd;
            const int64_t *dims;
            float *data;
            cpose_model_tensor(m, t, &name, &nd, &dims, &data);
            rc = cpose_h5_write_f32(f, name, data, nd, dims);
        }
    }
    if (rc) {
        cpose_h5_close(f);
        return rc;
    }
    return cpose_h5_commit(f);
}

static void test_versions(const char *dir)
{
    struct cpose_model *m = NULL, *w = NULL;
    char path[512];
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 3, &m) == CPOSE_OK);
    if (!m) return;

    snprintf(path, sizeof path, "%s/v3.h5", dir);
    CHECK(write_versioned(m, path, CPOSE_WEIGHTS_VERSION_MAX + 1) == CPOSE_OK);
    CHECK(cpose_model_load(path, NULL, &w) != CPOSE_OK && w == NULL);
    CHECK_CONTAINS(cpose_errmsg(), path);
    CHECK_CONTAINS(cpose_errmsg(), "format version 3");
    CHECK(cpose_model_load_weights(m, path) != CPOSE_OK); /* the other reader checks too */
    CHECK_CONTAINS(cpose_errmsg(), "format version 3");
    struct cpose_ckpt_state st;
    CHECK(cpose_ckpt_read_state(path, &st) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "format version 3");

    /* a file of before this issue: version 1, no train_args — loads as weights, imgsz unknown */
    snprintf(path, sizeof path, "%s/v1.h5", dir);
    CHECK(write_versioned(m, path, 1) == CPOSE_OK);
    CHECK_MSG(cpose_model_load(path, NULL, &w) == CPOSE_OK, "%s", cpose_errmsg());
    if (w) CHECK(cpose_model_get_info(w)->imgsz == 0 && cpose_model_train_args(w) == NULL);
    cpose_model_free(w), w = NULL;
    CHECK(cpose_ckpt_read_state(path, &st) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "weights only");

    /* a flat state_dict (no version at all) */
    snprintf(path, sizeof path, "%s/flat.h5", dir);
    CHECK(write_versioned(m, path, -1) == CPOSE_OK);
    CHECK_MSG(cpose_model_load(path, NULL, &w) == CPOSE_OK, "%s", cpose_errmsg());
    cpose_model_free(w), w = NULL;

    /* version 0 is no version cpose ever wrote */
    snprintf(path, sizeof path, "%s/v0.h5", dir);
    CHECK(write_versioned(m, path, 0) == CPOSE_OK);
    CHECK(cpose_model_load(path, NULL, &w) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "format version 0");

    /* train_args set on a model set its imgsz; non-mapping text is refused */
    CHECK(cpose_model_set_train_args(m, "imgsz: [320, 480]\n") == CPOSE_OK && cpose_model_get_info(m)->imgsz == 480);
    CHECK(cpose_model_set_train_args(m, "- not\n- a mapping\n") == CPOSE_EINVAL);
    CHECK(cpose_model_get_info(m)->imgsz == 480);
    CHECK(cpose_model_set_train_args(m, NULL) == CPOSE_OK && cpose_model_get_info(m)->imgsz == 0);
    cpose_model_free(m);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[65536];
    size_t k;
    while (a && b && (k = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, k, b);
    if (a) fclose(a);
    if (b) fclose(b);
}

static void test_refusals(const char *dir)
{
    struct run a;
    char path[512], bad[512];
    if (run_open(&a, "yolov8n-pose.yaml", 4, CPOSE_OPTIM_SGD)) {
        CHECK(!"setup");
        return;
    }
    struct cpose_ckpt_state st;
    fill_state(&st);
    st.has_grads = 0;
    snprintf(path, sizeof path, "%s/ok.h5", dir);
    CHECK(cpose_ckpt_save(path, a.m, a.tab, a.n, a.nt, a.o, a.e, &st) == CPOSE_OK);
    CHECK_MSG(cpose_ckpt_check(path, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, "abc123") == CPOSE_OK, "%s", cpose_errmsg());

    /* a changed dataset */
    CHECK(cpose_ckpt_check(path, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, "abc124") != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "another version of the dataset");
    CHECK_CONTAINS(cpose_errmsg(), path);

    /* another optimizer */
    CHECK(cpose_ckpt_check(path, a.tab, a.n, a.nt, CPOSE_OPTIM_ADAMW, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "optimizer SGD");

    /* another model: one size differs, one row missing from the file, one only in the file */
    struct cpose_param *t2 = cpose_malloc(sizeof *t2 * (a.n + 1));
    memcpy(t2, a.tab, sizeof *t2 * a.n);
    t2[3].n += 1;
    CHECK(cpose_ckpt_check(path, t2, a.n, a.nt, -1, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "another model");
    CHECK_CONTAINS(cpose_errmsg(), a.tab[3].name);
    t2[3].n -= 1;
    t2[a.n] = t2[a.n - 1];
    t2[a.n].name = "model.99.extra.weight";
    CHECK(cpose_ckpt_check(path, t2, a.n + 1, a.nt, -1, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "model.99.extra.weight");
    CHECK(cpose_ckpt_check(path, t2, a.n - 1, a.nt, -1, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "tensors only in the file");
    cpose_free(t2);

    /* a real other model (yolov8s-pose): the check names it as another model, load refuses and
     * leaves the table untouched */
    struct run s;
    if (run_open(&s, "yolov8s-pose.yaml", 5, CPOSE_OPTIM_SGD) == CPOSE_OK) {
        float keep = s.tab[0].data[0];
        CHECK(cpose_ckpt_load(path, s.tab, s.n, s.nt, s.o, s.e, NULL) != CPOSE_OK);
        CHECK_CONTAINS(cpose_errmsg(), "another model");
        CHECK(s.tab[0].data[0] == keep);
        run_close(&s);
    }

    /* a damaged file: one byte flipped in the middle, and a truncated one */
    snprintf(bad, sizeof bad, "%s/damaged.h5", dir);
    copy_file(path, bad);
    FILE *fp = fopen(bad, "r+b");
    struct stat sb;
    stat(bad, &sb);
    if (fp) {
        fseek(fp, sb.st_size / 2, SEEK_SET);
        int c = fgetc(fp);
        fseek(fp, sb.st_size / 2, SEEK_SET);
        fputc(c ^ 0x5a, fp);
        fclose(fp);
    }
    CHECK(cpose_ckpt_check(bad, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "damaged");
    CHECK_CONTAINS(cpose_errmsg(), bad);
    CHECK(truncate(bad, sb.st_size / 3) == 0);
    CHECK(cpose_ckpt_check(bad, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), bad);

    /* weights only (no training state), and no optimizer state */
    snprintf(bad, sizeof bad, "%s/weights.h5", dir);
    CHECK(cpose_model_save(a.m, bad) == CPOSE_OK);
    CHECK(cpose_ckpt_check(bad, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "weights only");
    snprintf(bad, sizeof bad, "%s/noopt.h5", dir);
    CHECK(cpose_ckpt_save(bad, a.m, a.tab, a.n, a.nt, NULL, a.e, &st) == CPOSE_OK);
    CHECK(cpose_ckpt_check(bad, a.tab, a.n, a.nt, CPOSE_OPTIM_SGD, NULL) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "no optimizer state");
    CHECK(cpose_ckpt_check(bad, a.tab, a.n, a.nt, -1, NULL) == CPOSE_OK);
    run_close(&a);
}

/* The dataset hash against sha256sum of "<total size><path1><path2>..." built here. */
static void test_dataset_hash(const char *dir)
{
    char p1[512], p2[512], p3[512], cmd[2048], want[65] = "", got[65], got2[65];
    snprintf(p1, sizeof p1, "%s/a.txt", dir);
    snprintf(p2, sizeof p2, "%s/b.jpg", dir);
    snprintf(p3, sizeof p3, "%s/missing.jpg", dir);
    FILE *f = fopen(p1, "w");
    if (f) fputs("abc", f), fclose(f);
    f = fopen(p2, "w");
    if (f) fputs("12345", f), fclose(f);
    const char *paths[3] = {p1, p2, p3};
    cpose_ckpt_dataset_hash(paths, 3, got);
    snprintf(cmd, sizeof cmd, "printf '%%s' '8%s%s%s' | sha256sum", p1, p2, p3);
    FILE *pp = popen(cmd, "r");
    if (pp) {
        if (fscanf(pp, "%64s", want) != 1) want[0] = 0;
        pclose(pp);
    }
    CHECK_MSG(strlen(want) == 64 && !strcmp(got, want), "got %s, sha256sum %s", got, want);
    f = fopen(p2, "a");
    if (f) fputs("6", f), fclose(f);
    cpose_ckpt_dataset_hash(paths, 3, got2);
    CHECK(strcmp(got, got2) != 0); /* a label that grew changes the hash */
}

int main(void)
{
    const char *dir = tl_tmpdir("ckpt");
    test_round_trip(dir);
    test_versions(dir);
    test_refusals(dir);
    test_dataset_hash(dir);
    return tl_finish();
}
