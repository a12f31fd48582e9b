/* datasets/coco_json_load.c — the ways bytes reach the COCO reader's state machine: a streaming read
 * for pipes, and for files and memory a single pass with three shortcuts: `segmentation` polygons
 * are handed past yajl after a strict number-array scan (coco_json_scan.c), flat `keypoints` and
 * `bbox` lists are converted here, and a large annotations array (or results list) is split at
 * object boundaries so that its pieces are parsed on several threads. Each shortcut is only taken
 * when yajl itself confirms the position it relies on, so the result and every error message equal
 * those of feeding the whole file to yajl. */
#define _GNU_SOURCE /* memmem */
#include "datasets/coco_json.h"
#include "datasets/coco_json_impl.h"
#include "core/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    PARALLEL_MIN_BYTES = 8 << 20,  /* below this one thread parses the whole document */
    PIECES_PER_THREAD = 4,         /* pieces are taken as threads come free: their costs differ */
    LARGE_BYTES = 2 << 20,         /* from here a parser's vectors start at HUGE_VEC_BYTES */
    HUGE_VEC_BYTES = 4 << 20,      /* core/base/alloc.c gives blocks from 4 MiB on huge pages */
    MAX_CHUNKS = 64,
};

static int is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of the flat JSON array of numbers at s ('[' ws (number (ws ',' ws number)*)? ws ']'), its
 * values counted in *count and pushed to p->kpts, or with first4 set, the first four stored there
 * (as a bbox keeps them); 0 (and nothing pushed) for anything else. */
static size_t flat_number_list(struct coco_parser *p, const char *s, size_t n, int *count, double *first4)
{
    size_t kpts0 = p->kpts.len, i = 1;
    int k = 0;
    if (n == 0 || s[0] != '[') return 0;
    while (i < n && is_ws(s[i])) i++;
    if (i < n && s[i] == ']') {
        *count = 0;
        return i + 1;
    }
    while (i < n) {
        /* small non-negative integers (most keypoint values) directly; anything else by the rules */
        size_t d = i;
        uint64_t m = 0;
        while (d < n && d - i < 15 && is_digit(s[d])) m = m * 10 + (uint64_t)(s[d++] - '0');
        size_t len;
        double v;
        if (d > i && d < n && (s[d] == ',' || s[d] == ']' || is_ws(s[d])) && (s[i] != '0' || d == i + 1)) {
            len = d - i;
            v = (double)m;
        } else {
            len = cpose_coco_number_scan(s + i, n - i, &v);
            if (!len) break;
        }
        if (first4) {
            if (k < 4) first4[k] = v;
        } else {
            if (p->kpts.len == p->kpts.cap) cpose_vec_reserve(&p->kpts, p->kpts.len + 1);
            ((double *)p->kpts.data)[p->kpts.len++] = v;
        }
        k++;
        i += len;
        while (i < n && is_ws(s[i])) i++;
        if (i < n && s[i] == ',') {
            i++;
            while (i < n && is_ws(s[i])) i++;
            continue;
        }
        if (i < n && s[i] == ']') {
            *count = k;
            return i + 1;
        }
        break;
    }
    p->kpts.len = kpts0;
    return 0;
}

enum key_kind { KEY_SEGMENTATION, KEY_KEYPOINTS, KEY_BBOX };
static const char *const KEY_TEXT[] = {"\"segmentation\"", "\"keypoints\"", "\"bbox\""};
static const size_t KEY_LEN[] = {14, 11, 6};

/* Next occurrence in buf[from, end) of `"segmentation"`, `"keypoints"` or `"bbox"` (quotes included),
 * anywhere, strings too (the caller has yajl confirm it), or SIZE_MAX; *kind says which. One pass
 * that stops at each quote: quotes are rare next to the numbers that make up most of a COCO file. */
static size_t next_key(const char *buf, size_t from, size_t end, enum key_kind *kind)
{
    while (from < end) {
        const char *q = memchr(buf + from, '"', end - from);
        if (!q) break;
        size_t at = (size_t)(q - buf), left = end - at;
        for (int k = 0; k < 3; k++)
            if (left >= KEY_LEN[k] && memcmp(q, KEY_TEXT[k], KEY_LEN[k]) == 0) {
                *kind = (enum key_kind)k;
                return at;
            }
        from = at + 1;
    }
    return SIZE_MAX;
}

