/* datasets/loader_prefetch.c — the val/predict loader's prefetcher: one background thread that
 * decodes and letterboxes the next batch (on its own OpenMP team of `workers` threads) while the
 * caller runs the forward on the current one. The batch is made by the same code as without it
 * (cpose_loader_fill), so its bytes are the same; only when it is made changes. */
#include "datasets/loader_impl.h"

#include <pthread.h>

#include "core/base/alloc.h"
#include "core/base/status.h"

struct cpose_loader_prefetch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int workers;
    int job_bi, job_slot; /* the batch posted (−1: none) and its slot */
    int busy;             /* the thread is making job_bi */
    int ready;            /* job_bi is made */
    int quit;
};

static void *prefetch_main(void *arg)
{
    struct cpose_loader *L = arg;
    struct cpose_loader_prefetch *p = L->pf;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && !(p->job_bi >= 0 && !p->busy && !p->ready)) pthread_cond_wait(&p->cv, &p->mu);
        if (p->quit) break;
        p->busy = 1;
        int bi = p->job_bi, s = p->job_slot;
        pthread_mutex_unlock(&p->mu);
        cpose_loader_fill(L, &L->slots[s], bi, p->workers);
        pthread_mutex_lock(&p->mu);
        p->busy = 0, p->ready = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int cpose_loader_set_workers(struct cpose_loader *L, int workers)
{
    if (workers < 0) return cpose_err(CPOSE_EINVAL, "loader: workers=%d must be 0 or more", workers);
    cpose_loader_prefetch_stop(L);
    if (workers == 0) return CPOSE_OK;
    struct cpose_loader_prefetch *p = cpose_calloc(1, sizeof *p);
    p->workers = workers, p->job_bi = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    L->pf = p;
    int e = pthread_create(&p->th, NULL, prefetch_main, L);
    if (e != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        cpose_free(p);
        L->pf = NULL;
        return cpose_err(CPOSE_ENOMEM, "loader: cannot start the prefetch thread (error %d)", e);
    }
    return CPOSE_OK;
}

int cpose_loader_prefetch_take(struct cpose_loader *L, int bi)
{
    struct cpose_loader_prefetch *p = L->pf;
    if (!p) return -1;
    pthread_mutex_lock(&p->mu);
    while (p->job_bi >= 0 && !p->ready) pthread_cond_wait(&p->cv, &p->mu);
    int s = p->job_bi >= 0 && p->job_bi == bi ? p->job_slot : -1;
    p->job_bi = -1, p->ready = 0;
    pthread_mutex_unlock(&p->mu);
    return s;
}

void cpose_loader_prefetch_post(struct cpose_loader *L, int bi, int s)
{
    struct cpose_loader_prefetch *p = L->pf;
    if (!p || bi < 0) return;
    pthread_mutex_lock(&p->mu);
    p->job_bi = bi, p->job_slot = s, p->ready = 0;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void cpose_loader_prefetch_stop(struct cpose_loader *L)
{
    struct cpose_loader_prefetch *p = L->pf;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    cpose_free(p);
    L->pf = NULL;
}
