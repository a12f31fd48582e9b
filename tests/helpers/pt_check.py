"""tests/helpers/pt_check.py PT PARAMS_TXT PARAMS_BIN DTYPE [IN_RAW REF_RAW H W] — checks a .pt that
cpose's pytorch exporter wrote, with python3-torch's torch.load and the stand-in Ultralytics classes
of pt_standins.py (classes without code of their own: everything comes from the file).

1. The checkpoint dict: keys, train_args (the YAML the C test gave the model, as Python values),
   ema/optimizer None, epoch -1.
2. state_dict() keys, shapes and values equal cpose's own parameters (PARAMS_TXT: "name<TAB>dims
   <TAB>offset" into PARAMS_BIN float32), exactly for float32, rounded by numpy to float16 for
   DTYPE=f16; num_batches_tracked int64.
3. Every attribute Ultralytics 8.1's BaseModel._predict_once, fuse() and the module forwards read
   is in each module's __dict__ (the stand-ins have no class attributes to fall back on).
4. With IN_RAW/REF_RAW: a forward written here from the YOLOv8-pose architecture (Conv = act(bn(
   conv)), C2f, Bottleneck, SPPF, Concat, Upsample, the Pose decode with DFL), driven only by the
   unpickled attributes (f, i, save, add, c, d, nl, reg_max, nc, kpt_shape, stride, the DFL conv's
   weights), compared with cpose's forward (REF_RAW, [1, 56, A]) within 1e-2 px / 1e-4.
Exit 0 when all hold."""
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import pt_standins  # noqa: E402

C = pt_standins.install()
bad = []


def need(m, names, where):
    for n in names:
        if n not in m.__dict__ and n not in m._modules and n not in m._parameters and n not in m._buffers:
            bad.append("%s (%s) has no %s" % (where, type(m).__name__, n))


ck = pt_standins.load(sys.argv[1])
want_keys = ["epoch", "best_fitness", "model", "ema", "updates", "optimizer", "train_args", "date", "version",
             "license", "docs"]
if list(ck) != want_keys:
    bad.append("checkpoint keys %r" % list(ck))
if ck.get("ema") is not None or ck.get("optimizer") is not None or ck.get("epoch") != -1:
    bad.append("ema/optimizer/epoch: %r %r %r" % (ck.get("ema"), ck.get("optimizer"), ck.get("epoch")))
want_args = {"task": "pose", "imgsz": 320, "lr0": 0.01, "name": "run1", "cache": False, "classes": None,
             "data": "synth-pose.yaml", "mosaic": 1.0, "quoted": "True"}
if ck.get("train_args") != want_args:
    bad.append("train_args %r" % (ck.get("train_args"),))
model = ck["model"]
if type(model) is not C["PoseModel"]:
    bad.append("model is %r" % type(model))

# 2. the state_dict against cpose's parameters
dtype = sys.argv[4]
blob = np.fromfile(sys.argv[3], dtype=np.float32)
sd = model.state_dict()
names = []
for line in open(sys.argv[2]):
    name, dims, off = line.rstrip("\n").split("\t")
    names.append(name)
    shape = [int(d) for d in dims.split(",") if d]
    n = int(np.prod(shape)) if shape else 1
    want = blob[int(off):int(off) + n].reshape(shape)
    t = sd.get(name)
    if t is None:
        bad.append("state_dict has no %s" % name)
        continue
    if list(t.shape) != shape:
        bad.append("%s: shape %s, cpose %s" % (name, list(t.shape), shape))
        continue
    if name.endswith("num_batches_tracked"):
        ok = t.dtype == torch.int64 and int(t) == int(round(float(want)))
    elif dtype == "f16":
        ok = t.dtype == torch.float16 and np.array_equal(t.numpy(), want.astype(np.float16))
    else:
        ok = t.dtype == torch.float32 and np.array_equal(t.numpy(), want)
    if not ok:
        bad.append("%s: values or dtype (%s) differ" % (name, t.dtype))
if sorted(sd) != sorted(names):
    bad.append("state_dict keys differ: extra %s, missing %s" % (sorted(set(sd) - set(names))[:5],
                                                                sorted(set(names) - set(sd))[:5]))

# 3. the attributes Ultralytics reads (instance attributes: the stand-ins have none of their own)
need(model, ["model", "save", "stride", "names", "yaml", "nc", "kpt_shape", "args"], "model")
if model.yaml.get("head", [[None]])[-1][-2] != "Pose" or model.yaml.get("ch") != 3:
    bad.append("yaml: %r" % ({k: model.yaml.get(k) for k in ("head", "ch")},))
if model.names != {0: "person"}:
    bad.append("names %r" % model.names)
layer_attrs = ["f", "i", "type"]
for i, m in enumerate(model.model):
    need(m, layer_attrs, "model.%d" % i)
    if m.i != i:
        bad.append("model.%d has i=%r" % (i, m.i))
