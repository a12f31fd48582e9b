-- tests/lua/extract.lua — cpose.extract{}: a tar.gz and a zip built here (with tar and Python's
-- zipfile) come out with the bytes that went in; the default destination is the archive's folder;
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

-- a zip, extracted beside itself by default
if sh("command -v python3 >/dev/null") then
  T.ok(sh("mkdir -p '" .. dir .. "/z' && cd '" .. dir .. "/src' && python3 -c \"import zipfile; z = zipfile.ZipFile('"
          .. dir .. "/z/a.zip', 'w'); z.write('a/one.txt'); z.close()\""), "zip")
  local z = cpose.extract{file = dir .. "/z/a.zip"}
  T.eq(z.dir, dir .. "/z", "default destination: the archive's folder")
  T.eq(read(dir .. "/z/a/one.txt"), "first file\n", "zip member")
end

T.raises({"cpose.extract", "file= is required"}, cpose.extract, {dir = dir .. "/out"})
T.raises({"cpose.extract", "no-such.tar"}, cpose.extract, {file = dir .. "/no-such.tar", dir = dir .. "/out2"})
return T.finish()
