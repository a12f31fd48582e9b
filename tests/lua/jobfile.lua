-- tests/lua/jobfile.lua — cpose.job.open: atomic job files (commit on scope exit, nothing left when
-- the scope exits by an error or the file is aborted), and the job record calls.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end
local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function no_temporaries()
  local p = io.popen("ls -a '" .. dir .. "'")
  local list = p:read("a")
  p:close()
  return not list:find("%.tmp%.")
end

-- the folder is reused between runs of this test: start clean
for _, name in ipairs{"a.txt", "b.txt", "sub/c.txt", "d.txt", "e.txt"} do os.remove(dir .. "/" .. name) end

-- commit on normal scope exit
do
  local f <close> = cpose.job.open(dir .. "/a.txt")
  f:write("one ", 2, "\n")
  T.ok(not exists(dir .. "/a.txt"), "not visible before commit")
end
T.eq(read(dir .. "/a.txt"), "one 2\n", "committed at scope exit")

-- an error inside the scope: nothing at the path, no temporary left
local ok = pcall(function()
  local f <close> = cpose.job.open(dir .. "/b.txt")
  f:write("half of it")
  error("job failed halfway")
end)
T.eq(ok, false, "the scope failed")
T.ok(not exists(dir .. "/b.txt"), "no partial file after an error")

-- explicit commit/abort
local f = cpose.job.open(dir .. "/sub/c.txt")
T.ok(tostring(f):find("c.txt", 1, true), "__tostring")
f:write("c")
T.eq(f:commit(), dir .. "/sub/c.txt", "commit returns the path")
T.raises({"already committed"}, f.write, f, "more")
local g = cpose.job.open(dir .. "/d.txt")
g:write("d")
g:abort()
T.ok(not exists(dir .. "/d.txt"), "aborted")
-- dropped without commit: the collector aborts it
cpose.job.open(dir .. "/e.txt"):write("e")
collectgarbage()
collectgarbage()
T.ok(not exists(dir .. "/e.txt"), "collected before commit: aborted")
T.ok(no_temporaries(), "no temporaries left in the job folder")

-- cpose.write_json / read_json: a round trip, arrays vs objects, atomic (no temporaries), errors
cpose.write_json(dir .. "/json/doc.json", {name = "x", list = {1, 2.5, "three"}, nested = {ok = true}, empty = {}})
local doc = cpose.read_json(dir .. "/json/doc.json")
T.eq(doc.name, "x", "string")
T.eq(#doc.list, 3, "array")
T.eq(doc.list[2], 2.5, "float")
T.eq(math.type(doc.list[1]), "integer", "integral numbers come back as integers")
T.eq(doc.list[3], "three", "array item")
T.eq(doc.nested.ok, true, "nested object")
T.eq(type(doc.empty), "table", "empty table")
T.eq(read(dir .. "/json/doc.json"):sub(1, 1), "{", "an object at the top")
cpose.write_json(dir .. "/json/n.json", 42)
T.eq(cpose.read_json(dir .. "/json/n.json"), 42, "a bare number")
local bad = assert(io.open(dir .. "/json/bad.json", "wb")); bad:write('{"a": [1, 2'); bad:close()
T.raises({"cpose.read_json", "bad.json", "not valid JSON"}, cpose.read_json, dir .. "/json/bad.json")
T.raises({"cpose.read_json", "no-such.json"}, cpose.read_json, dir .. "/json/no-such.json")
T.raises({"cpose.write_json", "cpose-no-such-dir"}, cpose.write_json, "/proc/cpose-no-such-dir/x.json", {})

T.raises({"cpose.job.open", "cpose-no-such-dir"}, cpose.job.open, "/proc/cpose-no-such-dir/x.txt")
cpose.job.metric("answer", 42)
cpose.job.input(arg[0])
return T.finish()
