/* tests/test_pickle_write.c — the pickle protocol-2 emitter (exporters/common/pickle_write.c): a
 * pickle of every kind of value the .pt and TorchScript writers use (ints at each width boundary,
 * floats with -0.0 and NaN, UTF-8 strings, None/bools, tuples of each size, an OrderedDict by
 * REDUCE, a class by NEWOBJ + BUILD, a persistent id, a list shared through the memo, memo indices
 * past 255) read by Python's pickle and pickletools (tests/helpers/pickle_check.py: every value,
 * only protocol ≤ 2 opcodes); then a zip with a torch.save-style data.pkl holding a float32
 * Parameter and an fp16 tensor (FloatStorage/HalfStorage persistent ids, storages as data/<n>)
 * read by python3-torch's torch.load (that part is skipped when torch does not import). */
/* cpose-layer: base */
#include <stdlib.h>
#include <string.h>

#include "exporters/common/fp16.h"
#include "exporters/common/pickle_write.h"
#include "exporters/common/zip_write.h"
#include "tests/testlib.h"

static void key(struct pklw *w, const char *k) { pklw_str(w, k); }

/* A tensor as torch.save pickles it: _rebuild_tensor_v2(persistent storage, 0, size, stride,
 * False, OrderedDict()). */
static void tensor(struct pklw *w, const char *storage_type, const char *key_, int64_t numel, int ndim,
                   const int64_t *dims)
{
    pklw_global(w, "torch._utils", "_rebuild_tensor_v2");
    pklw_mark(w);  /* the arguments */
    pklw_mark(w);  /* the persistent id */
    pklw_str(w, "storage"), pklw_global(w, "torch", storage_type), pklw_str(w, key_), pklw_str(w, "cpu");
    pklw_int(w, numel);
    pklw_tuple(w);
    pklw_binpersid(w);
    pklw_int(w, 0);
    pklw_mark(w);
    for (int i = 0; i < ndim; i++) pklw_int(w, dims[i]);
    pklw_tuple(w);
    pklw_mark(w);
    for (int i = 0; i < ndim; i++) {
        int64_t s = 1;
        for (int j = i + 1; j < ndim; j++) s *= dims[j];
        pklw_int(w, s);
    }
    pklw_tuple(w);
    pklw_bool(w, 0);
    pklw_global(w, "collections", "OrderedDict"), pklw_empty_tuple(w), pklw_reduce(w);
    pklw_tuple(w);
    pklw_reduce(w);
}

