-- tests/lua/unavailable.lua — every part not built yet raises "cpose.X is not available in this
-- build (needs ...)" instead of a fake result, after checking its arguments.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local calls = {
  download = {url = "https://example.com/a.zip", dir = "d/"},
}
for name, args in pairs(calls) do
  T.eq(type(cpose[name]), "function", "cpose." .. name .. " exists")
  local err = T.raises({"cpose." .. name .. " is not available in this build (needs "}, cpose[name], args)
  T.ok(not err:find("stack traceback"), "a plain message")
  T.raises({"cpose." .. name, "'bogus_key'"}, cpose[name], {bogus_key = 1})
end
return T.finish()
