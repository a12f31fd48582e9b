#!/usr/bin/python3
"""scripts/tflite_map.py — COCO results JSON of a pose .tflite run in ArmNN's reference backend, for mAP.

For every image of a folder (sorted by name): Ultralytics' LetterBox to a fixed IMGSZ square
(r = min(s/h, s/w), linear resize when r != 1, pad 114 split evenly), BGR → RGB, /255, NHWC float32;
the network runs in ArmNN 22's TfLite parser on CpuRef (python3-pyarmnn; parsed and loaded once,
then one EnqueueWorkload per image); the [1, 56, A] output is decoded (rows x y w h score, then
17 × x y visibility), filtered at conf > 0.001, class-agnostic greedy NMS at IoU 0.7, at most 300
rows (Ultralytics' val settings), mapped back to the original pixels through the letterbox's scale
and integer offsets (clipped to the image), and written as a COCO results list
{image_id, category_id 1, bbox [x, y, w, h], keypoints [x, y, v] × 17, score}; image_id is the GT
JSON's id of the image's file name. The evaluation itself is `cpose eval iou_type=both`.

Coordinates: cpose's .tflite files (and Ultralytics ≥ 8.3) hold box and keypoint x, y normalised
by the input size; cpose's forward and Ultralytics' other formats hold pixels. --coords auto
(the default) decides from the first image (all |x|, |y| of the box rows ≤ 2 → normalised) and
prints the decision; --coords norm / px force it.

The same letterbox and post-processing can be applied to another engine's raw output, so that
a comparison differs only in the network:
  --dump-input IN.h5   also write the letterboxed images as HDF5 'input' [N, 3, S, S] (RGB, /255,
                       python3-h5py) for `cpose forward model=W.h5 input=IN.h5 output=OUT.h5`
  --pred-h5 OUT.h5     take the outputs from that file's 'pred' [N, 56, A] (one row per image, in
                       the same image order) instead of running a .tflite (MODEL is then -)
MODEL - with --dump-input alone writes the inputs and nothing else.

Usage:
  /usr/bin/python3 scripts/tflite_map.py MODEL.tflite IMAGES_DIR GT.json OUT.json
        [--imgsz 256] [--limit N] [--gt-out GT_SUBSET.json] [--coords auto|norm|px]
        [--conf 0.001] [--iou 0.7] [--max-det 300] [--dump-input IN.h5] [--pred-h5 OUT.h5]
        [--save-raw RAW.npy]
  then: cpose eval gt=GT.json pred=OUT.json iou_type=both
--limit N keeps the first N images; --gt-out then writes the GT JSON restricted to them (evaluate
against that one, or the images left out count as missed). A float16 .tflite must first have its
FLOAT16 constants expanded (ArmNN 22 wants constant conv weights):
  /usr/bin/python3 tests/helpers/tflite_check.py dequantize tests/helpers/tflite_excerpt.fbs F16 F32
Exits 1 with a message on errors (a missing package, an unreadable image, a wrong output shape)."""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import cv2
except ImportError as e:
    sys.exit(f"tflite_map: OpenCV for Python is missing ({e}): apt-get install python3-opencv")

