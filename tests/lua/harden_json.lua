-- tests/lua/harden_json.lua — cpose.write_json / read_json limits (issue 11, item 15): nesting is
-- kept to 1000 levels both ways (it was cut silently at 32 when writing and 64 when reading), and a
-- function, a coroutine or a table containing itself is an error naming the key, not "function: 0x…".
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local function nest(n)
  local root = {}
  local t = root
  for _ = 1, n do t.k = {}; t = t.k end
  t.leaf = "bottom"
  return root
end
local function depth_of(t)
  local d = 0
  while type(t) == "table" and t.k do t = t.k; d = d + 1 end
  return d, t.leaf
end

cpose.write_json(dir .. "/deep.json", nest(100))
local back = cpose.read_json(dir .. "/deep.json")
local d, leaf = depth_of(back)
T.eq(d, 100, "100 levels written and read back")
T.eq(leaf, "bottom", "the innermost value survives")

local f = assert(io.open(dir .. "/deep_in.json", "wb"))
f:write(string.rep("[", 200) .. "7" .. string.rep("]", 200)); f:close()
local a = cpose.read_json(dir .. "/deep_in.json")
for _ = 1, 199 do a = a[1] end
T.eq(a[1], 7, "a 200-level array is read to its bottom")

T.raises({"cannot write a Lua function as JSON", "at key 'cb'"}, cpose.write_json, dir .. "/fn.json", {cb = print})
T.raises({"cannot write a Lua thread as JSON"}, cpose.write_json, dir .. "/co.json", {coroutine.create(print)})
local cyc = {}; cyc.self = cyc
T.raises({"nested deeper than 1000 levels"}, cpose.write_json, dir .. "/cyc.json", cyc)
T.eq(io.open(dir .. "/fn.json", "rb"), nil, "nothing written on error")
return T.finish()
