/* tests/test_train_args_cli.c — weights that carry training arguments set the image size the CLI
 * uses when imgsz= is not given, as Ultralytics does for a .pt: `cpose val`, `cpose predict`,
 * `cpose export` and the nightly job run at the model's own imgsz (64 here, a size no default has),
 * and an explicit imgsz= still wins. The weights file is written here (fresh yolov8n-pose weights
 * with train_args), the dataset by `cpose synth`. */
/* cpose-layer: nn */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn/model.h"
#include "tests/testlib.h"

static const char *bin;

/* Runs a shell command, its stdout+stderr into out (NUL-terminated, truncated to cap); exit status. */
static int run(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        size_t k;
        while (n + 1 < cap && (k = fread(out + n, 1, cap - 1 - n, p)) > 0) n += k;
        char sink[4096];
        while (fread(sink, 1, sizeof sink, p) > 0) {}
    }
    out[n] = 0;
    int st = p ? pclose(p) : -1;
    if (st != 0) fprintf(stderr, "command failed (%d): %s\n%s\n", st, cmd, out);
    return st;
}

static const char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

int main(void)
{
    bin = getenv("CPOSE_BIN");
    const char *src = getenv("CPOSE_SOURCE_DIR");
    if (!bin || !src) {
        printf("SKIP: CPOSE_BIN / CPOSE_SOURCE_DIR not set (run under ctest)\n");
        return 77;
    }
    const char *dir = tl_tmpdir("trainargs");
    static char outbuf[1 << 16];
    char *out = outbuf;
    char w[512], path[700];
    snprintf(w, sizeof w, "%s/trained64.h5", dir);

    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    CHECK(cpose_model_set_train_args(m, "task: pose\nmode: train\nmodel: yolov8n-pose.yaml\nimgsz: 64\nbatch: 2\n") ==
          CPOSE_OK);
    CHECK(cpose_model_save(m, w) == CPOSE_OK);
    cpose_model_free(m);

    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' synth save_dir=syn n_train=1 n_val=2 imgsz=160 seed=1", dir, bin) == 0);

    /* val: says which size it took and why; an explicit imgsz= wins */
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' val model=%s data=syn/synth-pose.yaml batch=2 plots=False", dir, bin, w) ==
          0);
    CHECK_CONTAINS(out, "imgsz=64, the model's own");
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' val model=%s data=syn/synth-pose.yaml batch=2 imgsz=96 plots=False", dir,
              bin, w) == 0);
    CHECK(strstr(out, "the model's own") == NULL);

    /* predict: the letterbox shape */
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' predict model=%s source=syn/images/val save=False", dir, bin, w) == 0);
    CHECK_CONTAINS(out, "at shape (1, 3, 64, 64)");
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' predict model=%s source=syn/images/val save=False imgsz=128", dir, bin,
              w) == 0);
    CHECK_CONTAINS(out, "at shape (1, 3, 128, 128)");

    /* export: the input size of the exported model */
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' export model=%s format=onnx", dir, bin, w) == 0);
    CHECK_CONTAINS(out, "imgsz 64x64");

    /* the nightly job without imgsz=: the row shows 64 */
    CHECK(run(out, sizeof outbuf, "cd '%s' && '%s' run '%s/scripts/nightly.lua' models=%s data=syn/synth-pose.yaml "
                               "reports=rep date=2026-01-01 batch=2 save_dir=job",
              dir, bin, src, w) == 0);
    snprintf(path, sizeof path, "%s/rep/2026-01-01/nightly.md", dir);
    const char *j = slurp(path);
    CHECK_MSG(j && strstr(j, "| imgsz |") && strstr(j, " | 64 |"), "%s: %.600s", path, j ? j : "(missing)");
    return tl_finish();
}
