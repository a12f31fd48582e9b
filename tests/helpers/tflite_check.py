#!/usr/bin/env python3
"""tests/helpers/tflite_check.py — reads cpose's .tflite files through `flatc --json` and the schema
excerpt tests/helpers/tflite_excerpt.fbs (written for cpose from the field numbers), for
tests/test_export_tflite.c.

  tflite_check.py check SCHEMA FILE H W C A HALF
      the structure: identifier TFL3, schema version 3, buffers[0] empty, both op-code fields
      equal, one subgraph with input images [1,H,W,3] float32 and output output0 [1,C,A] float32,
      constants 16-byte aligned, with HALF=1: every float constant FLOAT16 and read through one
      DEQUANTIZE (op version 3); and the appended zip's metadata.json (Ultralytics' keys).
  tflite_check.py dequantize SCHEMA IN OUT
      writes OUT: IN with every FLOAT16 constant turned into the float32 values it stands for and
      the DEQUANTIZE ops removed (rebuilt by `flatc -b`), so a runtime without float16 constant
      support (ArmNN 22) computes exactly what IN computes.
  tflite_check.py int8 SCHEMA FILE H W C A
      full-integer quantisation: input images float32 → QUANTIZE (first op), output0 float32 ←
      DEQUANTIZE (last op); every other activation INT8 with one scale and zero point; CONV_2D
      (op version 3) filters INT8 per output channel (one scale per channel, zero points 0,
      quantized_dimension 0, values in [-127, 127]); biases INT32 with scale = input scale × filter
      scale per channel and zero point 0; LOGISTIC and SOFTMAX outputs at scale 1/256, zero point
      -128; CONCATENATION inputs at the output's parameters; and the appended metadata.json.
Exits 1 with a message on the first failed check."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

TFLOAT32, TFLOAT16, TINT32, TINT8 = 0, 1, 2, 9
DEQUANTIZE = 6
CONCATENATION, CONV_2D, LOGISTIC, SOFTMAX, QUANTIZE = 2, 3, 14, 25, 114


def fail(msg):
    print("tflite_check: " + msg, file=sys.stderr)
    sys.exit(1)


def decode(schema, path, tmp, with_data=True):
    if not with_data:  # the same schema without the buffers' bytes: a small JSON
        text = open(schema).read().replace("data:[ubyte] (force_align: 16);", "")
        schema = os.path.join(tmp, "nodata.fbs")
        with open(schema, "w") as f:
            f.write(text)
    subprocess.run(["flatc", "--json", "--strict-json", "--raw-binary", "-o", tmp, schema, "--", path], check=True)
    name = os.path.splitext(os.path.basename(path))[0] + ".json"
    with open(os.path.join(tmp, name)) as f:
        return json.load(f)


def check(schema, path, H, W, C, A, half):
    raw = open(path, "rb").read()
    if raw[4:8] != b"TFL3":
        fail(f"{path}: identifier {raw[4:8]!r}, want TFL3")
    with tempfile.TemporaryDirectory() as tmp:
        m = decode(schema, path, tmp, with_data=False)
    if m.get("version") != 3:
        fail(f"schema version {m.get('version')}")
    datas = buffer_data(raw)
    if len(datas) != len(m["buffers"]):
        fail("buffer count")
    if datas[0] is not None:
        fail("buffers[0] is not the empty sentinel")
    for at, n in datas[1:]:
        if n and at % 16:
            fail(f"buffer data at byte {at}: not 16-byte aligned")
    for c in m["operator_codes"]:
        if c.get("deprecated_builtin_code", 0) != c.get("builtin_code", 0):
            fail(f"op code fields differ: {c}")
    if len(m["subgraphs"]) != 1:
        fail("not one subgraph")
    sg = m["subgraphs"][0]
    t = sg["tensors"]
    ti, to = t[sg["inputs"][0]], t[sg["outputs"][0]]
    if (ti["name"], ti["shape"], ti.get("type", 0)) != ("images", [1, H, W, 3], TFLOAT32):
        fail(f"input {ti}")
    if (to["name"], to["shape"], to.get("type", 0)) != ("output0", [1, C, A], TFLOAT32):
        fail(f"output {to}")
    codes = [c.get("builtin_code", 0) for c in m["operator_codes"]]
    consumers = {}
    for op in sg["operators"]:
        for i in op.get("inputs", []):
            consumers.setdefault(i, []).append(op)
    n16 = 0
    for i, tensor in enumerate(t):
        b = tensor.get("buffer", 0)
        typ = tensor.get("type", 0)
        if b and typ == TFLOAT32 and half:
            fail(f"half=True but {tensor['name']} is a float32 constant")
        if typ == TFLOAT16:
            n16 += 1
            users = consumers.get(i, [])
            if len(users) != 1 or codes[users[0]["opcode_index"]] != DEQUANTIZE:
                fail(f"{tensor['name']}: FLOAT16 constant not read through one DEQUANTIZE")
            if m["operator_codes"][users[0]["opcode_index"]].get("version", 1) != 3:
                fail("DEQUANTIZE of float16 must be op version 3")
    if half and n16 == 0:
        fail("half=True but no FLOAT16 constants")
    check_metadata(path, H, W)
    print(f"tflite_check: {path}: structure ok ({len(sg['operators'])} ops, {len(t)} tensors, {n16} float16 constants)")


def check_metadata(path, H, W):
    with zipfile.ZipFile(path) as z:
        first = z.namelist()[0]
        meta = json.loads(z.read(first))
    if first != "metadata.json":
        fail(f"zip member {first}")
    for k in ("stride", "task", "batch", "imgsz", "names", "kpt_shape"):
        if k not in meta:
            fail(f"metadata.json lacks {k}")
    if meta["imgsz"] != [H, W] or meta["task"] != "pose" or meta["names"] != {"0": "person"} or meta["kpt_shape"] != [17, 3]:
        fail(f"metadata.json: {meta}")


def qp(tensor):
    q = tensor.get("quantization") or {}
    return q.get("scale", []), [int(z) for z in q.get("zero_point", [])], q.get("quantized_dimension", 0)


def check_int8(schema, path, H, W, C, A):
    with tempfile.TemporaryDirectory() as tmp:
        m = decode(schema, path, tmp)
    sg = m["subgraphs"][0]
    t, ops = sg["tensors"], sg["operators"]
    codes = [c.get("builtin_code", 0) for c in m["operator_codes"]]
    versions = [c.get("version", 1) for c in m["operator_codes"]]
    ti, to = t[sg["inputs"][0]], t[sg["outputs"][0]]
    if (ti["name"], ti["shape"], ti.get("type", 0)) != ("images", [1, H, W, 3], TFLOAT32):
        fail(f"input {ti['name']} {ti['shape']} type {ti.get('type', 0)}")
    if (to["name"], to["shape"], to.get("type", 0)) != ("output0", [1, C, A], TFLOAT32):
        fail(f"output {to['name']} {to['shape']} type {to.get('type', 0)}")
    if codes[ops[0]["opcode_index"]] != QUANTIZE or ops[0]["inputs"] != [sg["inputs"][0]]:
        fail("the first op is not QUANTIZE of the input")
    if codes[ops[-1]["opcode_index"]] != DEQUANTIZE or ops[-1]["outputs"] != [sg["outputs"][0]]:
        fail("the last op is not DEQUANTIZE to the output")
    data = lambda tensor: bytes(m["buffers"][tensor.get("buffer", 0)].get("data", []))
    float_tensors = {sg["inputs"][0], sg["outputs"][0]}
    n_conv = 0
    for op in ops:
        code = codes[op["opcode_index"]]
        outs = [t[i] for i in op["outputs"]]
        for i in op["outputs"]:
            if i in float_tensors:
                continue
            scale, zero, _ = qp(t[i])
            if t[i].get("type", 0) != TINT8 or len(scale) != 1 or len(zero) != 1 or not -128 <= zero[0] <= 127:
                fail(f"activation {t[i]['name']}: type {t[i].get('type', 0)}, scale {scale}, zero point {zero}")
        if code in (LOGISTIC, SOFTMAX):
            scale, zero, _ = qp(outs[0])
            if abs(scale[0] - 1 / 256) > 1e-6 or zero[0] != -128:  # flatc prints 6 decimals
                fail(f"{outs[0]['name']}: LOGISTIC/SOFTMAX output at {scale[0]}, {zero[0]}, want 1/256, -128")
        if code == CONCATENATION:
            for i in op["inputs"]:
                if qp(t[i])[:2] != qp(outs[0])[:2]:
                    fail(f"concat {outs[0]['name']}: input {t[i]['name']} at {qp(t[i])[:2]}, output at {qp(outs[0])[:2]}")
        if code == CONV_2D:
            n_conv += 1
            if versions[op["opcode_index"]] != 3:
                fail("CONV_2D with per-channel int8 filters must be op version 3")
            x, w, b = (t[i] for i in op["inputs"])
            sw, zw, qd = qp(w)
            cout = w["shape"][0]
            if w.get("type", 0) != TINT8 or len(sw) != cout or any(zw) or len(zw) != cout or qd != 0:
                fail(f"filter {w['name']}: type {w.get('type', 0)}, {len(sw)} scales for {cout} channels, zero points {set(zw)}")
            q = np.frombuffer(data(w), dtype=np.int8)
            if q.size != np.prod(w["shape"]) or q.min() < -127:
                fail(f"filter {w['name']}: {q.size} values, min {q.min()}")
            sx = qp(x)[0][0]
            sb, zb, _ = qp(b)
            if b.get("type", 0) != TINT32 or len(sb) != cout or any(zb):
                fail(f"bias {b['name']}: type {b.get('type', 0)}, {len(sb)} scales, zero points {set(zb)}")
            for c in range(cout):
                if abs(sb[c] - sx * sw[c]) > 1e-2 * abs(sx * sw[c]) + 5e-7:  # flatc prints 6 decimals
                    fail(f"bias {b['name']}[{c}]: scale {sb[c]}, want input {sx} × filter {sw[c]}")
    if n_conv == 0:
        fail("no CONV_2D")
    check_metadata(path, H, W)
    print(f"tflite_check: {path}: int8 structure ok ({len(ops)} ops, {len(t)} tensors, {n_conv} convs)")


def buffer_data(raw):
    """(offset, length) of each Buffer's data (None when absent), read from the bytes by hand."""
    u32 = lambda at: struct.unpack_from("<I", raw, at)[0]

    def field(table, i):
        vt = table - struct.unpack_from("<i", raw, table)[0]
        vsize = struct.unpack_from("<H", raw, vt)[0]
        if 4 + 2 * i >= vsize:
            return None
        off = struct.unpack_from("<H", raw, vt + 4 + 2 * i)[0]
        return table + off if off else None

    model = u32(0)
    f = field(model, 4)
    vec = f + u32(f)
    out = []
    for k in range(u32(vec)):
        slot = vec + 4 + 4 * k
        buf = slot + u32(slot)
        d = field(buf, 0)
        if d is None:
            out.append(None)
        else:
            v = d + u32(d)
            out.append((v + 4, u32(v)))
    return out