/* The page window over a file mapping the reader owns: pages are read in ahead of the parser in
 * WINDOW-sized steps (one call instead of a fault per 64 KiB) and dropped from the process once the
 * parser is WINDOW past them, so a 200 MB file does not sit whole in the resident set while the
 * annotations grow. Dropped pages of a private read-only file mapping read back from the page cache
 * if touched again, so a wrong guess costs a fault, never data. */
enum { WINDOW = 4 << 20, PAGE = 4096 };
#if defined(__linux__) && !defined(MADV_POPULATE_READ)
#define MADV_POPULATE_READ 22 /* Linux 5.14's number; glibc before 2.35's headers do not name it */
#endif
struct window {
    const char *buf;        /* the mapping (page-aligned) */
    size_t begin, end;      /* the part this parser reads */
    size_t populated, dropped;
};

static void window_init(struct window *w, const char *buf, size_t begin, size_t end)
{
    w->buf = buf, w->begin = begin, w->end = end;
    w->populated = w->dropped = begin;
}

static void window_advance(struct window *w, size_t pos)
{
    if (!w) return;
    if (pos + WINDOW / 2 > w->populated && w->populated < w->end) {
        size_t a = w->populated & ~(size_t)(PAGE - 1), e = w->populated + WINDOW < w->end ? w->populated + WINDOW : w->end;
#if defined(__linux__)
        madvise((void *)(w->buf + a), e - a, MADV_POPULATE_READ); /* a hint: failure leaves faults to do it */
#endif
        w->populated = e;
    }
    if (pos > w->dropped + 2 * WINDOW) {
        size_t a = (w->dropped + PAGE - 1) & ~(size_t)(PAGE - 1), e = (pos - WINDOW) & ~(size_t)(PAGE - 1);
        if (e > a) madvise((void *)(w->buf + a), e - a, MADV_DONTNEED);
        w->dropped = e;
    }
}

/* Drops what the window still holds of its part, once the parser is done with it (the other pieces'
 * windows go on). */
static void window_finish(struct window *w)
{
    size_t a = (w->dropped + PAGE - 1) & ~(size_t)(PAGE - 1), e = w->end & ~(size_t)(PAGE - 1);
    if (e > a) madvise((void *)(w->buf + a), e - a, MADV_DONTNEED);
    w->dropped = w->end;
}

/* cpose_coco_parser_feed of buf[from, to) in WINDOW-sized steps that move the window along. */
static int feed_win(struct coco_parser *p, struct window *w, const char *buf, size_t from, size_t to)
{
    while (from < to) {
        size_t n = w && to - from > WINDOW ? WINDOW : to - from;
        window_advance(w, from);
        int rc = cpose_coco_parser_feed(p, buf + from, n, (int64_t)from);
        if (rc != CPOSE_OK) return rc;
        from += n;
    }
    return CPOSE_OK;
}

/* Asks the memory for the document's bytes up to READ_AHEAD past pos (from *ahead on, which it moves):
 * the parse reads the file mapping once, front to back, and without this most of the polygon check's
 * time was the wait for each line of a page the hardware had not fetched. */
enum { READ_AHEAD = 2048, LINE = 64 };
static void read_ahead(const char *buf, size_t *ahead, size_t pos, size_t end)
{
    size_t until = end - pos > READ_AHEAD ? pos + READ_AHEAD : end;
    if (*ahead < pos) *ahead = pos;
    for (; *ahead < until; *ahead += LINE) __builtin_prefetch(buf + *ahead);
}

/* Feeds buf[begin, end) (file offsets) to p. With fast set, each `"segmentation":`, `"keypoints":` or
 * `"bbox":` that yajl confirms as a key directly in an annotation is followed by a strict scan of its
 * value: a polygon list is fed as "[]" (the reader never stores segmentation), and a flat keypoint or
 * bbox list is converted here and fed as "[]" with its values preloaded, so yajl does not tokenise
 * those bytes. Values of any other shape go through yajl, which reads them (or reports them) as usual. */
