-- tests/lua/unavailable.lua — every part this build lacks (cpose.info().available[name] == false)
-- raises "<name> is not available in this build (needs ...)" instead of a fake result, after
-- checking its arguments; and every part listed as available is callable.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local model <close> = cpose.YOLO("yolov8n-pose.yaml")
local function callable(name)
  local method = name:match("^cpose%.Model:(.+)$")
  if method then return function(args) return model[method](model, args) end end
  local fn = cpose[name:match("^cpose%.(.+)$")]
  T.eq(type(fn), "function", name .. " exists")
  return fn
end

local missing = 0
for name, available in pairs(cpose.info().available) do
  local f = callable(name)
  if not available then
    missing = missing + 1
    local err = T.raises({name .. " is not available in this build (needs "}, f, {})
    T.ok(not err:find("stack traceback"), "a plain message")
    T.raises({name, "'bogus_key'"}, f, {bogus_key = 1})
  end
end
-- this build has every part: the trainer (core/train/trainer.h) and export (plugins/); a build without one
-- lists it as false, and the loop above checks its error
T.eq(cpose.info().available["cpose.Model:train"], true, "train built")
T.eq(cpose.info().available["cpose.Model:export"], true, "export built")
T.eq(missing, 0, "nothing missing in this build")
return T.finish()