int main(void)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP: /usr/bin/python3 missing (scripts/setup.sh installs it)\n");
        return 77;
    }
    const char *dir = tl_tmpdir("pklw");
    struct pklw w;
    pklw_init(&w, realloc, free);
    pklw_proto(&w);
    pklw_empty_dict(&w);
    pklw_memoize(&w);
    pklw_mark(&w);

    const int64_t ints[] = {0, 1, 255, 256, 65535, 65536, -1, -256, 2147483647, -2147483648LL, 2147483648LL,
                            -2147483649LL, 1LL << 40, -(1LL << 40), INT64_MAX, INT64_MIN};
    key(&w, "ints"), pklw_empty_list(&w), pklw_mark(&w);
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) pklw_int(&w, ints[i]);
    pklw_appends(&w);
    const double floats[] = {0.0, -0.0, 0.1, -1e300, 1e-3, 3.5};
    key(&w, "floats"), pklw_empty_list(&w), pklw_mark(&w);
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++) pklw_float(&w, floats[i]);
    pklw_appends(&w);
    key(&w, "nan"), pklw_float(&w, NAN);
    char xs[301];
    memset(xs, 'x', 300), xs[300] = 0;
    key(&w, "strings"), pklw_empty_list(&w), pklw_mark(&w);
    pklw_str(&w, ""), pklw_str(&w, "person"), pklw_str(&w, "caf\xc3\xa9 \xe2\x9c\x93"), pklw_str(&w, xs);
    pklw_appends(&w);
    key(&w, "consts"), pklw_empty_list(&w), pklw_mark(&w);
    pklw_none(&w), pklw_bool(&w, 1), pklw_bool(&w, 0);
    pklw_appends(&w);
    key(&w, "tuples"), pklw_empty_list(&w), pklw_mark(&w);
    pklw_empty_tuple(&w);
    pklw_int(&w, 1), pklw_tupleN(&w, 1);
    pklw_int(&w, 1), pklw_int(&w, 2), pklw_tupleN(&w, 2);
    pklw_int(&w, 1), pklw_int(&w, 2), pklw_int(&w, 3), pklw_tupleN(&w, 3);
    pklw_mark(&w), pklw_int(&w, 1), pklw_int(&w, 2), pklw_int(&w, 3), pklw_int(&w, 4), pklw_tuple(&w);
    pklw_appends(&w);
    pklw_setitems(&w);

    /* single items with SETITEM from here */
    key(&w, "ordered");
    pklw_global(&w, "collections", "OrderedDict"), pklw_empty_tuple(&w), pklw_reduce(&w);
    pklw_str(&w, "b"), pklw_int(&w, 2), pklw_setitem(&w);
    pklw_str(&w, "a"), pklw_int(&w, 1), pklw_setitem(&w);
    pklw_setitem(&w);
    key(&w, "shared_1"), pklw_empty_list(&w);
    uint32_t shared = pklw_memoize(&w);
    pklw_mark(&w), pklw_int(&w, 7), pklw_int(&w, 8), pklw_appends(&w);
    pklw_setitem(&w);
    key(&w, "shared_2"), pklw_get(&w, shared), pklw_setitem(&w);
    key(&w, "thing");
    pklw_global(&w, "test_module", "Thing"), pklw_empty_tuple(&w), pklw_newobj(&w);
    pklw_empty_dict(&w), pklw_mark(&w);
    pklw_str(&w, "training"), pklw_bool(&w, 0);
    pklw_str(&w, "f"), pklw_empty_list(&w), pklw_mark(&w), pklw_int(&w, -1), pklw_int(&w, 6), pklw_appends(&w);
    pklw_setitems(&w), pklw_build(&w);
    pklw_setitem(&w);
    key(&w, "pid");
    pklw_str(&w, "storage"), pklw_str(&w, "0"), pklw_int(&w, 3), pklw_tupleN(&w, 3), pklw_binpersid(&w);
    pklw_setitem(&w);
    /* memo indices past 255: LONG_BINPUT / LONG_BINGET */
    key(&w, "far"), pklw_empty_list(&w), pklw_mark(&w);
    for (int i = 0; i < 300; i++) pklw_int(&w, i), pklw_memoize(&w);
    pklw_appends(&w), pklw_setitem(&w);
    key(&w, "many_memo"), pklw_empty_list(&w), pklw_mark(&w);
    pklw_empty_list(&w);
    uint32_t m = pklw_memoize(&w);
    CHECK(m > 255);
    pklw_mark(&w), pklw_str(&w, "m"), pklw_appends(&w);
    for (int i = 1; i < 300; i++) pklw_get(&w, m);
    pklw_appends(&w), pklw_setitem(&w);
    pklw_stop(&w);
    size_t n = 0;
    uint8_t *bytes = pklw_take(&w, &n);
    CHECK(bytes && n > 100);
    char pkl[512];
    snprintf(pkl, sizeof pkl, "%s/values.pkl", dir);
    FILE *f = fopen(pkl, "wb");
    CHECK(f && fwrite(bytes, 1, n, f) == n);
    fclose(f);
    free(bytes);

    /* torch.save's layout: archive/data.pkl, archive/data/<key>, archive/version */
    pklw_init(&w, realloc, free);
    pklw_proto(&w);
    pklw_global(&w, "collections", "OrderedDict"), pklw_empty_tuple(&w), pklw_reduce(&w);
    pklw_str(&w, "w");
    pklw_global(&w, "torch._utils", "_rebuild_parameter");
    tensor(&w, "FloatStorage", "0", 6, 2, (const int64_t[]){2, 3});
    pklw_bool(&w, 0), pklw_global(&w, "collections", "OrderedDict"), pklw_empty_tuple(&w), pklw_reduce(&w);
    pklw_tupleN(&w, 3), pklw_reduce(&w);
    pklw_setitem(&w);
    pklw_str(&w, "h");
    tensor(&w, "HalfStorage", "1", 3, 1, (const int64_t[]){3});
    pklw_setitem(&w);
    pklw_stop(&w);
    bytes = pklw_take(&w, &n);
    CHECK(bytes != NULL);
    const float wv[6] = {0, 1, 2, 3, 4, 5.5f}, hv[3] = {1, -2, 0.5f};
    uint16_t h16[3];
    cpose_fp16_convert(hv, h16, 3);
    char pt[512];
    snprintf(pt, sizeof pt, "%s/tensors.pt", dir);
    struct zip_writer z;
    CHECK(zip_open_file(&z, pt, realloc, free) == 0);
    zip_add(&z, "tensors/data.pkl", bytes, n);
    zip_add(&z, "tensors/data/0", wv, sizeof wv);
    zip_add(&z, "tensors/data/1", h16, sizeof h16);
    zip_add(&z, "tensors/version", "3\n", 2);
    CHECK(zip_close_file(&z) == 0);
    free(bytes);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/pickle_check.py' '%s' '%s'", CPOSE_SOURCE_DIR, pkl,
             pt);
    CHECK_MSG(system(cmd) == 0, "Python's pickle / torch.load read-back: %s", cmd);

    /* errors */
    pklw_init(&w, realloc, free);
    pklw_tupleN(&w, 4);
    CHECK(w.failed && strstr(w.error, "1 to 3"));
    CHECK(pklw_take(&w, &n) == NULL && n == 0);
    return tl_finish();
}
