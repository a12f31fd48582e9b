"""tests/helpers/zip_check.py ARCHIVE SPEC — reads a zip written by exporters/common/zip_write.c with
Python's zipfile (an independent reader) and checks it against SPEC, lines "name<TAB>size<TAB>seed":
member names in order, sizes, contents (byte i of a member is (seed + 31 * i) % 251, the pattern the C
test writes), CRCs (zipfile checks them on read and in testzip), stored members only, and each
member's data starting at a 64-byte-aligned offset (read from its local header). Exit 0 when all
hold; prints what differs otherwise. With a third argument "zip64" it also checks that every member
and the end record use ZIP64 extras."""
import struct
import sys
import zipfile

path, spec = sys.argv[1], sys.argv[2]
want_zip64 = len(sys.argv) > 3 and sys.argv[3] == "zip64"
want = []
for line in open(spec):
    name, size, seed = line.rstrip("\n").split("\t")
    want.append((name, int(size), int(seed)))
bad = []
raw = open(path, "rb").read()
with zipfile.ZipFile(path) as z:
    infos = z.infolist()
    if [i.filename for i in infos] != [w[0] for w in want]:
        bad.append("names %r != %r" % ([i.filename for i in infos], [w[0] for w in want]))
    if z.testzip() is not None:
        bad.append("bad CRC in %s" % z.testzip())
    for info, (name, size, seed) in zip(infos, want):
        if info.compress_type != zipfile.ZIP_STORED:
            bad.append("%s is compressed" % name)
        data = z.read(info)
        expect = bytes((seed + 31 * i) % 251 for i in range(size))
        if data != expect:
            bad.append("%s: content differs (%d bytes, want %d)" % (name, len(data), size))
        sig, = struct.unpack_from("<I", raw, info.header_offset)
        nl, xl = struct.unpack_from("<HH", raw, info.header_offset + 26)
        start = info.header_offset + 30 + nl + xl
        if sig != 0x04034B50 or start % 64:
            bad.append("%s: data at %d (not 64-aligned, or no local header)" % (name, start))
        extra = raw[info.header_offset + 30 + nl:start]
        ids = []
        k = 0
        while k + 4 <= len(extra):
            hid, hl = struct.unpack_from("<HH", extra, k)
            ids.append(hid)
            k += 4 + hl
        if 0x4246 not in ids:
            bad.append("%s: no FB padding field in %r" % (name, ids))
        if want_zip64 and 0x0001 not in ids:
            bad.append("%s: no ZIP64 extra in the local header" % name)
if want_zip64 and raw.find(b"PK\x06\x06") < 0:
    bad.append("no ZIP64 end record")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
