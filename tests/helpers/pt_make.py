"""tests/helpers/pt_make.py — writes the .pt inputs of test_pt_import with PyTorch's own torch.save.

  pt_make.py ckpt IN.h5 OUT.pt EXPECT.h5 [--half] [--dtype bfloat16|float64] [--ema] [--imgsz N] [--drop KEY]
             [--reshape KEY] [--statedict] [--src OTHER.h5]
      IN.h5 is a cpose checkpoint (/model/<key> datasets, attributes yaml, yaml_file, names). The
      state_dict is rebuilt as a PoseModel module tree out of stand-in classes that carry
      Ultralytics' module paths (ultralytics.nn.tasks.PoseModel, ...modules.conv.Conv, ...) around
      real torch.nn Conv2d/BatchNorm2d leaves, and saved as Ultralytics saves a checkpoint (a dict
      with model/ema/train_args/...). --half stores fp16 like a stripped checkpoint; --ema puts the
      model under 'ema' and a zero-weight decoy under 'model'; --drop/--reshape damage one tensor.
      EXPECT.h5 gets the float32 values torch itself reads back (torch.load + .float()), one dataset
      per key: the expectation the C side compares with, computed by torch, not by cpose.
      --statedict writes a checkpoint whose 'model' is a plain state_dict (no YAML; EXPECT unused).
      More checkpoints from the same IN.h5 follow after --next OUT.pt EXPECT.h5 [options] (one torch start).
  pt_make.py zips DIR                 ZIP variants with Python's zipfile (deflated, ZIP64, not a checkpoint,
                                      no data.pkl), each holding a small protocol-2 pickle.
Exit 77 when torch or h5py cannot be imported (the caller skips)."""
import os
import re
import pickle
import sys
import types
import zipfile

MODE = sys.argv[1]


def make_zips(d):
    os.makedirs(d, exist_ok=True)
    pk = pickle.dumps({"epoch": 3, "model": None, "names": ["a", "b"]}, protocol=2)
    with zipfile.ZipFile(os.path.join(d, "deflated.pt"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deflated/data.pkl", pk)
        z.writestr("deflated/version", "3\n")
    with zipfile.ZipFile(os.path.join(d, "zip64.pt"), "w", zipfile.ZIP_STORED) as z:
        with z.open("zip64/data.pkl", "w", force_zip64=True) as f:
            f.write(pk)
    with zipfile.ZipFile(os.path.join(d, "notckpt.zip"), "w") as z:
        z.writestr("notes/readme.txt", "hello")
    with zipfile.ZipFile(os.path.join(d, "nomodel.pt"), "w") as z:
        z.writestr("nomodel/data.pkl", pk)
    # the pickle as bytes, for the CRC test (a flipped byte inside a stored member)
    with open(os.path.join(d, "pickle.bin"), "wb") as f:
        f.write(pk)


if MODE == "zips":
    make_zips(sys.argv[2])
    sys.exit(0)

try:
    import h5py
    import torch
    import torch.nn as nn
    import yaml
except Exception as e:  # noqa: BLE001
    print("SKIP: python3-torch, python3-h5py and python3-yaml are needed: %s" % e)
    sys.exit(77)


def stand_in(module, name):
    """An nn.Module subclass pickled as module.name (registered so pickle finds it there)."""
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        sub = ".".join(parts[:i])
        if sub not in sys.modules:
            sys.modules[sub] = types.ModuleType(sub)
    cls = type(name, (nn.Module,), {"__module__": module, "__qualname__": name})
    setattr(sys.modules[module], name, cls)
    return cls


PoseModel = stand_in("ultralytics.nn.tasks", "PoseModel")
Conv = stand_in("ultralytics.nn.modules.conv", "Conv")
C2f = stand_in("ultralytics.nn.modules.block", "C2f")
Bottleneck = stand_in("ultralytics.nn.modules.block", "Bottleneck")
SPPF = stand_in("ultralytics.nn.modules.block", "SPPF")
DFL = stand_in("ultralytics.nn.modules.block", "DFL")
Pose = stand_in("ultralytics.nn.modules.head", "Pose")


def read_state(path):
    f = h5py.File(path, "r")
    g = f["model"]
    keys = [k for k in g.keys()]
    sd = {k: torch.from_numpy(g[k][()].astype("float32")) if g[k].shape != () else torch.tensor(int(g[k][()]))
          for k in keys}
    attrs = {k: f.attrs[k] for k in f.attrs.keys()}
    return sd, attrs


def natural(k):
    return [int(p) if p.isdigit() else p for p in k.split(".")]


def build_tree(sd):
    """A module tree whose state_dict() has exactly sd's keys (and torch's order of them)."""
    tree = {}
    for key in sorted(sd, key=natural):
        node = tree
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node.setdefault("__tensors__", {})[parts[-1]] = sd[key]

    def make(name, node):
        t = node.get("__tensors__", {})
        kids = {k: v for k, v in node.items() if k != "__tensors__"}
        if "running_mean" in t:
            m = nn.BatchNorm2d(t["weight"].shape[0], eps=1e-3, momentum=0.03)
        elif "weight" in t and t["weight"].dim() == 4 and not kids:
            w = t["weight"]
            m = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), bias="bias" in t)
            if name == "conv" and w.shape[1] == 16 and w.shape[0] == 1:
                m.weight.requires_grad_(False)
        else:
            names = set(kids)
            if "cv4" in names:
                m = Pose()
            elif names == {"conv"} and not t:
                m = DFL()
            elif names == {"conv", "bn"}:
                m = Conv()
            elif "m" in names:
                m = C2f()
            elif names == {"cv1", "cv2"}:
                m = Bottleneck() if name.isdigit() else SPPF()
            elif all(k.isdigit() for k in names):
                m = nn.ModuleList() if name == "m" else nn.Sequential()
            else:
                m = nn.Module()
        for k in sorted(kids, key=lambda s: (0, int(s)) if s.isdigit() else (1, s)):
            m.add_module(k, make(k, kids[k]))
        with torch.no_grad():
            for k, v in t.items():
                cur = getattr(m, k)
                if k == "num_batches_tracked":
                    cur.fill_(int(v))
                else:
                    cur.copy_(v.reshape(cur.shape))
        return m

    root = PoseModel()
    root.add_module("model", make("model", tree["model"]))
    return root


