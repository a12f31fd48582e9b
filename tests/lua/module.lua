-- tests/lua/module.lua — `require "cpose"` from a job: no global before or after, the arg table,
-- cpose.version and cpose.info().
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"

T.eq(rawget(_G, "cpose"), nil, "no global cpose before require")
local cpose = require "cpose"
T.eq(rawget(_G, "cpose"), nil, "require sets no global")
T.ok(require "cpose" == cpose, "require returns the same module table")

-- arg: the test is registered as `cpose run module.lua save_dir=DIR word n=3` (tests/CMakeLists.txt)
T.ok(arg[0]:match("module%.lua$"), "arg[0] is the script")
T.ok(arg[1]:match("^save_dir="), "arg[1] is the first word")
T.eq(arg[2], "word", "arg[2]")
T.eq(arg[3], "n=3", "arg[3]")
T.eq(arg[4], nil, "no arg[4]")
T.eq(arg.n, "3", "arg.n from n=3 (a string, as typed)")
T.eq(arg.word, nil, "a word without '=' is no key")
local vararg = ...
T.ok(vararg == arg, "... is the arg table")

T.eq(type(cpose.version), "string", "cpose.version")
T.ok(cpose.version:match("^%d+%.%d+%.%d+$"), "version looks like x.y.z")
local info = cpose.info()
T.eq(info.version, cpose.version, "info().version")
T.eq(math.type(info.threads), "integer", "info().threads")
T.ok(info.threads >= 1, "threads >= 1")
T.ok(info.cores >= 1, "cores >= 1")
T.ok(info.lua:match("^Lua 5%.4"), "Lua 5.4")
-- which parts this build has: every bound name is listed
local have = {["cpose.Model:predict"] = true, ["cpose.Model:info"] = true, ["cpose.convert_coco"] = true,
              ["cpose.synth"] = true, ["cpose.eval"] = true, ["cpose.report"] = true, ["cpose.extract"] = true,
              ["cpose.Model:val"] = true, ["cpose.Model:train"] = true, ["cpose.Model:export"] = true,
              ["cpose.download"] = true, ["cpose.loss"] = true, ["cpose.schedule"] = true,
              ["cpose.ema_decay"] = true, ["cpose.optimizer_choice"] = true, ["cpose.dataset"] = true}
for n, v in pairs(have) do T.eq(info.available[n], v, "available[" .. n .. "]") end
local count = 0
for _ in pairs(info.available) do count = count + 1 end
T.eq(count, 16, "every bound name is listed once")

T.eq(cpose.job.active(), true, "a job record is active under cpose run")
T.eq(cpose.job.dir(), arg.save_dir, "the job folder is save_dir=")
return T.finish()
