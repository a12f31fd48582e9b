-- tests/lua/eval.lua — cpose.eval{} on the cocoeval fixture: the stats equal pycocotools' own
-- (ref_stats.json, read with cpose.read_json) for keypoints and bbox; report files; errors.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local root = require "fixtures"
local cpose = require "cpose"

local F = root .. "/cocoeval/"
local ref = cpose.read_json(F .. "ref_stats.json")
T.eq(#ref.keypoints.stats, 10, "pycocotools keypoints stats")

local dir = cpose.job.dir()
local r = cpose.eval{gt = F .. "gt.json", pred = F .. "dt.json", iou_type = "both", json = dir .. "/stats.json",
                     report = dir .. "/report"}
T.eq(#r.keypoints, 10, "10 keypoint stats")
T.eq(#r.bbox, 12, "12 bbox stats")
for i = 1, 10 do T.ok(math.abs(r.keypoints[i] - ref.keypoints.stats[i]) < 1e-9, "keypoints stat " .. i) end
for i = 1, 12 do T.ok(math.abs(r.bbox[i] - ref.bbox.stats[i]) < 1e-9, "bbox stat " .. i) end
for i, line in ipairs(ref.keypoints.summary_lines) do T.eq(r.keypoints_summary[i], line, "summary line " .. i) end

-- the stats JSON written equals the returned table; the report folder has its three files
local written = cpose.read_json(dir .. "/stats.json")
T.eq(written.keypoints[1], r.keypoints[1], "stats.json")
for _, f in ipairs{"metrics.json", "report.md", "report.html"} do
  local h = io.open(dir .. "/report/" .. f, "rb")
  T.ok(h ~= nil, "report/" .. f)
  if h then h:close() end
end

-- keypoints only by default
local k = cpose.eval{gt = F .. "gt.json", pred = F .. "dt.json"}
T.ok(k.keypoints and not k.bbox, "iou_type defaults to keypoints")

-- cpose.report: the same evaluation written as a report folder
local rep = cpose.report{gt = F .. "gt.json", pred = F .. "dt.json", report = dir .. "/report2"}
T.eq(rep.report, dir .. "/report2", "report folder")
T.eq(#rep.files, 3, "three report files")
for i = 1, 10 do T.ok(math.abs(rep.keypoints[i] - ref.keypoints.stats[i]) < 1e-9, "report stat " .. i) end
T.raises({"cpose.report", "report= is required"}, cpose.report, {gt = F .. "gt.json", pred = F .. "dt.json"})

T.raises({"cpose.eval", "gt= and pred= are required"}, cpose.eval, {gt = F .. "gt.json"})
T.raises({"cpose.eval", "iou_type=segm"}, cpose.eval, {gt = F .. "gt.json", pred = F .. "dt.json", iou_type = "segm"})
T.raises({"cpose.eval", "not a results file"}, cpose.eval, {gt = F .. "gt.json", pred = F .. "gt.json"})
T.raises({"cpose.eval", "no-such.json"}, cpose.eval, {gt = F .. "no-such.json", pred = F .. "dt.json"})
return T.finish()