def decode(a):
    return a.decode() if isinstance(a, bytes) else str(a)


def make_ckpt(src, out, expect, opts):
    sd, attrs = read_state(src)
    if "--statedict" in opts:
        torch.save({"epoch": -1, "model": sd, "train_args": {"imgsz": 320}}, out)
        return
    if "--drop" in opts:
        sd.pop(opts[opts.index("--drop") + 1])
    if "--reshape" in opts:
        k = opts[opts.index("--reshape") + 1]
        sd[k] = sd[k][:, :-1].clone()  # one input channel fewer
    model = build_tree(sd)
    cfg = yaml.safe_load(decode(attrs["yaml"]))
    yaml_file = decode(attrs.get("yaml_file", b"yolov8n-pose.yaml"))
    cfg["yaml_file"] = os.path.basename(yaml_file)
    scale = re.search(r"yolov8([nsmlx])", os.path.basename(yaml_file))
    cfg["scale"] = scale.group(1) if scale else "n"
    cfg["ch"] = 3
    model.yaml = cfg
    model.names = {0: "person"}
    model.kpt_shape = list(cfg.get("kpt_shape", [17, 3]))
    model.stride = torch.tensor([8.0, 16.0, 32.0, 64.0] if "p6" in yaml_file else [8.0, 16.0, 32.0])
    model.nc = 1
    model.eval()
    if "--half" in opts:
        model.half()
    if "--dtype" in opts:  # bfloat16 or float64 storages
        model.to(getattr(torch, opts[opts.index("--dtype") + 1]))
    imgsz = int(opts[opts.index("--imgsz") + 1]) if "--imgsz" in opts else 640
    ckpt = {"epoch": -1, "best_fitness": None, "model": model, "ema": None, "updates": None, "optimizer": None,
            "train_args": {"task": "pose", "imgsz": imgsz, "data": "coco8-pose.yaml", "epochs": 3, "lr0": 0.01,
                           "pretrained": True, "name": None},
            "date": "2026-01-01T00:00:00", "version": "8.1.47"}
    if "--ema" in opts:
        decoy = build_tree({k: torch.zeros_like(v) for k, v in sd.items()})
        ckpt["model"], ckpt["ema"] = decoy, model
    torch.save(ckpt, out)
    # what torch itself reads back, as float32
    back = torch.load(out, map_location="cpu")
    m = back["ema"] if back.get("ema") is not None else back["model"]
    with h5py.File(expect, "w") as f:
        for k, v in m.state_dict().items():
            f[k] = v.float().numpy()


assert MODE == "ckpt", MODE
# ckpt IN.h5 OUT.pt EXPECT.h5 [opts] [--next OUT2.pt EXPECT2.h5 [opts]] ...: one torch start for all
args = sys.argv[3:]
jobs, cur = [], []
for a in args:
    if a == "--next":
        jobs.append(cur)
        cur = []
    else:
        cur.append(a)
jobs.append(cur)
for job in jobs:
    src = job[job.index("--src") + 1] if "--src" in job else sys.argv[2]
    make_ckpt(src, job[0], job[1], job[2:])
