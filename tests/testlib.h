/* tests/testlib.h — a tiny test harness for the ctest programs: checks that count and report with
 * file:line, fixture lookup that skips (exit 77) when ../shared/fixtures is absent, temp folders,
 * and a closing "N passed, N failed" line. Header-only; include once per test program. */
#ifndef CPOSE_TESTLIB_H
#define CPOSE_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __attribute__((unused)) int tl_passed, tl_failed;

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (cond) tl_passed++;                                                                    \
        else { tl_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); }     \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                      \
    do {                                                                                          \
        if (cond) tl_passed++;                                                                    \
        else {                                                                                    \
            tl_failed++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                       \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
        }                                                                                         \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                     \
    do {                                                                                          \
        double tl_a = (double)(a), tl_b = (double)(b);                                            \
        if (fabs(tl_a - tl_b) <= (tol)) tl_passed++;                                              \
        else {                                                                                    \
            tl_failed++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: %s = %.10g, %s = %.10g (|diff| %.3g > %g)\n", __FILE__,  \
                    __LINE__, #a, tl_a, #b, tl_b, fabs(tl_a - tl_b), (double)(tol));             \
        }                                                                                         \
    } while (0)

/* Checks that a substring occurs in a message (for error-message tests). */
#define CHECK_CONTAINS(hay, needle)                                                               \
    CHECK_MSG((hay) && strstr((hay), (needle)) != NULL, "'%s' does not contain '%s'", (hay) ? (hay) : "(null)", (needle))

/* Deterministic pseudo-random 64-bit numbers for generated test data (xorshift64; reseed by
 * assigning tl_rng_state). */
static __attribute__((unused)) unsigned long long tl_rng_state = 0x9E3779B97F4A7C15ull;
static __attribute__((unused)) unsigned long long tl_rand_u64(void)
{
    tl_rng_state ^= tl_rng_state << 13;
    tl_rng_state ^= tl_rng_state >> 7;
    tl_rng_state ^= tl_rng_state << 17;
    return tl_rng_state;
}

/* The source tree: env CPOSE_SOURCE_DIR (ctest sets it), else the one this test was built from. */
static __attribute__((unused)) const char *tl_source_dir(void)
{
    const char *src = getenv("CPOSE_SOURCE_DIR");
    return src && *src ? src : CPOSE_SOURCE_DIR;
}

/* The fixtures folder (../shared/fixtures beside the source tree), or NULL. */
static __attribute__((unused)) const char *tl_fixtures(void)
{
    static char path[4096];
    const char *env = getenv("CPOSE_FIXTURES");
    if (env && *env) return access(env, R_OK) == 0 ? env : NULL;
    snprintf(path, sizeof path, "%s/../shared/fixtures", tl_source_dir());
    return access(path, R_OK) == 0 ? path : NULL;
}

/* Path of a fixture file; exits 77 (ctest: skipped) with a message when fixtures are absent. */
static __attribute__((unused)) const char *tl_fixture(const char *rel)
{
    static char buf[8][4096];
    static int slot;
    const char *root = tl_fixtures();
    if (!root) {
        printf("SKIP: ../shared/fixtures not found (fixture tests need the shared folder beside the checkout)\n");
        if (tl_failed) { /* a failure in the parts that ran must not hide behind the skip */
            printf("%d passed, %d failed before the fixture parts\n", tl_passed, tl_failed);
            exit(1);
        }
        exit(77);
    }
    char *p = buf[slot++ % 8];
    snprintf(p, 4096, "%s/%s", root, rel);
    return p;
}

/* Tests with parts on generated data and parts on ../shared/fixtures (listed as empty files in
 * tests/fixture_parts/) run twice under ctest: `<test> generated` runs only the first kind and
 * passes on a clone without fixtures; `<test> fixtures` (ctest name <test>_fixtures) only the second,
 * and skips (77) without them. No argument runs both. main() calls tl_parts(argc, argv), then wraps
 * each part in TL_GENERATED(...) or TL_FIXTURES(...). */
static __attribute__((unused)) int tl_want_generated = 1, tl_want_fixtures = 1;
static __attribute__((unused)) void tl_parts(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "generated") == 0) tl_want_fixtures = 0;
    if (argc > 1 && strcmp(argv[1], "fixtures") == 0) tl_want_generated = 0;
}
#define TL_GENERATED(call)                                                                        \
    do {                                                                                          \
        if (tl_want_generated) call;                                                              \
    } while (0)
#define TL_FIXTURES(call)                                                                         \
    do {                                                                                          \
        if (tl_want_fixtures) call;                                                               \
    } while (0)


/* The temporary folders this program made, removed when it exits (set CPOSE_TEST_KEEP=1 to keep them). */
static __attribute__((unused)) char tl_tmp_made[32][256];
static __attribute__((unused)) int tl_n_tmp_made;

static __attribute__((unused)) void tl_remove_tmpdirs(void)
{
    const char *keep = getenv("CPOSE_TEST_KEEP");
    if (keep && *keep && strcmp(keep, "0") != 0) return;
    for (int i = 0; i < tl_n_tmp_made; i++) {
        char cmd[300];
        /* mkdtemp names hold only [A-Za-z0-9._/-]: safe to quote */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tl_tmp_made[i]);
        if (system(cmd) != 0) fprintf(stderr, "testlib: could not remove %s\n", tl_tmp_made[i]);
    }
    tl_n_tmp_made = 0;
}

/* A fresh temporary folder /tmp/cpose-test-<tag>-XXXXXX, removed with everything in it when the
 * program exits (exit(), exit(77) or returning from main). */
static __attribute__((unused)) const char *tl_tmpdir(const char *tag)
{
    static char buf[8][256];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 256, "/tmp/cpose-test-%s-XXXXXX", tag);
    if (!mkdtemp(p)) { perror("mkdtemp"); exit(1); }
    if (tl_n_tmp_made == 0) atexit(tl_remove_tmpdirs);
    if (tl_n_tmp_made < 32) snprintf(tl_tmp_made[tl_n_tmp_made++], 256, "%s", p);
    return p;
}

/* Writes <dir>/c8.yaml: a dataset YAML for a copy of the coco8-pose fixture made in <dir>/coco8-pose
 * (so label caches land in the copy, never beside the fixtures; skips when the fixtures are
 * absent). Returns a malloc'ed path (caller frees with free()). */
static __attribute__((unused)) char *tl_coco8_yaml(const char *dir)
{
    const char *root = tl_fixture("coco8-pose");
    size_t n = strlen(dir) + 16;
    char *path = malloc(n), cmd[8400];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/coco8-pose' && chmod -R u+w '%s/coco8-pose'", root, dir, dir);
    if (system(cmd) != 0) { fprintf(stderr, "testlib: %s failed\n", cmd); exit(1); }
    snprintf(path, n, "%s/c8.yaml", dir);
    FILE *fp = fopen(path, "w");
    if (!fp) { perror(path); exit(1); }
    fprintf(fp, "path: %s/coco8-pose\ntrain: images/train\nval: images/val\nkpt_shape: [17, 3]\n"
                "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\nnames:\n  0: person\n", dir);
    fclose(fp);
    return path;
}

/* Prints the closing line and returns the exit code for main(). */
static __attribute__((unused)) int tl_finish(void)
{
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed ? 1 : (tl_passed ? 0 : 1);
}

#endif