static int feed_range(struct coco_parser *p, struct window *w, const char *buf, size_t begin, size_t end, int fast)
{
    size_t pos = begin, ahead = begin;
    int rc;
    while (fast && pos < end) {
        read_ahead(buf, &ahead, pos, end);
        enum key_kind kind = KEY_SEGMENTATION;
        size_t k = next_key(buf, pos, end, &kind);
        if (k == SIZE_MAX) break;
        size_t colon = k + KEY_LEN[kind];
        while (colon < end && is_ws(buf[colon])) colon++;
        if (colon >= end || buf[colon] != ':') { /* not a key after all: let yajl see it */
            if ((rc = feed_win(p, w, buf, pos, colon)) != CPOSE_OK) return rc;
            pos = colon;
            continue;
        }
        if ((rc = feed_win(p, w, buf, pos, k)) != CPOSE_OK) return rc;
        uint64_t keys_before = p->n_keys;
        if ((rc = cpose_coco_parser_feed(p, buf + k, colon + 1 - k, (int64_t)k)) != CPOSE_OK) return rc;
        pos = colon + 1;
        /* Exactly one key event, and it was this key in an annotation: the quote really opened a
         * key (inside a string, the quote would have closed that string instead). */
        int confirmed = kind == KEY_KEYPOINTS ? p->last_key_is_keypoints
                        : kind == KEY_BBOX    ? p->last_key_is_bbox
                                              : p->last_key_is_segmentation;
        if (p->n_keys != keys_before + 1 || !confirmed) continue;
        size_t v = pos;
        while (v < end && is_ws(buf[v])) v++;
        int count = 0;
        double bbox[4];
        size_t len = kind == KEY_KEYPOINTS ? flat_number_list(p, buf + v, end - v, &count, NULL)
                     : kind == KEY_BBOX    ? flat_number_list(p, buf + v, end - v, &count, bbox)
                                           : cpose_coco_number_array_len(buf + v, end - v);
        if (len < 2) continue;
        if ((rc = cpose_coco_parser_feed(p, buf + pos, v - pos, (int64_t)pos)) != CPOSE_OK) return rc;
        if (kind == KEY_BBOX) memcpy(p->ann.bbox, bbox, (size_t)(count < 4 ? count : 4) * sizeof(double));
        p->preloaded_nums = count;
        if ((rc = cpose_coco_parser_feed(p, "[]", 2, (int64_t)(v + len - 2))) != CPOSE_OK) return rc;
        pos = v + len;
    }
    return feed_win(p, w, buf, pos, end);
}

/* A parser that reads `bytes` of a large document starts its annotation and keypoint vectors past
 * HUGE_VEC_BYTES, where blocks get transparent huge pages: growing from a few elements instead faults
 * their first megabytes in one 4 KiB page at a time (10-25 us each on a virtual machine). Untouched
 * capacity costs address space only. */
static void reserve_large(struct coco_parser *p, size_t bytes)
{
    if (bytes < LARGE_BYTES) return;
    cpose_vec_reserve(&p->anns, HUGE_VEC_BYTES / p->anns.elem + 1);
    if (!p->kpts.data) cpose_vec_reserve(&p->kpts, HUGE_VEC_BYTES / p->kpts.elem + 1);
}

/* One piece of the document for one parser: [begin, close) is parsed, then the annotation's closing
 * brace at `close` is fed alone and must end an annotation, then [close+1, next) (a comma and white
 * space) must produce no event. The last piece has close = len and ends the document instead. */
struct piece {
    size_t begin, close, next;
    int last;
    double *kpt_region;      /* where this piece's keypoint values go (NULL: a vector of its own) */
    size_t kpt_region_cap;
    struct coco_parser p;
    int rc;
    int boundary_ok;
    char msg[1024];
};

/* What stands in for the text before a piece: inside the annotations list of a ground-truth object,
 * or inside a results list. */
static const char GT_PREFIX[] = "{\"annotations\":[", RESULTS_PREFIX[] = "[";

static void parse_piece(struct piece *pc, const char *path, const char *buf, int first, int is_results,
                        int skip_seg, int own_map)
{
    struct window win;
    window_init(&win, buf, pc->begin, pc->close);
    const char *prefix = is_results ? RESULTS_PREFIX : GT_PREFIX;
    struct coco_parser *p = &pc->p;
    cpose_coco_parser_init(p, path);
    if (pc->kpt_region) { /* never grows: the region holds every number the piece's bytes can hold */
        p->kpts.data = pc->kpt_region;
        p->kpts.cap = pc->kpt_region_cap;
    }
    reserve_large(p, pc->close - pc->begin);
    int rc = CPOSE_OK;
    if (!first) /* stand-in for what precedes the piece: inside the top-level annotations list */
        rc = cpose_coco_parser_feed(p, prefix, strlen(prefix), (int64_t)pc->begin - (int64_t)strlen(prefix));
    if (rc == CPOSE_OK) rc = feed_range(p, own_map ? &win : NULL, buf, pc->begin, pc->close, skip_seg);
    if (rc == CPOSE_OK && pc->last) {
        rc = cpose_coco_parser_complete(p);
        pc->boundary_ok = 1;
    } else if (rc == CPOSE_OK) {
        size_t n_before = p->anns.len;
        rc = cpose_coco_parser_feed(p, buf + pc->close, 1, (int64_t)pc->close);
        pc->boundary_ok = rc == CPOSE_OK && p->anns.len == n_before + 1 && p->st == ST_LIST && p->sec == SEC_ANNS &&
                          !p->skip && p->top_is_list == is_results;
        if (pc->boundary_ok) {
            uint64_t keys = p->n_keys;
            rc = cpose_coco_parser_feed(p, buf + pc->close + 1, pc->next - pc->close - 1, (int64_t)pc->close + 1);
            pc->boundary_ok = rc == CPOSE_OK && p->n_keys == keys && p->anns.len == n_before + 1 && p->st == ST_LIST;
        }
        if (rc != CPOSE_OK) pc->boundary_ok = 0;
    }
    if (own_map) window_finish(&win);
    pc->rc = rc;
    if (rc != CPOSE_OK) snprintf(pc->msg, sizeof pc->msg, "%s", cpose_errmsg());
}

