#!/usr/bin/python3
"""tests/helpers/paddle_run.py - an independent check of a PaddlePaddle inference model folder
(<x>_paddle_model/inference_model/model.pdmodel + model.pdiparams), for tests/test_export_paddle.c.

Decodes the ProgramDesc with its own minimal protobuf reader (field numbers from framework.proto,
FORMATS.md section 12), checks the structure (version, root block idx 0 / parent -1, feed and fetch
holders and ops, every op argument declared, persistable vars), reads model.pdiparams in
sorted-name order (version 0, no LoD, TensorDesc dims equal to the VarDesc's, nothing left over),
then executes the program op by op with torch's kernels (conv2d, elementwise with Paddle's axis
rule, silu, sigmoid, concat, split, slice, pool2d, nearest_interp_v2, reshape2, transpose2,
softmax) on the input given as raw float32, and writes the fetched output as raw float32.

usage: paddle_run.py <model_dir> <input.f32> <N,C,H,W> <output.f32>
Prints one JSON line: {"ops": {type: count}, "params": n, "version": v, "out": [dims]}.
Exits 1 with a message on the first structural problem.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def fail(msg):
    print("paddle_run: " + msg)
    sys.exit(1)


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(number, wire type, value) for each field of message b; LEN values are bytes."""
    out, i = [], 0
    while i < len(b):
        tag, i = varint(b, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            fail("wire type %d" % wt)
        out.append((num, wt, v))
    return out


def signed(v, bits=64):
    return v - (1 << 64) if v >= 1 << 63 else v


def tensor_desc(b):
    dtype, dims = None, []
    for n, wt, v in fields(b):
        if n == 1:
            dtype = v
        elif n == 2:
            if wt == 2:  # packed
                j = 0
                while j < len(v):
                    x, j = varint(v, j)
                    dims.append(signed(x))
            else:
                dims.append(signed(v))
    return dtype, dims


def var_desc(b):
    d = {"persistable": False, "dims": None}
    for n, wt, v in fields(b):
        if n == 1:
            d["name"] = v.decode()
        elif n == 3:
            d["persistable"] = bool(v)
        elif n == 2:
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    d["type"] = v2
                elif n2 == 3:
                    for n3, _, v3 in fields(v2):
                        if n3 == 1:
                            d["dtype"], d["dims"] = tensor_desc(v3)
    return d


def attr(b):
    a = {"ints": [], "floats": []}
    for n, wt, v in fields(b):
        if n == 1:
            a["name"] = v.decode()
        elif n == 2:
            a["type"] = v
        elif n in (3, 13):
            a["i"] = signed(v) if n == 13 else (v - (1 << 64) if v >= 1 << 63 else v)
        elif n == 10:
            a["i"] = v
        elif n == 4:
            a["f"] = struct.unpack("<f", v)[0]
        elif n == 5:
            a["s"] = v.decode()
        elif n in (6, 15):
            a["ints"].append(signed(v))
        elif n == 7:
            a["floats"].append(struct.unpack("<f", v)[0])
    return a


def slot(b):
    s = {"args": []}
    for n, _, v in fields(b):
        if n == 1:
            s["param"] = v.decode()
        elif n == 2:
            s["args"].append(v.decode())
    return s


def op_desc(b):
    o = {"in": {}, "out": {}, "attrs": {}}
    for n, _, v in fields(b):
        if n in (1, 2):
            s = slot(v)
            o["in" if n == 1 else "out"][s["param"]] = s["args"]
        elif n == 3:
            o["type"] = v.decode()
        elif n == 4:
            a = attr(v)
            o["attrs"][a["name"]] = a
    return o


def load(model_dir):
    prog = open(model_dir + "/inference_model/model.pdmodel", "rb").read()
    blocks, version = [], None
    for n, _, v in fields(prog):
        if n == 1:
            blocks.append(v)
        elif n == 4:
            version = fields(v)[0][2]
    if len(blocks) != 1:
        fail("%d blocks" % len(blocks))
    idx = parent = None
    vars_, ops = {}, []
    for n, _, v in fields(blocks[0]):
        if n == 1:
            idx = v
        elif n == 2:
            parent = signed(v)
        elif n == 3:
            d = var_desc(v)
            if d["name"] in vars_:
                fail("var %s declared twice" % d["name"])
            vars_[d["name"]] = d
        elif n == 4:
            ops.append(op_desc(v))
    if idx != 0 or parent != -1:
        fail("block idx %s parent %s" % (idx, parent))
    if vars_.get("feed", {}).get("type") != 9 or vars_.get("fetch", {}).get("type") != 10:
        fail("feed/fetch holders missing or of the wrong VarType")
    for o in ops:
        for side in ("in", "out"):
            for p, args in o[side].items():
                for a in args:
                    if a not in vars_:
                        fail("op %s %s %s: var %s not declared" % (o["type"], side, p, a))
    feeds = [o for o in ops if o["type"] == "feed"]
    fetches = [o for o in ops if o["type"] == "fetch"]
    if len(feeds) != 1 or len(fetches) != 1 or feeds[0]["in"]["X"] != ["feed"] or fetches[0]["out"]["Out"] != ["fetch"]:
        fail("feed/fetch ops")
    # parameters
    params = open(model_dir + "/inference_model/model.pdiparams", "rb").read()
    pers = sorted(k for k, d in vars_.items() if d["persistable"] and d["type"] == 7)
    off, weights = 0, {}
    for name in pers:
        ver, lod, tver, dsize = struct.unpack_from("<IQIi", params, off)
        off += 20
        if ver or lod or tver:
            fail("%s: version %d, lod levels %d, tensor version %d" % (name, ver, lod, tver))
        dtype, dims = tensor_desc(params[off:off + dsize])
        off += dsize
        if dtype != 5 or dims != vars_[name]["dims"]:
            fail("%s: dtype %s dims %s, program %s" % (name, dtype, dims, vars_[name]["dims"]))
        count = int(np.prod(dims)) if dims else 1
        if off + 4 * count > len(params):
            fail("%s runs past the end" % name)
        weights[name] = torch.from_numpy(np.frombuffer(params, "<f4", count, off).copy().reshape(dims))
        off += 4 * count
    if off != len(params):
        fail("%d bytes left in .pdiparams" % (len(params) - off))
    return vars_, ops, weights, version


def pads4(p):
    return [p[0], p[0], p[1], p[1]] if len(p) == 2 else list(p)


def run(ops, weights, x):
    env = dict(weights)
    out = None
    for o in ops:
        t, a = o["type"], o["attrs"]
        I = lambda k: env[o["in"][k][0]]
        if t == "feed":
            env[o["out"]["Out"][0]] = x
            continue
        if t == "fetch":
            out = I("X")
            continue
        if t == "conv2d":
            t4 = pads4(a["paddings"]["ints"])
            xin = F.pad(I("Input"), (t4[2], t4[3], t4[0], t4[1]))
            y = F.conv2d(xin, I("Filter"), None, a["strides"]["ints"], 0, a["dilations"]["ints"], a["groups"]["i"])
            env[o["out"]["Output"][0]] = y
            continue
        if t.startswith("elementwise_"):
            xa, yb = I("X"), I("Y")
            axis = a["axis"]["i"] if "axis" in a else -1
            if axis != -1 and axis != xa.dim() - yb.dim():
                yb = yb.reshape(list(yb.shape) + [1] * (xa.dim() - axis - yb.dim()))
            y = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[t[12:]](xa, yb)
        elif t == "silu":
            y = I("X") * torch.sigmoid(I("X"))
        elif t == "sigmoid":
            y = torch.sigmoid(I("X"))
        elif t == "softmax":
            y = torch.softmax(I("X"), a["axis"]["i"])
        elif t == "concat":
            y = torch.cat([env[n] for n in o["in"]["X"]], a["axis"]["i"])
        elif t == "slice":
            y = I("Input")
            for ax, s, e in zip(a["axes"]["ints"], a["starts"]["ints"], a["ends"]["ints"]):
                n = y.shape[ax]
                s, e = max(0, min(n, s + n if s < 0 else s)), max(0, min(n, e + n if e < 0 else e))
                y = y.narrow(ax, s, e - s)
        elif t == "pool2d":
            if a["pooling_type"]["s"] != "max":
                fail("pool2d %s" % a["pooling_type"]["s"])
            t4 = pads4(a["paddings"]["ints"])
            xin = F.pad(I("X"), (t4[2], t4[3], t4[0], t4[1]), value=float("-inf"))
            y = F.max_pool2d(xin, a["ksize"]["ints"], a["strides"]["ints"])
        elif t == "nearest_interp_v2":
            y = F.interpolate(I("X"), scale_factor=a["scale"]["floats"], mode="nearest")
        elif t == "reshape2":
            xi, shape = I("X"), list(a["shape"]["ints"])
            shape = [xi.shape[k] if v == 0 else v for k, v in enumerate(shape)]
            y = xi.reshape(shape)
        elif t == "transpose2":
            y = I("X").permute(a["axis"]["ints"])
        elif t == "split":
            fail("split is not written by cpose's exporter")
        else:
            fail("op type %s" % t)
        env[o["out"]["Out"][0]] = y
    return out


def main():
    model_dir, inp, shape, outp = sys.argv[1:5]
    dims = [int(v) for v in shape.split(",")]
    vars_, ops, weights, version = load(model_dir)
    x = torch.from_numpy(np.fromfile(inp, "<f4").reshape(dims))
    with torch.no_grad():
        y = run(ops, weights, x)
    y.numpy().astype("<f4").tofile(outp)
    counts = {}
    for o in ops:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    print(json.dumps({"ops": counts, "params": len(weights), "version": version, "out": list(y.shape)}))


if __name__ == "__main__":
    main()
