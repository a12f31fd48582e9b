/* tests/test_h5io.c — HDF5 helpers: round trip of datasets and attributes, atomic create, error
 * messages, and reading the fixture weight file's layout. */
/* cpose-layer: nn */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "tests/testlib.h"

static void test_roundtrip(void)
{
    const char *dir = tl_tmpdir("h5");
    char *path = cpose_path_join(dir, "a.h5");
    struct cpose_h5 *f;
    CHECK(cpose_h5_create(path, &f) == CPOSE_OK);
    CHECK(!cpose_path_is_file(path)); /* only the temporary exists until commit */
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    CHECK(cpose_h5_write_f32(f, "/model/model.0.conv.weight", w, 2, dims) == CPOSE_OK);
    int64_t step = 7;
    CHECK(cpose_h5_write_i64(f, "/model/model.0.bn.num_batches_tracked", &step, 0, NULL) == CPOSE_OK);
    CHECK(cpose_h5_attr_write_str(f, "/", "task", "pose") == CPOSE_OK);
    const char *names[] = {"person", "dog"};
    CHECK(cpose_h5_attr_write_str_array(f, "/", "names", names, 2) == CPOSE_OK);
    double kpt[2] = {17, 3};
    CHECK(cpose_h5_attr_write_f64(f, "/", "kpt_shape", kpt, 2) == CPOSE_OK);
    CHECK(cpose_h5_commit(f) == CPOSE_OK);
    CHECK(cpose_path_is_file(path));

    CHECK(cpose_h5_open(path, &f) == CPOSE_OK);
    float *r;
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_read_f32(f, "/model/model.0.conv.weight", &r, &nd, d) == CPOSE_OK);
    CHECK(nd == 2 && d[0] == 2 && d[1] == 3 && r[5] == 6.0f);
    cpose_free(r);
    int64_t *iv;
    CHECK(cpose_h5_read_i64(f, "/model/model.0.bn.num_batches_tracked", &iv, &nd, d) == CPOSE_OK);
    CHECK(nd == 0 && iv[0] == 7);
    cpose_free(iv);
    char *task;
    CHECK(cpose_h5_attr_read_str(f, "/", "task", &task) == CPOSE_OK && strcmp(task, "pose") == 0);
    cpose_free(task);
    char **nm;
    size_t n;
    CHECK(cpose_h5_attr_read_str_array(f, "/", "names", &nm, &n) == CPOSE_OK && n == 2 && !strcmp(nm[1], "dog"));
    cpose_h5_free_strings(nm, n);
    double ks[4];
    CHECK(cpose_h5_attr_read_f64(f, "/", "kpt_shape", ks, 4, &n) == CPOSE_OK && n == 2 && ks[0] == 17);
    char **list;
    CHECK(cpose_h5_list(f, "/model", &list, &n) == CPOSE_OK && n == 2);
    CHECK(n == 2 && strcmp(list[0], "model.0.bn.num_batches_tracked") == 0);
    cpose_h5_free_strings(list, n);
    CHECK(cpose_h5_read_f32(f, "/model/nope", &r, &nd, d) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no dataset '/model/nope'");
    float small[5];
    CHECK(cpose_h5_read_f32_into(f, "/model/model.0.conv.weight", small, 5) == CPOSE_ESHAPE);
    cpose_h5_close(f);

    /* an abandoned create leaves nothing behind */
    char *path2 = cpose_path_join(dir, "b.h5");
    CHECK(cpose_h5_create(path2, &f) == CPOSE_OK);
    cpose_h5_close(f);
    CHECK(!cpose_path_is_file(path2));
    CHECK(cpose_h5_open(path2, &f) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "b.h5");
    char *txt = cpose_path_join(dir, "c.h5");
    cpose_write_file_atomic(txt, "hello", 5);
    CHECK(cpose_h5_open(txt, &f) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "not an HDF5 file");
    cpose_remove_tree(dir);
    cpose_free(path); cpose_free(path2); cpose_free(txt);
}

static void test_fixture_layout(void)
{
    struct cpose_h5 *f;
    CHECK(cpose_h5_open(tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5"), &f) == CPOSE_OK);
    char **keys;
    size_t n;
    CHECK(cpose_h5_attr_read_str_array(f, "/", "keys_in_order", &keys, &n) == CPOSE_OK);
    CHECK(n == 397 && strcmp(keys[0], "model.0.conv.weight") == 0);
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_shape(f, "model.0.conv.weight", &nd, d) == CPOSE_OK);
    CHECK(nd == 4 && d[0] == 16 && d[1] == 3 && d[2] == 3 && d[3] == 3);
    cpose_h5_free_strings(keys, n);
    cpose_h5_close(f);
}

int main(void)
{
    test_roundtrip();
    test_fixture_layout();
    return tl_finish();
}