for name, m in model.named_modules():
    cls = type(m).__name__
    attrs = {"Conv": ["conv", "bn", "act"], "C2f": ["c", "cv1", "cv2", "m"], "Bottleneck": ["cv1", "cv2", "add"],
             "SPPF": ["cv1", "cv2", "m"], "Concat": ["d"], "DFL": ["conv", "c1"],
             "Pose": ["nc", "nl", "reg_max", "no", "stride", "cv2", "cv3", "dfl", "kpt_shape", "nk", "cv4", "detect"],
             "Conv2d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                        "padding_mode", "weight", "bias", "transposed", "output_padding",
                        "_reversed_padding_repeated_twice"],
             "BatchNorm2d": ["num_features", "eps", "momentum", "affine", "track_running_stats", "weight", "bias",
                             "running_mean", "running_var", "num_batches_tracked"],
             "Upsample": ["scale_factor", "mode", "size", "align_corners", "recompute_scale_factor"],
             "MaxPool2d": ["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
             "SiLU": ["inplace"]}.get(cls, [])
    need(m, attrs + ["training", "_forward_hooks", "_forward_pre_hooks", "_backward_hooks"], name or "model")
    if cls == "Conv":
        if m.conv.bias is not None or abs(m.bn.eps - 1e-3) > 1e-12:
            bad.append("%s: Conv2d bias %r, BN eps %r (Ultralytics: no bias, 1e-3)" % (name, m.conv.bias, m.bn.eps))

# 4. an independent forward through the unpickled tree
def conv(m, x):
    return m.act(m.bn(m.conv(x)))


def c2f(m, x):
    y = list(conv(m.cv1, x).chunk(2, 1))
    for b in m.m:
        h = conv(b.cv2, conv(b.cv1, y[-1]))
        y.append(y[-1] + h if b.add else h)
    return conv(m.cv2, torch.cat(y, 1))


def sppf(m, x):
    x = conv(m.cv1, x)
    y1 = m.m(x)
    y2 = m.m(y1)
    return conv(m.cv2, torch.cat([x, y1, y2, m.m(y2)], 1))


def seq(s, x):
    return s[2](conv(s[1], conv(s[0], x)))


def pose(m, xs):
    b = xs[0].shape[0]
    boxes, clss, kpts, anchors, strides = [], [], [], [], []
    for i in range(m.nl):
        h, w = xs[i].shape[2:]
        boxes.append(seq(m.cv2[i], xs[i]).view(b, 4 * m.reg_max, -1))
        clss.append(seq(m.cv3[i], xs[i]).view(b, m.nc, -1))
        kpts.append(seq(m.cv4[i], xs[i]).view(b, m.nk, -1))
        yy, xx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
        anchors.append(torch.stack([xx.flatten(), yy.flatten()]))
        strides.append(torch.full((1, h * w), float(m.stride[i])))
    box, cls, kpt = torch.cat(boxes, 2), torch.cat(clss, 2), torch.cat(kpts, 2)
    anc, st = torch.cat(anchors, 1), torch.cat(strides, 1)
    a = box.shape[2]
    prob = box.view(b, 4, m.reg_max, a).transpose(2, 1).softmax(1)
    dist = m.dfl.conv(prob).view(b, 4, a)
    lt, rb = dist[:, :2], dist[:, 2:]
    p1, p2 = anc - lt, anc + rb
    xywh = torch.cat([(p1 + p2) / 2, p2 - p1], 1) * st
    k = kpt.view(b, m.kpt_shape[0], m.kpt_shape[1], a)
    xy = (k[:, :, :2] * 2.0 + (anc - 0.5)) * st
    parts = [xy, k[:, :, 2:].sigmoid()] if m.kpt_shape[1] == 3 else [xy]
    k = torch.cat(parts, 2).view(b, m.nk, a)
    return torch.cat([xywh, cls.sigmoid(), k], 1)


def run(model, x):
    y = []
    for m in model.model:
        if m.f != -1:
            x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
        cls = type(m).__name__
        x = {"Conv": conv, "C2f": c2f, "SPPF": sppf, "Pose": pose}.get(cls, None)(m, x) if cls in (
            "Conv", "C2f", "SPPF", "Pose") else (torch.cat(x, m.d) if cls == "Concat" else m(x))
        y.append(x if m.i in model.save else None)
    return x


if len(sys.argv) > 5 and not bad:
    H, W = int(sys.argv[7]), int(sys.argv[8])
    x = torch.from_numpy(np.fromfile(sys.argv[5], dtype=np.float32).reshape(1, 3, H, W))
    ref = np.fromfile(sys.argv[6], dtype=np.float32).reshape(1, 56, -1)
    model.float().eval()
    with torch.no_grad():
        out = run(model, x).numpy()
    prob = np.zeros(56, bool)
    prob[4] = True
    prob[7::3] = True
    dc = np.abs(out - ref)[:, ~prob].max()
    dp = np.abs(out - ref)[:, prob].max()
    print("forward through the unpickled tree vs cpose: max |d| coords %.3g px, scores/visibility %.3g" % (dc, dp))
    if not (dc <= 1e-2 and dp <= 1e-4):
        bad.append("forward differs")
for b in bad[:30]:
    print(b)
print("pt_check: %s (%s)" % ("ok" if not bad else "%d problems" % len(bad), sys.argv[1]))
sys.exit(1 if bad else 0)