/* Boundary after `from`: the first `}` ws* `,` ws* `{`; sets *close to the brace and *next to the
 * `{`. Returns 0 when there is none before len. */
static int find_boundary(const char *buf, size_t len, size_t from, size_t *close, size_t *next)
{
    while (from < len) {
        const char *b = memchr(buf + from, '}', len - from);
        if (!b) return 0;
        size_t i = (size_t)(b - buf) + 1;
        while (i < len && is_ws(buf[i])) i++;
        if (i < len && buf[i] == ',') {
            i++;
            while (i < len && is_ws(buf[i])) i++;
            if (i < len && buf[i] == '{') {
                *close = (size_t)(b - buf);
                *next = i;
                return 1;
            }
        }
        from = (size_t)(b - buf) + 1;
    }
    return 0;
}

/* Splits [0, len) into up to n pieces of similar size whose inner boundaries lie between two objects
 * after the first "annotations" key (ground truth) or in the top-level list (results: *is_results
 * set). Returns the number of pieces (1: no split). */
static int plan_pieces(const char *buf, size_t len, int n, struct piece *pcs, int *is_results)
{
    size_t i = 0;
    while (i < len && is_ws(buf[i])) i++;
    *is_results = i < len && buf[i] == '[';
    const char *ann = i >= len ? NULL : *is_results ? buf + i : buf[i] == '{' ? memmem(buf, len, "\"annotations\"", 13) : NULL;
    int k = 0;
    pcs[0].begin = 0;
    if (ann && n > 1) {
        size_t from = (size_t)(ann - buf);
        for (int j = 1; j < n; j++) {
            size_t target = len / (size_t)n * (size_t)j, close, next;
            if (target < from) target = from;
            if (!find_boundary(buf, len, target, &close, &next)) break;
            pcs[k].close = close;
            pcs[k].next = next;
            pcs[k].last = 0;
            pcs[++k].begin = next;
            from = next;
        }
    }
    pcs[k].close = pcs[k].next = len;
    pcs[k].last = 1;
    return k + 1;
}

/* Appends the vectors of `from` to `to`, keypoint offsets shifted by kbase; `from` is left empty.
 * copy_kpts: also append from's keypoint values to to's (else they already sit at kbase in to's
 * array, in the piece's region, and from's vector is only forgotten). */
static void append_parser(struct coco_parser *to, struct coco_parser *from, size_t kbase, int copy_kpts)
{
    to->top_keys |= from->top_keys;
    if (copy_kpts) {
        cpose_vec_reserve(&to->kpts, to->kpts.len + from->kpts.len);
        if (from->kpts.len)
            memcpy((double *)to->kpts.data + to->kpts.len, from->kpts.data, from->kpts.len * sizeof(double));
        to->kpts.len += from->kpts.len;
        cpose_vec_free(&from->kpts);
    } else {
        to->kpts.len = kbase + from->kpts.len;
        memset(&from->kpts, 0, sizeof from->kpts);
    }
    struct cpose_vec *pairs[3][2] = {{&to->images, &from->images}, {&to->anns, &from->anns}, {&to->cats, &from->cats}};
    for (int v = 0; v < 3; v++) {
        struct cpose_vec *t = pairs[v][0], *f = pairs[v][1];
        size_t at = t->len;
        cpose_vec_reserve(t, t->len + f->len);
        if (f->len) memcpy((char *)t->data + at * t->elem, f->data, f->len * f->elem);
        t->len += f->len;
        if (v == 1)
            for (size_t a = at; a < t->len; a++) CPOSE_VEC_AT(t, struct cpose_coco_ann, a).kpt_offset += kbase;
        f->len = 0; /* the strings moved with the elements */
        cpose_vec_free(f);
    }
}

