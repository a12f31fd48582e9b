-- scripts/coco_eval.lua — job: COCO evaluation (pycocotools-exact) of a predictions file, with the
-- report folder and run.json (inputs hashed, AP metrics) written into the job folder.
--   cpose run scripts/coco_eval.lua gt=person_keypoints_val2017.json pred=predictions.json
--                                   [iou_type=both] [save_dir=runs/eval]
local cpose = require "cpose"

if not (arg.gt and arg.pred) then
  error("give gt=<COCO ground-truth JSON> and pred=<results JSON>, e.g. cpose run " .. arg[0]
        .. " gt=gt.json pred=predictions.json", 0)
end
local dir = cpose.job.dir()
local r = cpose.report{gt = arg.gt, pred = arg.pred, iou_type = arg.iou_type or "keypoints",
                       report = dir .. "/report", json = dir .. "/stats.json"}
for _, kind in ipairs{"keypoints", "bbox"} do
  if r[kind .. "_summary"] then
    print("Evaluate annotation type *" .. kind .. "*")
    for _, line in ipairs(r[kind .. "_summary"]) do print(line) end
  end
end
print("report: " .. r.report)
return {keypoints = r.keypoints, bbox = r.bbox}
