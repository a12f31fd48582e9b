"""tests/helpers/pt_standins.py — stand-ins for the Ultralytics classes a pickled checkpoint names.

Ultralytics is not installable here, so `torch.load` of a .pt that pickles an
ultralytics.nn.tasks.PoseModel needs modules of those names. install() puts a fake `ultralytics`
package into sys.modules whose classes are plain torch.nn.Module subclasses with no attributes of
their own: everything an unpickled module has comes from the file (its __dict__), so a test can
check that the file carries each attribute Ultralytics' code reads.
"""
import sys
import types

import torch

# module path -> class names, as Ultralytics 8.1 lays them out
CLASSES = {
    "ultralytics.nn.tasks": ["PoseModel", "DetectionModel", "BaseModel"],
    "ultralytics.nn.modules.conv": ["Conv", "Concat"],
    "ultralytics.nn.modules.block": ["C2f", "Bottleneck", "SPPF", "DFL"],
    "ultralytics.nn.modules.head": ["Pose", "Detect"],
    # what Ultralytics' own trained checkpoints also pickle (the model's args and its loss)
    "ultralytics.utils": ["IterableSimpleNamespace"],
    "ultralytics.utils.loss": ["v8PoseLoss", "BboxLoss", "KeypointLoss"],
    "ultralytics.utils.tal": ["TaskAlignedAssigner"],
}
PLAIN = {"IterableSimpleNamespace", "v8PoseLoss"}  # not torch modules


def install():
    """Registers the fake package (idempotent) and returns {class name: class}."""
    made = {}
    for path, names in CLASSES.items():
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name not in sys.modules:
                mod = types.ModuleType(name)
                mod.__path__ = []
                sys.modules[name] = mod
                if i > 1:
                    setattr(sys.modules[".".join(parts[:i - 1])], parts[i - 1], mod)
        mod = sys.modules[path]
        for n in names:
            if not hasattr(mod, n):
                base = object if n in PLAIN else torch.nn.Module
                cls = type(n, (base,), {"__module__": path})
                setattr(mod, n, cls)
            made[n] = getattr(mod, n)
    return made


def load(path):
    """torch.load of a checkpoint with the stand-ins installed (CPU)."""
    install()
    return torch.load(path, map_location="cpu")