/* Copies the annotations of pieces 1..n-1 behind piece 0's (whose vector has room for them all), the
 * pieces in parallel, each one's keypoint offsets shifted to where its values sit in the merged array
 * (its region of kpt_block, or behind the values of the pieces before it); the pieces' annotation
 * vectors are left empty for append_parser. */
static void gather_annotations(struct piece *pcs, int n, const double *kpt_block)
{
    size_t at[MAX_CHUNKS], kbase[MAX_CHUNKS];
    at[0] = 0, kbase[0] = 0;
    for (int j = 1; j < n; j++) {
        at[j] = at[j - 1] + pcs[j - 1].p.anns.len;
        kbase[j] = kpt_block ? (size_t)(pcs[j].kpt_region - kpt_block) : kbase[j - 1] + pcs[j - 1].p.kpts.len;
    }
    struct cpose_coco_ann *to = pcs[0].p.anns.data;
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 1; j < n; j++) {
        const struct cpose_coco_ann *from = pcs[j].p.anns.data;
        size_t count = pcs[j].p.anns.len;
        if (count) memcpy(to + at[j], from, count * sizeof *to);
        for (size_t a = 0; a < count; a++) to[at[j] + a].kpt_offset += kbase[j];
    }
    pcs[0].p.anns.len = at[n - 1] + pcs[n - 1].p.anns.len;
    for (int j = 1; j < n; j++) pcs[j].p.anns.len = 0;
}

/* One array for the keypoint values of all pieces, each piece writing into its own region of it
 * (so they need no merging): a piece of B bytes holds at most B/2 + 1 numbers (two number tokens are
 * at least a byte apart). The untouched rest of a region costs address space only, as the block is
 * mapped on its own; NULL (then each piece grows a vector and they are appended) when that address
 * space would exceed a quarter of the machine's memory. */
static double *plan_kpt_regions(struct piece *pcs, int n)
{
    size_t total = 0;
    for (int j = 0; j < n; j++) total += (pcs[j].close - pcs[j].begin) / 2 + 1;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0 || total > (size_t)pages * (size_t)page / 4 / sizeof(double)) return NULL;
    double *block = cpose_malloc(total * sizeof(double));
    size_t at = 0;
    for (int j = 0; j < n; j++) {
        pcs[j].kpt_region = block + at;
        pcs[j].kpt_region_cap = (pcs[j].close - pcs[j].begin) / 2 + 1;
        at += pcs[j].kpt_region_cap;
    }
    return block;
}

static int parse_sequential(const char *path, const char *buf, size_t len, int skip_seg, int own_map,
                            struct cpose_coco *out)
{
    struct coco_parser p;
    struct window win;
    window_init(&win, buf, 0, len);
    cpose_coco_parser_init(&p, path);
    reserve_large(&p, len);
    int rc = feed_range(&p, own_map ? &win : NULL, buf, 0, len, skip_seg);
    if (rc == CPOSE_OK) rc = cpose_coco_parser_finish(&p, out);
    cpose_coco_parser_free(&p);
    return rc;
}

/* cpose_coco_parse_opts; own_map: buf is a private read-only file mapping of this reader's, whose
 * pages may be read ahead and dropped behind the parsers (struct window). */
