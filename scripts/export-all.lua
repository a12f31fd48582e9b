-- scripts/export-all.lua — export a model to every format whose exporter plugin is built, read each
-- export back where cpose can run it, compare its forward with the source model on one synthetic
-- image, and write the report table (export_all.md / .json / .csv in the job folder).
--   cpose run scripts/export-all.lua model=W [imgsz=640] [formats=onnx,ncnn,...] [skip=engine,...]
--        [tolerance=1e-2] [save_dir=runs/jobs/export-all]
-- data= is accepted for Ultralytics' symmetry and unused (the comparison needs no labels; use
-- `cpose benchmark model=W data=D.yaml` for mAP per format).
local cpose = require "cpose"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"
local ea = require "cpose_export_all"

local kw = jobs.kwargs{"model", "imgsz", "data", "formats", "skip", "tolerance"}
if not kw.model then jobs.usage_error("export-all.lua: model= is required (weights .h5, a model YAML, ...)") end
local imgsz = math.tointeger(jobs.number(kw, "imgsz", 640, "an image size in pixels (e.g. imgsz=320)"))
if not imgsz or imgsz < 32 or imgsz % 32 ~= 0 then jobs.usage_error("imgsz= must be a multiple of 32 (e.g. imgsz=320)") end
local tol = jobs.number(kw, "tolerance", 1e-2, "a number (e.g. tolerance=1e-3)")
local dir = jobs.abspath(cpose.job.dir())
local rows = ea.run{model = kw.model, imgsz = imgsz, dir = dir, formats = jobs.split_list(kw.formats),
                    skip = jobs.split_list(kw.skip), tolerance = tol}
local md, text = ea.write_report(dir, rows, string.format("export-all: %s at imgsz=%d", kw.model, imgsz))
print(text)
local n_ok, n_fail = 0, 0
for _, r in ipairs(rows) do
  if r.status == "ok" then n_ok = n_ok + 1 elseif r.status:sub(1, 7) == "failed:" then n_fail = n_fail + 1 end
end
cpose.job.metric("formats_ok", n_ok)
cpose.job.metric("formats_failed", n_fail)
print(string.format("export-all: %d formats, %d read back and matched, %d failed → %s", #rows, n_ok, n_fail, md))
return {rows = rows, report = md}
