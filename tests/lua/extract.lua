-- tests/lua/extract.lua — cpose.extract{}: a tar.gz (made with tar) and a zip (written by this
-- script) come out with the bytes that went in; the default destination is the archive's folder;
-- a missing archive fails with the C message.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local function sh(cmd) return os.execute(cmd) == true end
local function read(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- source tree: a/one.txt, a/sub/two.txt
T.ok(sh("rm -rf '" .. dir .. "/src' '" .. dir .. "/out' '" .. dir .. "/z' && mkdir -p '" .. dir .. "/src/a/sub'"), "mkdir")
local f1 = assert(io.open(dir .. "/src/a/one.txt", "wb")); f1:write("first file\n"); f1:close()
local f2 = assert(io.open(dir .. "/src/a/sub/two.txt", "wb")); f2:write(string.rep("x", 1000)); f2:close()
T.ok(sh("tar -czf '" .. dir .. "/a.tar.gz' -C '" .. dir .. "/src' a"), "tar")

local r = cpose.extract{file = dir .. "/a.tar.gz", dir = dir .. "/out"}
T.eq(r.dir, dir .. "/out", "result.dir")
T.ok(r.entries >= 2, "entries counted: " .. tostring(r.entries))
T.eq(read(dir .. "/out/a/one.txt"), "first file\n", "one.txt")
T.eq(read(dir .. "/out/a/sub/two.txt"), string.rep("x", 1000), "two.txt")

-- a zip, written here byte by byte (one stored member: local header, central directory, end
-- record; APPNOTE 4.3), extracted beside itself by default. No python3 or zip tool needed.
local function crc32(s)
  local crc = 0xFFFFFFFF
  for i = 1, #s do
    crc = crc ~ s:byte(i)
    for _ = 1, 8 do crc = (crc >> 1) ~ (0xEDB88320 & -(crc & 1)) end
  end
  return ~crc & 0xFFFFFFFF
end
local function stored_zip(name, data)
  local crc, dos_date = crc32(data), 0x21 -- 1980-01-01
  local head = string.pack("<I4I2I2I2I2I2I4I4I4I2I2", 0x04034b50, 20, 0, 0, 0, dos_date, crc, #data, #data, #name, 0)
      .. name .. data
  local central = string.pack("<I4I2I2I2I2I2I2I4I4I4I2I2I2I2I2I4I4", 0x02014b50, 20, 20, 0, 0, 0, dos_date, crc,
      #data, #data, #name, 0, 0, 0, 0, 0, 0) .. name
  return head .. central .. string.pack("<I4I2I2I2I2I4I4I2", 0x06054b50, 0, 0, 1, 1, #central, #head, 0)
end
T.eq(crc32("123456789"), 0xCBF43926, "crc32 check value")
T.ok(sh("mkdir -p '" .. dir .. "/z'"), "mkdir z")
local zf = assert(io.open(dir .. "/z/a.zip", "wb"))
zf:write(stored_zip("a/one.txt", "first file\n"))
zf:close()
local z = cpose.extract{file = dir .. "/z/a.zip"}
T.eq(z.dir, dir .. "/z", "default destination: the archive's folder")
T.eq(read(dir .. "/z/a/one.txt"), "first file\n", "zip member")

T.raises({"cpose.extract", "file= is required"}, cpose.extract, {dir = dir .. "/out"})
T.raises({"cpose.extract", "no-such.tar"}, cpose.extract, {file = dir .. "/no-such.tar", dir = dir .. "/out2"})
return T.finish()
