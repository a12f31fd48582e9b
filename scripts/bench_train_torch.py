"""scripts/bench_train_torch.py — the PyTorch side of scripts/bench_train_torch.sh: times Ultralytics'
own training step (train-mode forward, v8PoseLoss, backward, gradient clip at 10, SGD with Nesterov
momentum over Ultralytics' three parameter groups, ModelEMA update) on the same generated batch as
`cpose benchmark backward=True` (noise images, two people per image with 17 keypoints), and prints
one line: median/min/max ms, img/s and the peak RSS. Needs the reference Ultralytics set up OUTSIDE
this repository by ../shared/tools/reference-ultralytics.sh (its env.sh on PYTHONPATH).
usage: python3 bench_train_torch.py IMGSZ BATCH RUNS WARMUP THREADS"""
import resource, sys, time

import torch
from ultralytics.cfg import get_cfg
from ultralytics.nn.tasks import PoseModel
from ultralytics.utils.torch_utils import ModelEMA

S, B, RUNS, WARM, THREADS = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
model = PoseModel("yolov8n-pose.yaml", ch=3, nc=1, data_kpt_shape=(17, 3), verbose=False)
model.args = get_cfg()
model.train()

# the batch of core/cli/bench_train.c: uniform noise, two boxes per image, keypoints on a 5-column grid
g = torch.Generator().manual_seed(12345)
img = torch.rand(B, 3, S, S, generator=g)
n = 2 * B
batch_idx = torch.arange(n, dtype=torch.float32) // 2
cx = torch.tensor([0.65 if o % 2 == 0 else 0.3 for o in range(n)])
boxes = torch.stack([cx, torch.full((n,), 0.5), torch.full((n,), 0.25), torch.full((n,), 0.6)], 1)
k = torch.arange(17, dtype=torch.float32)
kx = cx[:, None] + 0.25 * ((k % 5) / 4.0 - 0.5)[None]
ky = 0.5 + 0.6 * (k / 17 - 0.5)[None].expand(n, 17)
kpts = torch.stack([kx, ky, torch.full((n, 17), 2.0)], 2)
batch = {"img": img, "batch_idx": batch_idx, "cls": torch.zeros(n, 1), "bboxes": boxes, "keypoints": kpts}

# Ultralytics' three groups: biases, norm weights (no decay), other weights (decay)
biases, norms, weights = [], [], []
for mod in model.modules():
    for name, p in mod.named_parameters(recurse=False):
        if "bias" in name:
            biases.append(p)
        elif isinstance(mod, torch.nn.BatchNorm2d):
            norms.append(p)
        else:
            weights.append(p)
opt = torch.optim.SGD(biases, lr=0.01, momentum=0.937, nesterov=True)
opt.add_param_group({"params": weights, "weight_decay": 5e-4 * B * max(round(64 / B), 1) / 64})
opt.add_param_group({"params": norms, "weight_decay": 0.0})
ema = ModelEMA(model)

times = []
for i in range(WARM + RUNS):
    t0 = time.perf_counter()
    loss, _ = model.loss(batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
    opt.step()
    opt.zero_grad()
    ema.update(model)
    times.append((time.perf_counter() - t0) * 1e3)
r = sorted(times[WARM:])
med = r[len(r) // 2] if len(r) % 2 else 0.5 * (r[len(r) // 2 - 1] + r[len(r) // 2])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"train step median {med:.0f} ms (min {r[0]:.0f}, max {r[-1]:.0f}), {B * 1e3 / med:.1f} img/s, peak RSS {rss:.0f} MiB")