def dequantize(schema, src, dst):
    with tempfile.TemporaryDirectory() as tmp:
        m = decode(schema, src, tmp)
        sg = m["subgraphs"][0]
        t, codes = sg["tensors"], [c.get("builtin_code", 0) for c in m["operator_codes"]]
        remap, keep = {}, []
        for op in sg["operators"]:
            if codes[op["opcode_index"]] == DEQUANTIZE:
                src_t = t[op["inputs"][0]]
                data = np.frombuffer(bytes(src_t_data(m, src_t)), dtype=np.float16).astype(np.float32)
                m["buffers"][src_t["buffer"]]["data"] = list(data.tobytes())
                src_t["type"] = TFLOAT32
                remap[op["outputs"][0]] = op["inputs"][0]
            else:
                keep.append(op)
        for op in keep:
            op["inputs"] = [remap.get(i, i) for i in op["inputs"]]
        sg["operators"] = keep
        jpath = os.path.join(tmp, "fp32.json")
        with open(jpath, "w") as f:
            json.dump(m, f)
        subprocess.run(["flatc", "--binary", "-o", tmp, schema, jpath], check=True)
        os.replace(os.path.join(tmp, "fp32.bin"), dst)
    print(f"tflite_check: {dst}: {len(remap)} float16 constants dequantized")


def src_t_data(m, tensor):
    return m["buffers"][tensor["buffer"]].get("data", [])


if __name__ == "__main__":
    if sys.argv[1] == "check":
        s, p, H, W, C, A, half = sys.argv[2:9]
        check(s, p, int(H), int(W), int(C), int(A), half == "1")
    elif sys.argv[1] == "int8":
        s, p, H, W, C, A = sys.argv[2:8]
        check_int8(s, p, int(H), int(W), int(C), int(A))
    elif sys.argv[1] == "dequantize":
        dequantize(*sys.argv[2:5])
    else:
        fail("usage: tflite_check.py check|int8|dequantize ...")
