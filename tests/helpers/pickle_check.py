"""tests/helpers/pickle_check.py PICKLE [TORCH_ARCHIVE] — reads what tests/test_pickle_write.c wrote.

PICKLE is read by Python's own pickle (with a persistent_load and a tiny class for NEWOBJ/BUILD) and
compared with the values the C test meant to write, listed here by hand; pickletools.genops checks
that every opcode belongs to protocol ≤ 2 and that the stream starts with PROTO 2. TORCH_ARCHIVE, when
given and torch imports, is loaded by torch.load: an OrderedDict with a float tensor and an fp16
tensor whose values are checked. Exit 0 when all hold."""
import collections
import math
import pickle
import pickletools
import sys


class Thing:
    pass


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("test_module", "Thing"):
            return Thing
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return ("persistent", pid)


raw = open(sys.argv[1], "rb").read()
bad = []
ops = list(pickletools.genops(raw))
if ops[0][0].name != "PROTO" or ops[0][1] != 2:
    bad.append("does not start with PROTO 2")
for o, arg, pos in ops:
    if o.proto > 2:
        bad.append("opcode %s at %d is protocol %d" % (o.name, pos, o.proto))
got = Reader(__import__("io").BytesIO(raw)).load()

ints = [0, 1, 255, 256, 65535, 65536, -1, -256, 2147483647, -2147483648, 2147483648, -2147483649,
        1 << 40, -(1 << 40), 9223372036854775807, -9223372036854775808]
floats = [0.0, -0.0, 0.1, -1e300, 1e-3, 3.5]
want_plain = {
    "ints": ints,
    "floats": floats,
    "strings": ["", "person", "caf\u00e9 \u2713", "x" * 300],
    "consts": [None, True, False],
    "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
}
for k, v in want_plain.items():
    if got.get(k) != v:
        bad.append("%s: got %r, want %r" % (k, got.get(k), v))
for a, b in zip(got.get("floats", []), floats):
    if math.copysign(1, a) != math.copysign(1, b):
        bad.append("float sign of %r" % b)
if not math.isnan(got.get("nan", 0.0)):
    bad.append("nan: %r" % got.get("nan"))
od = got.get("ordered")
if type(od) is not collections.OrderedDict or list(od.items()) != [("b", 2), ("a", 1)]:
    bad.append("ordered: %r" % (od,))
if got.get("shared_1") is not got.get("shared_2") or got.get("shared_1") != [7, 8]:
    bad.append("shared list not shared: %r %r" % (got.get("shared_1"), got.get("shared_2")))
t = got.get("thing")
if type(t) is not Thing or t.__dict__ != {"training": False, "f": [-1, 6]}:
    bad.append("thing: %r %r" % (type(t), getattr(t, "__dict__", None)))
if got.get("pid") != ("persistent", ("storage", "0", 3)):
    bad.append("pid: %r" % (got.get("pid"),))
many = got.get("many_memo")
if not many or len(many) != 300 or any(many[i] is not many[0] for i in range(300)) or many[0] != ["m"]:
    bad.append("the LONG_BINPUT/LONG_BINGET list differs")
far = got.get("far")
if far != list(range(300)):
    bad.append("far: %r" % (far,))

if len(sys.argv) > 2:
    try:
        import torch
    except ImportError:
        print("note: torch does not import: the torch.load part is skipped")
    else:
        sd = torch.load(sys.argv[2], map_location="cpu")
        if type(sd) is not collections.OrderedDict or list(sd) != ["w", "h"]:
            bad.append("torch: keys %r" % (list(sd),))
        else:
            w, h = sd["w"], sd["h"]
            if w.dtype != torch.float32 or tuple(w.shape) != (2, 3) or w.tolist() != [[0, 1, 2], [3, 4, 5.5]]:
                bad.append("torch: w = %r" % (w,))
            if h.dtype != torch.float16 or tuple(h.shape) != (3,) or h.tolist() != [1.0, -2.0, 0.5]:
                bad.append("torch: h = %r" % (h,))
            if not isinstance(w, torch.nn.Parameter) or w.requires_grad:
                bad.append("torch: w is not a Parameter without grad")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
