/* core/base/alloc.c — counted allocation (a size header before each block), OOM handler, growable vectors. */
#include "core/base/alloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <stdint.h>

#define HEADER 16 /* keeps 16-byte alignment of the user pointer */

static atomic_size_t used_bytes, peak_bytes;

static void default_oom(size_t bytes)
{
    fprintf(stderr, "cpose: out of memory allocating %zu bytes\n", bytes);
    abort();
}
static void (*oom_handler)(size_t) = default_oom;

void cpose_set_oom_handler(void (*handler)(size_t)) { oom_handler = handler ? handler : default_oom; }

static void count(ptrdiff_t delta)
{
    size_t now = atomic_fetch_add(&used_bytes, (size_t)delta) + (size_t)delta;
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {}
}

/* Blocks from HUGE_MIN bytes on ask for transparent huge pages (where THP is in "madvise" mode): the
 * first touch of such a block then faults once per 2 MiB instead of once per 4 KiB, and on virtual
 * machines a 4 KiB fault costs 10-25 us (filling a fresh 128 MB block: 0.8 s with small pages, 0.1 s
 * with huge ones). The advice covers whole pages from the block's first to its last byte, so a
 * block that glibc mapped on its own stays one mapping and realloc can still grow it with mremap
 * (advice on only its 2 MiB-aligned interior would split the mapping, and realloc would copy). */
enum { HUGE_MIN = 4 << 20 };
static void advise_huge(void *block, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n < HUGE_MIN) return;
    uintptr_t a = (uintptr_t)block & ~(uintptr_t)4095, e = ((uintptr_t)block + n + 4095) & ~(uintptr_t)4095;
    madvise((void *)a, e - a, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#else
    (void)block, (void)n;
#endif
}

void *cpose_malloc(size_t n)
{
    unsigned char *p = malloc(n + HEADER);
    if (!p) { oom_handler(n); return NULL; }
    memcpy(p, &n, sizeof n);
    count((ptrdiff_t)n);
    advise_huge(p, n + HEADER);
    return p + HEADER;
}

void *cpose_calloc(size_t count_, size_t size)
{
    if (size && count_ > (size_t)-1 / size - HEADER) { oom_handler((size_t)-1); return NULL; }
    void *p = cpose_malloc(count_ * size);
    memset(p, 0, count_ * size);
    return p;
}

void *cpose_realloc(void *ptr, size_t n)
{
    if (!ptr) return cpose_malloc(n);
    unsigned char *base = (unsigned char *)ptr - HEADER;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *p = realloc(base, n + HEADER);
    if (!p) { oom_handler(n); return NULL; }
    memcpy(p, &n, sizeof n);
    count((ptrdiff_t)n - (ptrdiff_t)old);
    if (n > old) advise_huge(p, n + HEADER);
    return p + HEADER;
}

void cpose_free(void *ptr)
{
    if (!ptr) return;
    unsigned char *base = (unsigned char *)ptr - HEADER;
    size_t n;
    memcpy(&n, base, sizeof n);
    count(-(ptrdiff_t)n);
    free(base);
}

/* Whole 2 MiB pages for n bytes (at least one). */
static size_t huge_length(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n > SIZE_MAX - huge) return 0;
    return n ? (n + huge - 1) & ~(huge - 1) : huge;
}

enum { HUGE_ALLOC_MIN = 256 << 10 }; /* below: cpose_calloc (a 2 MiB page would be mostly idle) */

void *cpose_alloc_huge(size_t n)
{
    if (n < HUGE_ALLOC_MIN) return cpose_calloc(1, n);
    const size_t huge = (size_t)2 << 20, len = huge_length(n);
    if (!len) {
        oom_handler(n);
        return NULL;
    }
    /* map one huge page more, then trim to a 2 MiB-aligned start: every page of the block can be huge */
    unsigned char *map = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        oom_handler(n);
        return NULL;
    }
    uintptr_t start = ((uintptr_t)map + huge - 1) & ~(uintptr_t)(huge - 1), end = (uintptr_t)map + len + huge;
    if (start > (uintptr_t)map) munmap(map, start - (uintptr_t)map);
    if (end > start + len) munmap((void *)(start + len), end - (start + len));
#ifdef MADV_HUGEPAGE
    madvise((void *)start, len, MADV_HUGEPAGE); /* a hint: without it the block still works, in small pages */
#endif
    count((ptrdiff_t)len);
    return (void *)start;
}

void cpose_free_huge(void *p, size_t n)
{
    if (!p) return;
    if (n < HUGE_ALLOC_MIN) {
        cpose_free(p);
        return;
    }
    size_t len = huge_length(n);
    munmap(p, len);
    count(-(ptrdiff_t)len);
}

char *cpose_strdup(const char *s) { return s ? cpose_strndup(s, strlen(s)) : NULL; }

char *cpose_strndup(const char *s, size_t n)
{
    if (!s) return NULL;
    size_t len = strnlen(s, n);
    char *d = cpose_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

char *cpose_asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = cpose_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

size_t cpose_alloc_used(void) { return atomic_load(&used_bytes); }
size_t cpose_alloc_peak(void) { return atomic_load(&peak_bytes); }

size_t cpose_peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (size_t)ru.ru_maxrss * 1024;
}

void cpose_vec_reserve(struct cpose_vec *v, size_t cap)
{
    if (cap <= v->cap) return;
    size_t ncap = v->cap ? v->cap : 8;
    while (ncap < cap) ncap *= 2;
    v->data = cpose_realloc(v->data, ncap * v->elem);
    v->cap = ncap;
}

void *cpose_vec_push(struct cpose_vec *v, const void *item)
{
    cpose_vec_reserve(v, v->len + 1);
    void *slot = (char *)v->data + v->len * v->elem;
    if (item) memcpy(slot, item, v->elem);
    else memset(slot, 0, v->elem);
    v->len++;
    return slot;
}

void cpose_vec_free(struct cpose_vec *v)
{
    cpose_free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}
