/* tests/test_cocoeval_ref.c — the optimised COCOeval (bucketed, parallel, one global sort per
 * category) against a deliberately literal transcription of pycocotools' evaluateImg/accumulate
 * loops, on random problems with several categories, crowds, all area ranges, more results per
 * image than maxDets and many tied scores, for bbox (IoU recomputed here) and keypoints (OKS taken
 * from the evaluation's own matrices, which test_cocoeval checks against pycocotools). Precision and
 * recall tables must agree exactly. */
/* cpose-layer: eval */
#include "core/base/alloc.h"
#include "eval/cocoeval.h"
#include "tests/testlib.h"

#define NIMG 40
#define NCAT 3
#define T 10
#define R 101

static unsigned rng = 2024;
static double rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return ((rng >> 8) & 0xffff) / 65536.0;
}

struct obj {
    double box[4], area, score;
    int img, cat, crowd, nokp; /* nokp: num_keypoints == 0 */
    long id;
};

static double iou1(const double *d, const double *g, int crowd)
{
    double w = fmin(d[0] + d[2], g[0] + g[2]) - fmax(d[0], g[0]);
    double h = fmin(d[1] + d[3], g[1] + g[3]) - fmax(d[1], g[1]);
    if (w <= 0 || h <= 0) return 0;
    double i = w * h, u = crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - i;
    return i / u;
}

/* evaluateImg result for one (image, category, area). */
struct eimg {
    int valid, D, G;
    double score[200];
    long dtm[T][200];
    int dtig[T][200];
    int gtig[64];
};

static void evaluate_img(const struct obj *gts, int ng, const struct obj *dts, int nd, int img, int cat,
                         const double *rng_a, int maxdet, const double *thr, const struct cpose_cocoeval *ev,
                         int kpts, struct eimg *e)
{
    const struct obj *g[64], *d[200];
    int rows = 0, cols = 0;
    const double *mat = kpts ? cpose_cocoeval_ious(ev, img, cat, &rows, &cols) : NULL;
    int G = 0, D = 0;
    for (int i = 0; i < ng; i++)
        if (gts[i].img == img && gts[i].cat == cat) g[G++] = &gts[i];
    for (int i = 0; i < nd; i++)
        if (dts[i].img == img && dts[i].cat == cat) d[D++] = &dts[i];
    e->valid = G || D;
    if (!e->valid) return;
    int ig[64];
    for (int i = 0; i < G; i++)
        ig[i] = g[i]->crowd || (kpts && g[i]->nokp) || g[i]->area < rng_a[0] || g[i]->area > rng_a[1];
    /* gt sorted by ignore (stable), dt by score (stable), cut */
    const struct obj *gs[64];
    int gi_s[64], gorig[64], n = 0;
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < G; i++)
            if (ig[i] == v) { gs[n] = g[i]; gi_s[n] = v; gorig[n] = i; n++; }
    for (int i = 1; i < D; i++)
        for (int j = i; j > 0 && d[j]->score > d[j - 1]->score; j--) {
            const struct obj *t = d[j]; d[j] = d[j - 1]; d[j - 1] = t;
        }
    if (D > maxdet) D = maxdet;
    e->D = D;
    e->G = G;
    for (int i = 0; i < G; i++) e->gtig[i] = gi_s[i];
    for (int i = 0; i < D; i++) e->score[i] = d[i]->score;
    for (int t = 0; t < T; t++) {
        long gtm[64] = {0};
        for (int di = 0; di < D; di++) {
            double iou = fmin(thr[t], 1 - 1e-10);
            int m = -1;
            for (int gi = 0; gi < G; gi++) {
                if (gtm[gi] > 0 && !gs[gi]->crowd) continue;
                if (m > -1 && gi_s[m] == 0 && gi_s[gi] == 1) break;
                double v = kpts ? (mat && rows == D && cols == G ? mat[di * G + gorig[gi]] : -1)
                                : iou1(d[di]->box, gs[gi]->box, gs[gi]->crowd);
                if (v < iou) continue;
                iou = v;
                m = gi;
            }
            e->dtm[t][di] = 0;
            e->dtig[t][di] = 0;
            if (m == -1) continue;
            e->dtig[t][di] = gi_s[m];
            e->dtm[t][di] = gs[m]->id;
            gtm[m] = d[di]->id;
        }
        for (int di = 0; di < D; di++) {
            int out = d[di]->area < rng_a[0] || d[di]->area > rng_a[1];
            e->dtig[t][di] = e->dtig[t][di] || (e->dtm[t][di] == 0 && out);
        }
    }
}