static int parse_impl(const char *path, const char *buf, size_t len, int n_chunks, int skip_seg, int own_map,
                      struct cpose_coco *out)
{
    memset(out, 0, sizeof *out);
    if (n_chunks > MAX_CHUNKS) n_chunks = MAX_CHUNKS;
    struct piece *pcs = cpose_calloc((size_t)(n_chunks > 1 ? n_chunks : 1), sizeof *pcs);
    int is_results = 0;
    int n = n_chunks > 1 ? plan_pieces(buf, len, n_chunks, pcs, &is_results) : 1;
    if (n == 1) {
        cpose_free(pcs);
        return parse_sequential(path, buf, len, skip_seg, own_map, out);
    }
    double *kpt_block = plan_kpt_regions(pcs, n);
    int threads = omp_get_max_threads() < n ? omp_get_max_threads() : n;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int j = 0; j < n; j++) parse_piece(&pcs[j], path, buf, j == 0, is_results, skip_seg, own_map);

    /* In file order: the first piece that failed reports its error (its start was confirmed by the
     * piece before); a boundary yajl did not confirm sends the whole document down the plain path. */
    int rc = CPOSE_OK, replan = 0;
    for (int j = 0; j < n && rc == CPOSE_OK && !replan; j++) {
        if (pcs[j].rc != CPOSE_OK) rc = cpose_err(pcs[j].rc, "%s", pcs[j].msg);
        else if (!pcs[j].boundary_ok) replan = 1;
    }
    if (rc == CPOSE_OK && !replan) {
        size_t n_kpts = 0, n_anns = 0; /* one growth of the first piece's vectors, not one per piece */
        for (int j = 0; j < n; j++) n_kpts += pcs[j].p.kpts.len, n_anns += pcs[j].p.anns.len;
        if (!kpt_block) cpose_vec_reserve(&pcs[0].p.kpts, n_kpts);
        cpose_vec_reserve(&pcs[0].p.anns, n_anns);
        gather_annotations(pcs, n, kpt_block);
        for (int j = 1; j < n; j++)
            append_parser(&pcs[0].p, &pcs[j].p,
                          kpt_block ? (size_t)(pcs[j].kpt_region - kpt_block) : pcs[0].p.kpts.len, !kpt_block);
        if (kpt_block) { /* give back the address space past the last value (no copy: the block shrinks) */
            pcs[0].p.kpts.data = cpose_realloc(kpt_block, (pcs[0].p.kpts.len ? pcs[0].p.kpts.len : 1) * sizeof(double));
            pcs[0].p.kpts.cap = pcs[0].p.kpts.len;
            kpt_block = NULL;
        }
        cpose_coco_parser_take(&pcs[0].p, out);
    }
    if (kpt_block) /* not taken: the regions belong to the block, not to the pieces' vectors */
        for (int j = 0; j < n; j++) memset(&pcs[j].p.kpts, 0, sizeof pcs[j].p.kpts);
    for (int j = 0; j < n; j++) cpose_coco_parser_free(&pcs[j].p);
    cpose_free(kpt_block);
    cpose_free(pcs);
    if (replan) return parse_sequential(path, buf, len, skip_seg, own_map, out);
    return rc;
}

int cpose_coco_parse_opts(const char *path, const char *buf, size_t len, int n_chunks, int skip_seg,
                          struct cpose_coco *out)
{
    return parse_impl(path, buf, len, n_chunks, skip_seg, 0, out);
}

/* How many pieces a document of len bytes is parsed in: several per thread, so that a thread that
 * drew a costly piece (the first holds the images list) is not left working alone at the end. */
static int parse_pieces(size_t len)
{
    int threads = omp_get_max_threads();
    if (len < PARALLEL_MIN_BYTES || threads < 2) return 1;
    return threads * PIECES_PER_THREAD < MAX_CHUNKS ? threads * PIECES_PER_THREAD : MAX_CHUNKS;
}

int cpose_coco_parse(const char *path, const char *buf, size_t len, struct cpose_coco *out)
{
    return parse_impl(path, buf, len, parse_pieces(len), 1, 0, out);
}

/* Pipes and other unmappable inputs: 1 MiB chunks straight to yajl. */
static int load_stream(const char *path, int fd, struct cpose_coco *out)
{
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return cpose_err(CPOSE_EIO, "cannot read '%s': %s", path, strerror(errno));
    }
    struct coco_parser p;
    cpose_coco_parser_init(&p, path);
    enum { CHUNK = 1 << 20 };
    char *buf = cpose_malloc(CHUNK);
    int rc = CPOSE_OK;
    size_t n;
    int64_t off = 0;
    while (rc == CPOSE_OK && (n = fread(buf, 1, CHUNK, fp)) > 0) {
        rc = cpose_coco_parser_feed(&p, buf, n, off);
        off += (int64_t)n;
    }
    if (rc == CPOSE_OK && ferror(fp)) rc = cpose_err(CPOSE_EIO, "read error on '%s'", path);
    if (rc == CPOSE_OK) rc = cpose_coco_parser_finish(&p, out);
    fclose(fp);
    cpose_free(buf);
    cpose_coco_parser_free(&p);
    return rc;
}

int cpose_coco_load(const char *path, struct cpose_coco *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cpose_err(CPOSE_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) return load_stream(path, fd, out);
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) return load_stream(path, fd, out);
    close(fd);
    int rc = parse_impl(path, map, len, parse_pieces(len), 1, 1, out);
    munmap(map, len);
    return rc;
}
