#!/usr/bin/env python3
"""tests/helpers/mini_cocoeval.py — an independent, plain-Python COCOeval of two stats, written from
pycocotools' documented semantics (REFERENCE.md "COCOeval semantics to copy exactly") so the shell
tests can check cpose's COCOeval figures by value instead of by shape:

    python3 mini_cocoeval.py GT.json RESULTS.json keypoints|bbox   → prints "AP AP50"

AP = stats[0] (IoU/OKS 0.50:0.95, area all, the largest maxDets: 20 keypoints, 100 bbox) and
AP50 = stats[1]. Only the 'all' area range is computed, which is all these two stats use.
"""
import bisect
import json
import math
import sys

SIGMAS17 = [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]


def load_results(dts):
    """loadRes: a result with a bbox keeps it (area w·h); one without gets its keypoints' extent."""
    out = []
    bbox_branch = bool(dts) and "bbox" in dts[0]
    for i, d in enumerate(dts):
        d = dict(d)
        d["id"] = i + 1
        if bbox_branch:
            d["area"] = d["bbox"][2] * d["bbox"][3]
        else:
            xs, ys = d["keypoints"][0::3], d["keypoints"][1::3]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            d["area"] = (x1 - x0) * (y1 - y0)
            d["bbox"] = [x0, y0, x1 - x0, y1 - y0]
        d["iscrowd"] = 0
        out.append(d)
    return out


def box_iou(d, g, crowd):
    dx0, dy0, dw, dh = d
    gx0, gy0, gw, gh = g
    w = min(dx0 + dw, gx0 + gw) - max(dx0, gx0)
    h = min(dy0 + dh, gy0 + gh) - max(dy0, gy0)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = dw * dh if crowd else dw * dh + gw * gh - inter
    return inter / union


def oks(d, g, sigmas):
    gk, dk = g["keypoints"], d["keypoints"]
    k = len(sigmas)
    vis = [gk[3 * j + 2] > 0 for j in range(k)]
    bx, by, bw, bh = g["bbox"]
    x0, x1, y0, y1 = bx - bw, bx + bw * 2, by - bh, by + bh * 2
    area = g["area"] + 2.220446049250313e-16
    es = []
    for j in range(k):
        if any(vis):
            if not vis[j]:
                continue
            dx, dy = dk[3 * j] - gk[3 * j], dk[3 * j + 1] - gk[3 * j + 1]
        else:
            xd, yd = dk[3 * j], dk[3 * j + 1]
            dx = max(0, x0 - xd) + max(0, xd - x1)
            dy = max(0, y0 - yd) + max(0, yd - y1)
        var = (sigmas[j] * 2) ** 2
        es.append(math.exp(-((dx * dx + dy * dy) / var / area / 2)))
    return sum(es) / len(es) if es else 0.0


def evaluate(gt, dts, iou_type):
    keypoints = iou_type == "keypoints"
    max_det = 20 if keypoints else 100
    thrs = [0.5 + 0.05 * i for i in range(10)]
    rec_thrs = [i / 100 for i in range(101)]
    img_ids = sorted(im["id"] for im in gt["images"])
    cat_ids = sorted(c["id"] for c in gt["categories"])
    nk = len(gt["categories"][0].get("keypoints", [])) if keypoints else 0
    sigmas = [s / 10 for s in SIGMAS17] if nk == 17 else [1.0 / max(nk, 1)] * nk
    gts, dtl = {}, {}
    for a in gt["annotations"]:
        gts.setdefault((a["image_id"], a["category_id"]), []).append(a)
    for d in dts:
        dtl.setdefault((d["image_id"], d["category_id"]), []).append(d)
    # precision[t][k] over recall thresholds, -1 where a category has no GT
    ap = {t: [] for t in range(len(thrs))}
    for cat in cat_ids:
        items, npig = [], 0  # (score, code per threshold) for every kept detection of every image
        for img in img_ids:
            g = gts.get((img, cat), [])
            d = dtl.get((img, cat), [])
            ig = [1 if (a.get("iscrowd", 0) or (keypoints and a["num_keypoints"] == 0)) else 0 for a in g]
            order = sorted(range(len(g)), key=lambda j: ig[j])  # stable: non-ignored first
            g = [g[j] for j in order]
            ig = [ig[j] for j in order]
            npig += ig.count(0)
            d = sorted(d, key=lambda x: -x["score"])[:max_det]  # stable, like np.argsort(kind='mergesort')
            crowd = [a.get("iscrowd", 0) for a in g]
            ious = [[(oks(x, a, sigmas) if keypoints else box_iou(x["bbox"], a["bbox"], crowd[j]))
                     for j, a in enumerate(g)] for x in d]
            codes = [[0] * len(thrs) for _ in d]  # 0 false positive, 1 true positive, 2 ignored
            for t, thr in enumerate(thrs):
                used = [False] * len(g)
                for i in range(len(d)):
                    best, m = min(thr, 1 - 1e-10), -1
                    for j in range(len(g)):
                        if used[j] and not crowd[j]:
                            continue
                        if m > -1 and ig[m] == 0 and ig[j] == 1:
                            break
                        if ious[i][j] < best:
                            continue
                        best, m = ious[i][j], j
                    if m == -1:
                        continue
                    used[m] = True
                    codes[i][t] = 2 if ig[m] else (1 if g[m].get("id", 0) != 0 else 0)
            items += [(x["score"], codes[i]) for i, x in enumerate(d)]
        if npig == 0:
            continue
        items.sort(key=lambda it: -it[0])  # stable
        for t in range(len(thrs)):
            tp = fp = 0
            rc, pr = [], []
            for _, code in items:
                c = code[t]
                if c == 2:
                    continue
                tp += c == 1
                fp += c == 0
                rc.append(tp / npig)
                pr.append(tp / (fp + tp + 2.220446049250313e-16))
            for i in range(len(pr) - 1, 0, -1):
                if pr[i] > pr[i - 1]:
                    pr[i - 1] = pr[i]
            q = []
            for r in rec_thrs:
                i = bisect.bisect_left(rc, r)
                q.append(pr[i] if i < len(pr) else 0.0)
            ap[t].append(q)
    flat = [v for t in ap for q in ap[t] for v in q]
    flat50 = [v for q in ap[0] for v in q]
    mean = lambda v: sum(v) / len(v) if v else -1.0
    return mean(flat), mean(flat50)


def main():
    gt = json.load(open(sys.argv[1]))
    dts = load_results(json.load(open(sys.argv[2])))
    a, a50 = evaluate(gt, dts, sys.argv[3])
    print("%.12f %.12f" % (a, a50))


if __name__ == "__main__":
    main()
