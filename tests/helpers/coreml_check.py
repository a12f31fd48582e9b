#!/usr/bin/env python3
"""tests/helpers/coreml_check.py — checks a cpose .mlpackage independently of cpose's reader, for
tests/test_export_coreml.c.

  coreml_check.py PKG H W HALF

The top level of model.mlmodel is read from `protoc-c --decode_raw` (the protobuf compiler's own
decoder): specificationVersion (field 1) = 6, description (2): input (1) "image" of imageType (3.4)
width W, height H, colorSpace RGB (20); output (10) multiArrayType (3.5) of dataType FLOAT32
(65568); metadata (100) with author (3) and license (4) and userDefined (100) holding Ultralytics'
keys as Python literals; mlProgram (502) with function "main" in opset "CoreML5". protoc's text
stops descending at some depth, so the operations are walked with the small wire decoder below
(field numbers from MIL.proto): the first op is const image__scale__ = 1/255 and the second
mul(image, it); every binding names an earlier value; every blob reference has fileName
@model_path/weights/weight.bin and an offset that is 64-aligned, with a metadata record (sentinel
0xDEADBEEF, dtype 2 = fp32 or 1 = fp16 with HALF, size = elements x element size, data 64-aligned
and inside the file); the weight.bin header counts the blobs, version 2. Manifest.json: the root
entry is model.mlmodel, a weights entry exists. Exits 1 with a message on the first failure."""
import json
import os
import struct
import subprocess
import sys


def fail(msg):
    print("coreml_check: FAIL:", msg)
    sys.exit(1)


def decode_raw_top(path):
    """protoc-c --decode_raw, parsed into nested lists of (field, value|children)."""
    with open(path, "rb") as f:
        out = subprocess.run(["protoc-c", "--decode_raw"], stdin=f, capture_output=True, text=True, check=True).stdout
    root, stack = [], []
    cur = root
    for line in out.splitlines():
        s = line.strip()
        if s.endswith("{"):
            node = (s[:-1].strip(), [])
            cur.append(node)
            stack.append(cur)
            cur = node[1]
        elif s == "}":
            cur = stack.pop()
        elif s:
            k, v = s.split(": ", 1)
            cur.append((k, v))
    return root


def get(tree, *path):
    """All items at a path of field numbers (strings)."""
    items = [("", tree)]
    for p in path:
        items = [c for _, kids in items if isinstance(kids, list) for c in kids if c[0] == p]
    return [v for _, v in items]


def unq(v):
    assert v.startswith('"') and v.endswith('"'), v
    return bytes(v[1:-1], "utf-8").decode("unicode_escape")


# ---- a small wire-format decoder (protobuf's encoding rules) ----