/* 17 keypoints on a grid inside box (visible) or all zero. */
static void grid_kpts(double *k, const double *box, int visible)
{
    for (int j = 0; j < 17; j++) {
        k[3 * j] = visible ? box[0] + box[2] * (j % 4) / 3.0 : 0;
        k[3 * j + 1] = visible ? box[1] + box[3] * (j / 4) / 4.0 : 0;
        k[3 * j + 2] = visible ? 2 : 0;
    }
}

static void run_case(int seed, int kpts)
{
    rng = (unsigned)seed;
    struct cpose_coco gt, dt;
    memset(&gt, 0, sizeof gt);
    memset(&dt, 0, sizeof dt);
    gt.n_images = NIMG;
    gt.images = cpose_calloc(NIMG, sizeof *gt.images);
    for (int i = 0; i < NIMG; i++) { gt.images[i].id = 100 - i; gt.images[i].has_id = 1; } /* unsorted ids */
    gt.n_categories = NCAT;
    gt.categories = cpose_calloc(NCAT, sizeof *gt.categories);
    for (int k = 0; k < NCAT; k++) gt.categories[k].id = 7 * (NCAT - k);
    struct obj *go = cpose_calloc(NIMG * 6, sizeof *go), *dob = cpose_calloc(NIMG * 150, sizeof *dob);
    int ng = 0, nd = 0;
    for (int i = 0; i < NIMG; i++) {
        int n = (int)(rnd() * 6);
        for (int j = 0; j < n; j++) {
            struct obj *o = &go[ng];
            double s = rnd() < 0.3 ? 20 : rnd() < 0.5 ? 60 : 200;
            o->box[0] = rnd() * 300; o->box[1] = rnd() * 300;
            o->box[2] = 5 + rnd() * s; o->box[3] = 5 + rnd() * s;
            o->area = o->box[2] * o->box[3] * (0.5 + rnd() * 0.5);
            o->img = 100 - i;
            o->cat = 7 * (1 + (int)(rnd() * NCAT));
            o->crowd = rnd() < 0.08;
            o->nokp = rnd() < 0.15;
            o->id = ng + 1;
            ng++;
        }
        int m = (int)(rnd() * (i % 5 == 0 ? 140 : 30));
        for (int j = 0; j < m; j++) {
            struct obj *o = &dob[nd];
            if (n && rnd() < 0.6) {
                const struct obj *g = &go[ng - 1 - (int)(rnd() * n)];
                for (int q = 0; q < 4; q++) o->box[q] = g->box[q] + (rnd() - 0.5) * (kpts ? 0.08 : 0.3) * g->box[2 + (q & 1)];
                o->cat = rnd() < 0.85 ? g->cat : 7 * (1 + (int)(rnd() * NCAT));
            } else {
                o->box[0] = rnd() * 300; o->box[1] = rnd() * 300;
                o->box[2] = 5 + rnd() * 150; o->box[3] = 5 + rnd() * 150;
                o->cat = 7 * (1 + (int)(rnd() * NCAT));
            }
            if (o->box[2] < 1) o->box[2] = 1;
            if (o->box[3] < 1) o->box[3] = 1;
            o->area = o->box[2] * o->box[3];
            o->score = (int)(rnd() * 25) / 25.0;
            o->img = 100 - i;
            o->id = nd + 1;
            nd++;
        }
    }
    gt.n_anns = (size_t)ng;
    gt.anns = cpose_calloc((size_t)ng + 1, sizeof *gt.anns);
    gt.kpt_values = cpose_calloc(((size_t)ng + 1) * 51, sizeof(double));
    dt.kpt_values = cpose_calloc(((size_t)nd + 1) * 51, sizeof(double));
    for (int i = 0; i < ng; i++) {
        struct cpose_coco_ann *a = &gt.anns[i];
        a->id = go[i].id; a->image_id = go[i].img; a->category_id = go[i].cat; a->iscrowd = go[i].crowd;
        a->area = go[i].area; memcpy(a->bbox, go[i].box, sizeof a->bbox);
        a->has_id = a->has_image_id = a->has_category_id = a->has_bbox = a->has_area = a->has_iscrowd = 1;
        a->num_keypoints = go[i].nokp ? 0 : 17;
        a->has_keypoints = 1;
        a->n_kpt_values = 51;
        a->kpt_offset = (size_t)i * 51;
        grid_kpts(gt.kpt_values + a->kpt_offset, go[i].box, !go[i].nokp);
    }
    dt.is_results = 1;
    dt.n_anns = (size_t)nd;
    dt.anns = cpose_calloc((size_t)nd + 1, sizeof *dt.anns);
    for (int i = 0; i < nd; i++) {
        struct cpose_coco_ann *a = &dt.anns[i];
        a->image_id = dob[i].img; a->category_id = dob[i].cat; a->score = dob[i].score;
        memcpy(a->bbox, dob[i].box, sizeof a->bbox);
        a->has_image_id = a->has_category_id = a->has_bbox = a->has_score = a->has_keypoints = 1;
        a->n_kpt_values = 51;
        a->kpt_offset = (size_t)i * 51;
        grid_kpts(dt.kpt_values + a->kpt_offset, dob[i].box, 1);
    }
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, kpts ? CPOSE_IOU_KEYPOINTS : CPOSE_IOU_BBOX);
    struct cpose_cocoeval e;
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_OK);

    /* the literal version */
    int img_ids[NIMG], cat_ids[NCAT];
    for (int i = 0; i < NIMG; i++) img_ids[i] = 100 - (NIMG - 1) + i; /* sorted */
    for (int k = 0; k < NCAT; k++) cat_ids[k] = 7 * (k + 1);
    static struct eimg ev[NCAT][4][NIMG];
    int bad = 0, A = p.n_area, M = p.n_max_dets;
    double rec_thr[R];
    for (int r = 0; r < R; r++) rec_thr[r] = e.rec_thrs[r];
    for (int k = 0; k < NCAT; k++)
        for (int a = 0; a < A; a++)
            for (int i = 0; i < NIMG; i++)
                evaluate_img(go, ng, dob, nd, img_ids[i], cat_ids[k], p.area_rng[a], p.max_dets[M - 1], p.iou_thrs, &e,
                             kpts, &ev[k][a][i]);
    double *sc = cpose_malloc(NIMG * 200 * sizeof *sc);
    int *src = cpose_malloc(NIMG * 200 * 2 * sizeof *src), *ord = cpose_malloc(NIMG * 200 * sizeof *ord);
    double *tpc = cpose_malloc(NIMG * 200 * sizeof *tpc), *fpc = cpose_malloc(NIMG * 200 * sizeof *fpc);
    for (int k = 0; k < NCAT; k++)
        for (int a = 0; a < A; a++)
            for (int m = 0; m < M; m++) {
                int maxdet = p.max_dets[m], n = 0, npig = 0, any = 0;
                for (int i = 0; i < NIMG; i++) {
                    struct eimg *x = &ev[k][a][i];
                    if (!x->valid) continue;
                    any = 1;
                    for (int j = 0; j < x->D && j < maxdet; j++) { sc[n] = x->score[j]; src[2 * n] = i; src[2 * n + 1] = j; n++; }
                    for (int g = 0; g < x->G; g++) npig += x->gtig[g] == 0;
                }
                for (int j = 0; j < n; j++) ord[j] = j;
                for (int j = 1; j < n; j++) /* stable insertion sort by -score */
                    for (int q = j; q > 0 && sc[ord[q]] > sc[ord[q - 1]]; q--) { int t = ord[q]; ord[q] = ord[q - 1]; ord[q - 1] = t; }
                for (int t = 0; t < T; t++) {
                    double rec_want = -1, prec_want[R];
                    for (int r = 0; r < R; r++) prec_want[r] = -1;
                    if (any && npig) {
                        double tp = 0, fp = 0;
                        for (int j = 0; j < n; j++) {
                            const struct eimg *x = &ev[k][a][src[2 * ord[j]]];
                            int q = src[2 * ord[j] + 1];
                            int ign = x->dtig[t][q];
                            if (x->dtm[t][q] && !ign) tp += 1;
                            if (!x->dtm[t][q] && !ign) fp += 1;
                            tpc[j] = tp / npig;
                            fpc[j] = tp / (fp + tp + 2.220446049250313e-16);
                        }
                        rec_want = n ? tpc[n - 1] : 0;
                        for (int j = n - 1; j > 0; j--)
                            if (fpc[j] > fpc[j - 1]) fpc[j - 1] = fpc[j];
                        for (int r = 0; r < R; r++) {
                            int pi = 0;
                            while (pi < n && tpc[pi] < rec_thr[r]) pi++;
                            prec_want[r] = pi < n ? fpc[pi] : 0;
                        }
                    }
                    if (e.recall[(((size_t)t * NCAT + k) * A + a) * M + m] != rec_want) bad++;
                    for (int r = 0; r < R; r++)
                        if (e.precision[((((size_t)t * R + r) * NCAT + k) * A + a) * M + m] != prec_want[r]) bad++;
                }
            }
    CHECK_MSG(bad == 0, "seed %d: %d table entries differ from the literal transcription", seed, bad);
    CHECK_MSG(e.stats[0] > 0.05 && e.stats[0] < 0.95, "seed %d: AP %g", seed, e.stats[0]); /* a non-trivial problem */
    cpose_free(sc);
    cpose_free(src);
    cpose_free(ord);
    cpose_free(tpc);
    cpose_free(fpc);
    cpose_free(go);
    cpose_free(dob);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

int main(void)
{
    for (int s = 1; s <= 4; s++) run_case(s, 0);
    for (int s = 5; s <= 8; s++) run_case(s, 1);
    return tl_finish();
}
