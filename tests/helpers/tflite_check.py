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
Exits 1 with a message on the first failed check."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

TFLOAT32, TFLOAT16, TINT32 = 0, 1, 2
DEQUANTIZE = 6


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
    print(f"tflite_check: {path}: structure ok ({len(sg['operators'])} ops, {len(t)} tensors, {n16} float16 constants)")


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
    elif sys.argv[1] == "dequantize":
        dequantize(*sys.argv[2:5])
    else:
        fail("usage: tflite_check.py check|dequantize ...")
