-- scripts/nightly_eval.lua — job: validate a model on a dataset and compare the metrics with a
-- baseline (an earlier run.json of this job, or any JSON with a "metrics" object); a drop larger
-- than tolerance fails the job (exit 1) after writing comparison.md and run.json.
--   cpose run scripts/nightly_eval.lua model=best.h5 data=coco8-pose.yaml [imgsz=640] [batch=16]
--        [baseline=runs/nightly/run.json] [tolerance=0.002] [save_dir=runs/nightly2]
local cpose = require "cpose"

if not (arg.model and arg.data) then
  error("give model=<weights or YAML> and data=<dataset YAML>, e.g. cpose run " .. arg[0]
        .. " model=best.h5 data=coco8-pose.yaml", 0)
end
local tolerance = tonumber(arg.tolerance or "0.002")
if not tolerance then error("tolerance=" .. arg.tolerance .. " is not a number", 0) end
local dir = cpose.job.dir()

local model <close> = cpose.YOLO(arg.model)
local m = model:val{data = arg.data, imgsz = arg.imgsz, batch = arg.batch, split = arg.split, project = dir,
                    name = "val", exist_ok = true}
-- the names Ultralytics' results_dict uses (also the job record's metric names)
local current = {
  ["metrics/precision(B)"] = m.box.mp, ["metrics/recall(B)"] = m.box.mr,
  ["metrics/mAP50(B)"] = m.box.map50, ["metrics/mAP50-95(B)"] = m.box.map,
  ["metrics/precision(P)"] = m.pose.mp, ["metrics/recall(P)"] = m.pose.mr,
  ["metrics/mAP50(P)"] = m.pose.map50, ["metrics/mAP50-95(P)"] = m.pose.map,
}
local keys = {}
for k in pairs(current) do keys[#keys + 1] = k end
table.sort(keys)

local regressions = {}
if arg.baseline then
  local base = cpose.read_json(arg.baseline)
  local prev = base.metrics
  if type(prev) ~= "table" then error(arg.baseline .. " has no \"metrics\" object to compare with", 0) end
  local md = cpose.job.open(dir .. "/comparison.md")
  md:write("# ", arg.model, " on ", arg.data, "\n\nbaseline: ", arg.baseline, ", tolerance ", tolerance, "\n\n")
  md:write("| metric | baseline | now | change |\n|---|---|---|---|\n")
  for _, k in ipairs(keys) do
    local was, now = prev[k], current[k]
    if type(was) == "number" then
      local delta = now - was
      md:write(string.format("| %s | %.5f | %.5f | %+.5f%s |\n", k, was, now, delta, delta < -tolerance and " ✗" or ""))
      if delta < -tolerance then regressions[#regressions + 1] = string.format("%s %.5f → %.5f", k, was, now) end
    end
  end
  md:commit()
end

for _, k in ipairs(keys) do print(string.format("%-22s %.5f", k, current[k])) end
if #regressions > 0 then
  error("regression beyond " .. tolerance .. ": " .. table.concat(regressions, "; "), 0)
end
return {metrics = current, baseline = arg.baseline}
