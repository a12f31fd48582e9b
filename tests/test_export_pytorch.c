/* tests/test_export_pytorch.c — format=pytorch end to end on a generated yolov8n-pose.yaml model
 * (seed 0, BN spread, training arguments set): the .pt read by python3-torch's torch.load with
 * stand-in classes for the Ultralytics globals (tests/helpers/pt_check.py): checkpoint keys and
 * train_args as Python values, state_dict keys/shapes/values equal to cpose's parameters (dumped here
 * from the model, not by the exporter), every attribute Ultralytics' forward and fuse() read, and a
 * forward through the unpickled tree written in the helper compared with cpose's forward at 320×320;
 * half=True gives fp16 tensors equal to numpy's rounding; Python's zipfile sees 64-byte-aligned
 * stored members under one folder with version "3"; a folder that cannot be written fails with a
 * message and leaves nothing. Skips when torch does not import. */
/* cpose-layer: plugins */
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

static const char *train_args_yaml =
    "task: pose\nimgsz: 320\nlr0: 0.01\nname: run1\ncache: False\nclasses: null\ndata: synth-pose.yaml\n"
    "mosaic: 1.0\nquoted: 'True'\n";

/* cpose's parameters as PARAMS_TXT (name, dims, offset) + PARAMS_BIN (float32), straight from the model. */
static void dump_params(const struct cpose_model *m, const char *txt, const char *bin)
{
    FILE *t = fopen(txt, "w"), *b = fopen(bin, "wb");
    int64_t off = 0;
    for (size_t i = 0; i < m->params.len; i++) {
        const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        fprintf(t, "%s\t", p->name);
        for (int d = 0; d < p->ndim; d++) fprintf(t, "%s%lld", d ? "," : "", (long long)p->dims[d]);
        fprintf(t, "\t%lld\n", (long long)off);
        fwrite(p->data, sizeof(float), (size_t)p->numel, b);
        off += p->numel;
    }
    fclose(t), fclose(b);
}

static int write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN"), *src = getenv("CPOSE_SOURCE_DIR");
    char src_dir[4096];
    snprintf(src_dir, sizeof src_dir, "%s", src ? src : CPOSE_SOURCE_DIR);
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") != 0) {
        printf("SKIP: python3-torch does not import (scripts/setup.sh installs it)\n");
        return 77;
    }
    const char *dir = tl_tmpdir("export-pt");
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "pytorch") != NULL, "no pytorch plugin in %s", plugdir);

    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    tl_spread_bn(m);
    CHECK(cpose_model_set_train_args(m, train_args_yaml) == CPOSE_OK);
    char txt[600], pbin[600], in[600], ref[600], model_arg[600], cmd[8192];
    snprintf(txt, sizeof txt, "%s/params.txt", dir);
    snprintf(pbin, sizeof pbin, "%s/params.bin", dir);
    snprintf(in, sizeof in, "%s/in.raw", dir);
    snprintf(ref, sizeof ref, "%s/ref.raw", dir);
    snprintf(model_arg, sizeof model_arg, "%s/generated.h5", dir);
    dump_params(m, txt, pbin);
    const int64_t H = 320, W = 320, A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32);
    float *x = malloc((size_t)(3 * H * W) * sizeof(float)), *y = malloc((size_t)(56 * A) * sizeof(float));
    uint64_t s = 1;
    for (int64_t i = 0; i < 3 * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    CHECK(cpose_model_predict(m, x, 1, H, W, y) == CPOSE_OK);
    write_raw(in, x, (size_t)(3 * H * W) * 4);
    write_raw(ref, y, (size_t)(56 * A) * 4);

    /* 1. float32 */
    char *path = NULL;
    int rc = cpose_export_run(r, m, model_arg, "pytorch", NULL, NULL, 0, &path);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    if (path) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/pt_check.py' '%s' '%s' '%s' f32 '%s' '%s' %lld %lld",
                 src_dir, path, txt, pbin, in, ref, (long long)H, (long long)W);
        CHECK_MSG(system(cmd) == 0, "%s", cmd);
        /* the container: stored, aligned, one folder, version 3 */
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 - '%s' <<'EOF'\n"
                 "import struct, sys, zipfile\n"
                 "raw = open(sys.argv[1], 'rb').read()\n"
                 "z = zipfile.ZipFile(sys.argv[1])\n"
                 "names = z.namelist()\n"
                 "assert names[0] == 'generated/data.pkl' and 'generated/version' in names, names[:3]\n"
                 "assert all(n.startswith('generated/') for n in names)\n"
                 "assert z.read('generated/version') == b'3\\n'\n"
                 "for i in z.infolist():\n"
                 "    nl, xl = struct.unpack_from('<HH', raw, i.header_offset + 26)\n"
                 "    assert i.compress_type == 0 and (i.header_offset + 30 + nl + xl) %% 64 == 0, i.filename\n"
                 "assert z.testzip() is None\n"
                 "print('zip layout ok:', len(names), 'members')\n"
                 "EOF",
                 path);
        CHECK_MSG(system(cmd) == 0, "the zip layout");
    }
    cpose_free(path), path = NULL;

    /* 2. half=True */
    const char *kh[] = {"half"}, *vh[] = {"True"};
    rc = cpose_export_run(r, m, model_arg, "pytorch", kh, vh, 1, &path);
    CHECK_MSG(rc == CPOSE_OK, "export half: %s", cpose_errmsg());
    if (path) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/pt_check.py' '%s' '%s' '%s' f16", src_dir, path,
                 txt, pbin);
        CHECK_MSG(system(cmd) == 0, "%s", cmd);
    }
    cpose_free(path), path = NULL;

    /* 3. an unwritable folder: an error naming it, nothing left behind */
    char ro[600], target[700];
    snprintf(ro, sizeof ro, "%s/readonly", dir);
    mkdir(ro, 0555);
    snprintf(target, sizeof target, "%s/m.h5", ro);
    if (geteuid() != 0) { /* root writes anywhere */
        rc = cpose_export_run(r, m, target, "pytorch", NULL, NULL, 0, &path);
        CHECK(rc != CPOSE_OK && path == NULL);
        CHECK_CONTAINS(cpose_errmsg(), "readonly");
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", ro);
        CHECK(system(cmd) == 0);
    }
    free(x), free(y);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
