-- tests/lua/download.lua — cpose.download{} through file:// URLs (no server): the bytes arrive, the
-- sha256/size checks accept the right values and refuse wrong ones (no file kept), a missing
-- source fails with curl's reason, and url= or data= is required.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
os.execute("rm -rf '" .. dir .. "/got' '" .. dir .. "/bad'")
local payload = string.rep("cpose download test\n", 100)
local src = dir .. "/source.bin"
local f = assert(io.open(src, "wb")); f:write(payload); f:close()
-- sha256 of the payload, computed by coreutils (independent of cpose)
local p = io.popen("sha256sum '" .. src .. "'")
local sha = p:read("a"):match("^(%x+)")
p:close()
T.eq(#sha, 64, "sha256sum")

local url = "file://" .. src
local r = cpose.download{url = url, dir = dir .. "/got", sha256 = sha, size = #payload, retries = 0, verbose = false}
T.eq(r.path, dir .. "/got/source.bin", "path: dir + the URL's file name")
local g = assert(io.open(r.path, "rb")); T.eq(g:read("a"), payload, "bytes"); g:close()
local named = cpose.download{url = url, dir = dir .. "/got", file = "renamed.bin", retries = 0, verbose = false}
T.eq(named.path, dir .. "/got/renamed.bin", "file= names it")

T.raises({"cpose.download", "sha256 mismatch"}, cpose.download,
         {url = url, dir = dir .. "/bad", sha256 = string.rep("0", 64), retries = 0, verbose = false})
T.raises({"cpose.download", "more than the expected size=1 bytes"}, cpose.download,
         {url = url, dir = dir .. "/bad", size = 1, retries = 0, verbose = false})
T.eq(io.open(dir .. "/bad/source.bin", "rb"), nil, "a refused download leaves no file")
T.raises({"cpose.download", "nonexistent.bin"}, cpose.download,
         {url = "file://" .. dir .. "/nonexistent.bin", dir = dir .. "/bad", retries = 0, verbose = false})
T.raises({"cpose.download", "url= is required"}, cpose.download, {dir = dir})
T.raises({"cpose.download", "retries", "integer"}, cpose.download, {url = url, retries = "many"})
return T.finish()
