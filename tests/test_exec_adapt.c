/* tests/test_exec_adapt.c — the load-adaptive thread count of inference forwards (core/base/cpu_load.c,
 * core/nn/exec.c): the real load probe sees a spinning child process; a simulated busy machine
 * (CPOSE_SIMULATE_LOAD) makes a threads=2 forward of yolov8n-pose drop to one thread only after the
 * load persisted for three forwards, and come back at once when it ends; and every forward — quiet
 * at two threads, adapted to one, and a fresh model run with threads=1 — gives bit-identical outputs. */
/* cpose-layer: nn */
#include "core/base/cpu_load.h"
#include "core/nn/model.h"
#include "core/nn/model_impl.h"
#include "tests/testlib.h"

#include <omp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

enum { H = 192, W = 256 };

/* The real probe: a child spinning on a CPU is a runnable task that is not one of ours. */
static void test_probe_sees_a_busy_process(void)
{
    unsetenv("CPOSE_SIMULATE_LOAD");
    pid_t child = fork();
    if (child == 0)
        for (volatile unsigned long i = 0;; i++) {}
    CHECK(child > 0);
    usleep(50000);
    int seen = 0;
    for (int i = 0; i < 20 && !seen; i++, usleep(2000)) seen = cpose_cpu_others_running() >= 1;
    CHECK_MSG(seen, "a spinning child process was never counted as a runnable neighbour");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK(cpose_cpu_usable() >= 1);
}

/* The rule: free CPUs = usable − the smallest of the last three samples, clamped to [1, requested]. */
static void test_rule(void)
{
    int usable = cpose_cpu_usable();
    char v[16];
    struct cpose_thread_adapt a = {0};
    setenv("CPOSE_SIMULATE_LOAD", "0", 1);
    CHECK(cpose_thread_adapt_next(&a, 64) == (usable < 64 ? usable : 64));
    CHECK(cpose_thread_adapt_next(&a, 1) == 1);
    snprintf(v, sizeof v, "%d", usable + 3);
    setenv("CPOSE_SIMULATE_LOAD", v, 1);
    struct cpose_thread_adapt b = {0};
    CHECK(cpose_thread_adapt_next(&b, 8) == 1);  /* a first sample counts alone */
    setenv("CPOSE_ADAPT_THREADS", "0", 1);
    CHECK(cpose_thread_adapt_next(&b, 8) == 8);
    unsetenv("CPOSE_ADAPT_THREADS");
}

static void predict(struct cpose_model *m, const float *img, float *pred)
{
    CHECK_MSG(cpose_model_predict(m, img, 1, H, W, pred) == CPOSE_OK, "%s", cpose_errmsg());
}

static int64_t differ(const float *a, const float *b, int64_t n)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) bad += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return bad;
}

static void test_identical_outputs(void)
{
    if (cpose_cpu_usable() < 2) {
        printf("SKIP: the adaptive forward needs 2 usable CPUs to pick between 1 and 2 threads\n");
        return;
    }
    struct cpose_model *m = NULL, *one = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 5, &m) == CPOSE_OK);
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 5, &one) == CPOSE_OK);
    int64_t n = (int64_t)cpose_model_get_info(m)->n_outputs * cpose_model_num_anchors(m, H, W);
    float *img = malloc(sizeof(float) * 3 * H * W), *quiet = malloc(sizeof(float) * n), *busy = malloc(sizeof(float) * n);
    float *ref = malloc(sizeof(float) * n);
    uint64_t s = 9;
    for (int i = 0; i < 3 * H * W; i++) s = s * 6364136223846793005ull + 1442695040888963407ull, img[i] = (float)(s >> 40) / 16777216.0f;
    /* quiet machine: both threads (the kernels are made for 2 threads here) */
    omp_set_num_threads(2);
    setenv("CPOSE_SIMULATE_LOAD", "0", 1);
    predict(m, img, quiet);
    CHECK(cpose_exec_last_threads(m->exec_fused) == 2);
    /* one busy neighbour per CPU but one: two forwards still at 2 threads, the third at 1 */
    char v[16];
    snprintf(v, sizeof v, "%d", cpose_cpu_usable() - 1);
    setenv("CPOSE_SIMULATE_LOAD", v, 1);
    int used[3];
    for (int k = 0; k < 3; k++) {
        predict(m, img, busy);
        used[k] = cpose_exec_last_threads(m->exec_fused);
        CHECK_MSG(differ(busy, quiet, n) == 0, "forward %d under load (%d threads): %lld of %lld values differ from the quiet run",
                  k, used[k], (long long)differ(busy, quiet, n), (long long)n);
    }
    CHECK_MSG(used[0] == 2 && used[1] == 2 && used[2] == 1, "threads under load: %d %d %d (want 2 2 1)", used[0], used[1], used[2]);
    CHECK(omp_get_max_threads() == 2);  /* the caller's setting is restored */
    /* quiet again: back to 2 at once */
    setenv("CPOSE_SIMULATE_LOAD", "0", 1);
    predict(m, img, busy);
    CHECK(cpose_exec_last_threads(m->exec_fused) == 2);
    CHECK(differ(busy, quiet, n) == 0);
    /* a fresh model whose kernels are made for one thread (threads=1) */
    omp_set_num_threads(1);
    predict(one, img, ref);
    CHECK(cpose_exec_last_threads(one->exec_fused) == 1);
    CHECK_MSG(differ(ref, quiet, n) == 0, "threads=1 vs threads=2: %lld of %lld values differ", (long long)differ(ref, quiet, n),
              (long long)n);
    unsetenv("CPOSE_SIMULATE_LOAD");
    free(img), free(quiet), free(busy), free(ref);
    cpose_model_free(m), cpose_model_free(one);
}

int main(void)
{
    test_probe_sees_a_busy_process();
    test_rule();
    test_identical_outputs();
    return tl_finish();
}
