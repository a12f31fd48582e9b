-- tests/lua/job_helpers.lua — scripts/lib/cpose_jobs.lua, the helpers the job scripts share: the
-- job's key=value words, list and number arguments with errors that name the key, running a CLI
-- mode as a child process (its failure named), and atomic writes listed in the job record.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local src = os.getenv("CPOSE_SOURCE_DIR") or (arg[0]:match("^(.*)/tests/lua/") or ".")
package.path = src .. "/scripts/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"
local cpose = require "cpose"

-- ctest runs this job as `cpose run job_helpers.lua save_dir=... word n=3`
local kw = jobs.kwargs()
T.eq(kw.n, "3", "key=value word")
T.ok(kw.save_dir ~= nil, "runner keys are visible too")
T.eq(kw[1], nil, "plain words are not arguments")
T.eq(jobs.kwargs{"n"}.n, "3", "allowed keys pass (save_dir= is the runner's)")
T.raises({"job_helpers.lua: 'n' is not an argument; did you mean 'm'?", "(arguments: m nn)"}, jobs.kwargs, {"m", "nn"})
T.raises({"'n' is not an argument (arguments: threshold)"}, jobs.kwargs, {"threshold"})

local l = jobs.split_list(" a.h5, b.h5 ,,c.h5")
T.eq(#l, 3, "three items")
T.eq(l[1] .. "|" .. l[2] .. "|" .. l[3], "a.h5|b.h5|c.h5", "items trimmed, empty ones dropped")
T.eq(#jobs.split_list(nil), 0, "nil → empty list")

T.eq(jobs.number({threshold = "0.02"}, "threshold", 0.01), 0.02, "number parsed")
T.eq(jobs.number({}, "threshold", 0.01), 0.01, "default")
T.raises({"threshold=abc", "an absolute drop"}, jobs.number, {threshold = "abc"}, "threshold", 0.01, "an absolute drop")

T.eq(jobs.abspath("/x/y"), "/x/y", "absolute path unchanged")
T.ok(jobs.abspath("x"):match("^/.+/x$") ~= nil, "relative path made absolute")

-- a CLI mode as a child process: success, and a failure that names the mode
local dir = cpose.job.dir()
jobs.cli("synth", {save_dir = dir .. "/syn", n_train = 1, n_val = 1, imgsz = 64, exist_ok = "True"})
T.ok(io.open(dir .. "/syn/synth-pose.yaml") ~= nil, "child cpose synth wrote its dataset")
jobs.check(dir .. "/syn/synth-pose.yaml")
T.ok(io.open(dir .. "/syn/labels/val.cache") ~= nil, "check wrote the label cache")
T.raises({"cpose check failed", "no-such.yaml"}, jobs.check, dir .. "/no-such.yaml")

jobs.write_file(dir .. "/note.txt", "hello\n")
local f = io.open(dir .. "/note.txt")
T.eq(f:read("a"), "hello\n", "atomic write")
f:close()
return T.finish()