def varint(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return x, i


def fields(b):
    """[(number, wire, value)]: varints as ints, LEN as bytes, fixed as raw bytes."""
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            if len(v) != n:
                fail("truncated field %d" % num)
            i += n
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        else:
            fail("wire type %d" % wire)
        out.append((num, wire, v))
    return out


def one(b, num):
    got = [v for n, _, v in fields(b) if n == num]
    return got[0] if got else None


def all_of(b, num):
    return [v for n, _, v in fields(b) if n == num]


def map_get(entries, key):
    for e in entries:
        if one(e, 1) == key.encode():
            return one(e, 2)
    return None


def tensor_type(vt):
    t = one(vt, 1)
    dims = [one(one(d, 1), 1) or 0 for d in all_of(t, 3)]
    return one(t, 1), one(t, 2) or 0, dims


def main():
    pkg, H, W, half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    man = json.load(open(os.path.join(pkg, "Manifest.json")))
    if man.get("fileFormatVersion") != "1.0.0":
        fail("fileFormatVersion %r" % man.get("fileFormatVersion"))
    ent = man["itemInfoEntries"]
    root = ent[man["rootModelIdentifier"]]
    if root["path"] != "com.apple.CoreML/model.mlmodel" or root["name"] != "model.mlmodel":
        fail("root entry %r" % root)
    if not any(e["path"] == "com.apple.CoreML/weights" and e["description"] == "CoreML Model Weights" for e in ent.values()):
        fail("no weights entry")
    mpath = os.path.join(pkg, "Data", root["path"])
    wpath = os.path.join(pkg, "Data/com.apple.CoreML/weights/weight.bin")

    # top level through protoc's decoder
    t = decode_raw_top(mpath)
    if get(t, "1") != ["6"]:
        fail("specificationVersion %r" % get(t, "1"))
    if [unq(v) for v in get(t, "2", "1", "1")] != ["image"]:
        fail("input name")
    if get(t, "2", "1", "3", "4", "1") != [str(W)] or get(t, "2", "1", "3", "4", "2") != [str(H)]:
        fail("image size")
    if get(t, "2", "1", "3", "4", "3") != ["20"]:
        fail("colorSpace not RGB")
    if get(t, "2", "10", "3", "5", "2") != ["65568"]:
        fail("output dataType")
    if [unq(v) for v in get(t, "2", "100", "3")] != ["cpose"] or "AGPL" not in unq(get(t, "2", "100", "4")[0]):
        fail("metadata author/license")
    ud = {unq(get(e, "1")[0]): unq(get(e, "2")[0]) for e in get(t, "2", "100", "100")}
    want = {"task": "pose", "stride": "32", "batch": "1", "imgsz": "[%d, %d]" % (H, W), "names": "{0: 'person'}",
            "kpt_shape": "[17, 3]"}
    for k, v in want.items():
        if ud.get(k) != v:
            fail("userDefined %s = %r, want %r" % (k, ud.get(k), v))
    if [unq(v) for v in get(t, "502", "2", "1")] != ["main"] or [unq(v) for v in get(t, "502", "2", "2", "2")] != ["CoreML5"]:
        fail("function main / opset CoreML5")

    # the program with our own decoder
    model = open(mpath, "rb").read()
    prog = one(model, 502)
    fn = map_get(all_of(prog, 2), "main")
    block = map_get(all_of(fn, 3), "CoreML5")
    outs = [o.decode() for o in all_of(block, 2)]
    blob = open(wpath, "rb").read()
    count, version = struct.unpack_from("<II", blob, 0)
    if version != 2:
        fail("blob storage version %d" % version)
    defined = {one(i, 1).decode() for i in all_of(fn, 1)}
    ops = all_of(block, 3)
    n_blobs, types, casts = 0, {}, 0
    for k, op in enumerate(ops):
        ty = one(op, 1).decode()
        types[ty] = types.get(ty, 0) + 1
        for entry in all_of(op, 2):
            for binding in all_of(one(entry, 2), 1):
                name = one(binding, 1)
                if name is not None and name.decode() not in defined:
                    fail("op %d (%s) reads undefined '%s'" % (k, ty, name.decode()))
        o = all_of(op, 3)
        if len(o) != 1:
            fail("op %d has %d outputs" % (k, len(o)))
        oname = one(o[0], 1).decode()
        if oname in defined:
            fail("'%s' defined twice" % oname)
        defined.add(oname)
        dtype, rank, dims = tensor_type(one(o[0], 2))
        if rank != len(dims):
            fail("rank %d with %d dims" % (rank, len(dims)))
        if ty == "cast":
            casts += 1
        if ty != "const":
            continue
        val = map_get(all_of(op, 5), "val")
        if k == 0:
            f = struct.unpack("<f", one(one(one(one(val, 3), 1), 1), 1))[0]
            if oname != "image__scale__" or abs(f * 255 - 1) > 1e-6:
                fail("first op is not the 1/255 scale: %s %r" % (oname, f))
        bf = one(val, 5)
        if bf is None:
            continue
        n_blobs += 1
        if one(bf, 1) != b"@model_path/weights/weight.bin":
            fail("blob fileName %r" % one(bf, 1))
        off = one(bf, 2) or 0
        if off % 64:
            fail("blob offset %d not 64-aligned" % off)
        sentinel, bdt, size, data = struct.unpack_from("<IIQQ", blob, off)
        n = 1
        for d in dims:
            n *= d
        want_dt, esize = (1, 2) if half else (2, 4)
        if sentinel != 0xDEADBEEF or bdt != want_dt or size != n * esize or data % 64 or data + size > len(blob):
            fail("blob at %d: sentinel %x dtype %d size %d data %d (file %d)" % (off, sentinel, bdt, size, data, len(blob)))
        if dtype != (10 if half else 11):
            fail("const %s of MIL type %d" % (oname, dtype))
    if count != n_blobs:
        fail("header counts %d blobs, the program references %d" % (count, n_blobs))
    if one(ops[1], 1) != b"mul":
        fail("second op is not the scale mul")
    if half and casts != 2:
        fail("half: %d casts (fp16 in, fp32 out expected)" % casts)
    if len(outs) != 1 or outs[0] not in defined:
        fail("block outputs %r" % outs)
    print("mlpackage ok: %d ops (%s), %d blobs, weight.bin %d bytes" % (
        len(ops), ", ".join("%s %d" % kv for kv in sorted(types.items())), n_blobs, len(blob)))


main()