PAD_VALUE = 114
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def letterbox(img, s):
    """img BGR HxWx3 uint8 → (s×s BGR image, r, left, top): scale to fit, pad the rest with 114 evenly
    (the -0.1/+0.1 before rounding puts an odd leftover pixel on the right/bottom, as LetterBox)."""
    h, w = img.shape[:2]
    r = min(s / h, s / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    if (nw, nh) != (w, h):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    dw, dh = (s - nw) / 2, (s - nh) / 2
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    assert img.shape[:2] == (s, s), img.shape
    return img, r, left, top


def to_input(lb):
    """Letterboxed BGR uint8 → RGB float32 in [0, 1], H×W×3."""
    return np.ascontiguousarray(lb[:, :, ::-1], dtype=np.float32) / 255.0


def nms(boxes, scores, iou_thr):
    """Greedy NMS over xyxy boxes in descending score order; a box is dropped when its IoU with a kept
    one exceeds iou_thr. Returns the kept indices, best first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1) * (y2 - y1)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        iw = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        ih = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = iw * ih
        iou = inter / (area[i] + area[rest] - inter + 1e-12)
        order = rest[iou <= iou_thr]
    return np.asarray(keep, dtype=np.int64)


def decode(out, s, normalised, conf, iou, max_det):
    """out [56, A] → rows [n, 56] (x1 y1 x2 y2 score, 17 × x y v) in letterboxed pixels, best first."""
    p = out.T.astype(np.float64)
    p = p[p[:, 4] > conf]
    if normalised:
        p[:, [0, 1, 2, 3]] *= s  # square input: w and h scale alike
        p[:, 5::3] *= s
        p[:, 6::3] *= s
    xy, wh = p[:, 0:2].copy(), p[:, 2:4].copy()
    p[:, 0:2] = xy - wh / 2
    p[:, 2:4] = xy + wh / 2
    p = p[np.argsort(-p[:, 4], kind="stable")[:30000]]  # Ultralytics' max_nms
    keep = nms(p[:, :4], p[:, 4], iou)[:max_det]
    return p[keep]


def to_original(rows, r, left, top, w, h):
    """Letterbox pixels → original pixels, clipped to the image (boxes and keypoints alike)."""
    rows = rows.copy()
    for cols, off, lim in (([0, 2], left, w), ([1, 3], top, h)):
        rows[:, cols] = np.clip((rows[:, cols] - off) / r, 0, lim)
    rows[:, 5::3] = np.clip((rows[:, 5::3] - left) / r, 0, w)
    rows[:, 6::3] = np.clip((rows[:, 6::3] - top) / r, 0, h)
    return rows


def coco_rows(rows, image_id):
    res = []
    for p in rows:
        kp = []
        for k in range(5, p.shape[0], 3):
            kp += [round(float(p[k]), 3), round(float(p[k + 1]), 3), round(float(p[k + 2]), 5)]
        x1, y1, x2, y2 = (float(v) for v in p[:4])
        res.append({"image_id": image_id, "category_id": 1,
                    "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
                    "keypoints": kp, "score": round(float(p[4]), 5)})
    return res


def write_inputs(path, chw):
    """The letterboxed inputs as HDF5 'input' [N, 3, S, S] float32, cpose forward's input=."""
    import h5py
    x = np.stack(chw).astype(np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("input", data=x)
    print(f"tflite_map: inputs {list(x.shape)} → {path}")


class ArmnnNet:
    """A .tflite parsed and loaded once on CpuRef; run(x) takes [1, S, S, 3] float32, returns [56, A]."""

    def __init__(self, path):
        try:
            import pyarmnn as ann
        except ImportError as e:
            sys.exit(f"tflite_map: pyarmnn is missing ({e}): apt-get install python3-pyarmnn "
                     "libarmnntfliteparser22 libarmnn-cpuref-backend22")
        self.ann = ann
        parser = ann.ITfLiteParser()
        network = parser.CreateNetworkFromBinaryFile(path)
        in_name = parser.GetSubgraphInputTensorNames(0)[0]
        out_name = parser.GetSubgraphOutputTensorNames(0)[0]
        self.in_binding = parser.GetNetworkInputBindingInfo(0, in_name)
        self.out_binding = parser.GetNetworkOutputBindingInfo(0, out_name)
        info = self.in_binding[1]
        self.in_shape = tuple(info.GetShape()[i] for i in range(info.GetNumDimensions()))
        self.runtime = ann.IRuntime(ann.CreationOptions())
        opt, _ = ann.Optimize(network, [ann.BackendId("CpuRef")], self.runtime.GetDeviceSpec(),
                              ann.OptimizerOptions())
        self.net_id, _ = self.runtime.LoadNetwork(opt)
        self.outputs = ann.make_output_tensors([self.out_binding])

    def run(self, x):
        if x.shape != self.in_shape:
            sys.exit(f"tflite_map: input {x.shape} but the model takes {self.in_shape} (check --imgsz)")
        inputs = self.ann.make_input_tensors([self.in_binding], [x])
        self.runtime.EnqueueWorkload(self.net_id, inputs, self.outputs)
        y = self.ann.workload_tensors_to_ndarray(self.outputs)[0]
        return np.asarray(y, dtype=np.float32).reshape(y.shape[-2], y.shape[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help=".tflite file, or - with --pred-h5")
    ap.add_argument("images")
    ap.add_argument("gt", help="COCO keypoints GT JSON (image ids by file_name)")
    ap.add_argument("out", help="COCO results JSON to write")
    ap.add_argument("--imgsz", type=int, default=256)
    ap.add_argument("--limit", type=int, default=0, help="first N images only (0: all)")
    ap.add_argument("--gt-out", help="write the GT JSON restricted to the images used")
    ap.add_argument("--coords", choices=("auto", "norm", "px"), default="auto")
    ap.add_argument("--conf", type=float, default=0.001)
    ap.add_argument("--iou", type=float, default=0.7)
    ap.add_argument("--max-det", type=int, default=300)
    ap.add_argument("--dump-input", help="write the letterboxed inputs as HDF5 'input' [N,3,S,S]")
    ap.add_argument("--pred-h5", help="read outputs from this HDF5 'pred' [N,56,A] instead of a .tflite")
    ap.add_argument("--save-raw", help="also save the raw outputs [N,56,A] float32 as .npy (as the model wrote them)")
    a = ap.parse_args()

    with open(a.gt) as f:
        gt = json.load(f)
    ids = {im["file_name"]: im["id"] for im in gt["images"]}
    files = sorted(n for n in os.listdir(a.images) if n.lower().endswith(IMAGE_EXT))
    missing = [n for n in files if n not in ids]
    if missing:
        print(f"tflite_map: {len(missing)} images not in {a.gt} skipped (e.g. {missing[0]})", file=sys.stderr)
    files = [n for n in files if n in ids]
    if a.limit > 0:
        files = files[:a.limit]
    if not files:
        sys.exit(f"tflite_map: no image of {a.images} is in {a.gt}")

    pred = net = None
    if a.pred_h5:
        import h5py
        with h5py.File(a.pred_h5, "r") as f:
            pred = np.asarray(f["pred"], dtype=np.float32)
        if pred.shape[0] != len(files) or pred.ndim != 3:
            sys.exit(f"tflite_map: {a.pred_h5} pred {pred.shape}, want [{len(files)}, C, A]")
        source = a.pred_h5
    elif a.model == "-":
        if not a.dump_input:
            sys.exit("tflite_map: MODEL - needs --pred-h5 (outputs to decode) or --dump-input (inputs only)")
        source = "no model: writing the inputs only"
    else:
        t0 = time.time()
        net = ArmnnNet(a.model)
        source = f"{a.model} (ArmNN CpuRef, loaded in {time.time() - t0:.1f} s)"
    print(f"tflite_map: {len(files)} images, imgsz {a.imgsz}, {source}")

    results, dumped, raw, normalised = [], [], [], None
    t_run, n_rows = 0.0, 0
    for k, name in enumerate(files):
        img = cv2.imread(os.path.join(a.images, name), cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f"tflite_map: cannot read {name}")
        h, w = img.shape[:2]
        lb, r, left, top = letterbox(img, a.imgsz)
        x = to_input(lb)
        if a.dump_input:
            dumped.append(x.transpose(2, 0, 1))
        if pred is not None:
            out = pred[k]
        elif net is None:
            continue
        else:
            t0 = time.time()
            out = net.run(x[None])
            t_run += time.time() - t0
        if out.shape[0] != 56:
            sys.exit(f"tflite_map: output {out.shape}, want [56, A] (17 keypoints, one class)")
        if a.save_raw:
            raw.append(out)
        if normalised is None:
            normalised = (a.coords == "norm" or
                          (a.coords == "auto" and float(np.abs(out[0:4]).max()) <= 2.0))
            print(f"tflite_map: coordinates {'normalised by imgsz' if normalised else 'in pixels'}"
                  f" ({'from the first output' if a.coords == 'auto' else '--coords'})")
        rows = to_original(decode(out, a.imgsz, normalised, a.conf, a.iou, a.max_det), r, left, top, w, h)
        n_rows += len(rows)
        results += coco_rows(rows, ids[name])
        if net is not None:
            print(f"  {k + 1}/{len(files)} {name} {w}x{h}: {len(rows)} rows, {t_run / (k + 1):.2f} s/image",
                  flush=True)

    if a.gt_out:
        keep = {ids[n] for n in files}
        sub = dict(gt)
        sub["images"] = [im for im in gt["images"] if im["id"] in keep]
        sub["annotations"] = [an for an in gt["annotations"] if an["image_id"] in keep]
        with open(a.gt_out, "w") as f:
            json.dump(sub, f)
        print(f"tflite_map: GT of the {len(keep)} images → {a.gt_out}")
    if a.dump_input:
        write_inputs(a.dump_input, dumped)
    if a.save_raw and raw:
        np.save(a.save_raw, np.stack(raw))
        print(f"tflite_map: raw outputs {list(np.shape(raw))} → {a.save_raw}")
    if pred is None and net is None:
        return
    with open(a.out, "w") as f:
        json.dump(results, f)
    print(f"tflite_map: {n_rows} detections ({n_rows / len(files):.1f}/image) → {a.out}"
          + (f"; inference {t_run:.1f} s, {t_run / len(files):.2f} s/image" if net is not None else ""))


if __name__ == "__main__":
    main()
