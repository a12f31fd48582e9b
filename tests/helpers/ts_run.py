"""tests/helpers/ts_run.py FILE IN.raw B,C,H,W OUT.raw — loads a TorchScript archive with python3-torch's
torch.jit.load (as Ultralytics' AutoBackend does, with _extra_files={"config.txt": ""}), runs it on the
float32 input and writes the float32 output. Checks the metadata JSON: task pose, names {"0": ...},
kpt_shape [17, 3], imgsz [H, W], stride 32. Exit 0 on success, 2 when torch does not import."""
import json
import sys

try:
    import torch
except ImportError:
    print("torch does not import")
    sys.exit(2)
import numpy as np

path, inp, shape, out = sys.argv[1], sys.argv[2], [int(v) for v in sys.argv[3].split(",")], sys.argv[4]
extra = {"config.txt": ""}
m = torch.jit.load(path, _extra_files=extra, map_location="cpu")
m.float()
md = json.loads(extra["config.txt"])
assert md["task"] == "pose" and md["kpt_shape"] == [17, 3] and md["stride"] == 32, md
assert md["imgsz"] == shape[2:] and isinstance(md["names"], dict) and "0" in md["names"], md
x = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(shape))
with torch.no_grad():
    y = m(x)
assert isinstance(y, torch.Tensor) and y.dtype == torch.float32, type(y)
y.numpy().astype(np.float32).tofile(out)
print("torch.jit.load + forward ok:", path, tuple(y.shape))
