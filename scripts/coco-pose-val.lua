-- scripts/coco-pose-val.lua — COCO-pose val2017 end to end: download the val2017 images and the 2017
-- annotations from cocodataset.org, extract them, convert the person keypoints (style=ultralytics),
-- write the dataset YAML, validate a model (Ultralytics metrics + COCOeval) and write the report.
--   cpose run scripts/coco-pose-val.lua model=yolov8n-pose.h5 [dir=datasets/coco-pose] [imgsz=640]
--       [batch=16] [conf=] [iou=0.7] [base_url=http://images.cocodataset.org]
--       [images_url=<base_url>/zips/val2017.zip] [annotations_url=<base_url>/annotations/annotations_trainval2017.zip]
-- The dataset goes to dir= (zips kept in dir/zips, so a rerun downloads nothing); the validation run,
-- report/ and run.json go to the job folder (save_dir=, default runs/jobs/coco-pose-val).
local cpose = require "cpose"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"

local kw = jobs.kwargs{"model", "dir", "imgsz", "batch", "conf", "iou", "max_det", "base_url", "images_url",
                         "annotations_url"}
if not kw.model then
  error("give model=<weights .h5/.pt or model YAML>, e.g. cpose run " .. arg[0] .. " model=yolov8n-pose.h5", 0)
end
local base = (kw.base_url or "http://images.cocodataset.org"):gsub("/+$", "")
local images_url = kw.images_url or (base .. "/zips/val2017.zip")
local annotations_url = kw.annotations_url or (base .. "/annotations/annotations_trainval2017.zip")
local root = jobs.abspath(kw.dir or "datasets/coco-pose")
local job = jobs.abspath(cpose.job.dir())
local t0 = os.time()

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end
local function run(cmd)
  local ok = os.execute(cmd)
  if not ok then error("command failed: " .. cmd, 0) end
end
local function q(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- 1. download (kept in dir/zips; a complete file is not fetched again) and extract
run("mkdir -p " .. q(root .. "/zips"))
local images_zip = jobs.download(images_url, root .. "/zips")
local annotations_zip = jobs.download(annotations_url, root .. "/zips")
print(string.format("[1/5] downloaded %s and %s → %s/zips", images_url, annotations_url, root))
local ximg = cpose.extract{file = images_zip, dir = root .. "/images"}
local xann = cpose.extract{file = annotations_zip, dir = root}
local gt = root .. "/annotations/person_keypoints_val2017.json"
if not exists(root .. "/images/val2017") then
  error(images_zip .. ": no val2017/ folder in the archive (is images_url= the val2017.zip?)", 0)
end
if not exists(gt) then
  error(annotations_zip .. ": no annotations/person_keypoints_val2017.json in the archive (is annotations_url= "
        .. "annotations_trainval2017.zip?)", 0)
end
cpose.job.input(gt) -- the ground truth of COCOeval: its sha256 goes into run.json
print(string.format("[2/5] extracted %d + %d entries: images %s/images/val2017, annotations %s", ximg.entries,
  xann.entries, root, gt))

-- 2. convert only the person keypoints JSON (the annotations zip also holds instances/captions)
local pose_json_dir = root .. "/annotations/person_keypoints"
run("mkdir -p " .. q(pose_json_dir) .. " && cp " .. q(gt) .. " " .. q(pose_json_dir .. "/"))
local conv = cpose.convert_coco{json_dir = pose_json_dir, save_dir = root .. "/converted", style = "ultralytics",
                                exist_ok = true}
run("rm -rf " .. q(root .. "/labels/val2017") .. " " .. q(root .. "/labels/val2017.cpose.cache") .. " && mkdir -p "
    .. q(root .. "/labels") .. " && mv " .. q(root .. "/converted/labels/person_keypoints_val2017") .. " "
    .. q(root .. "/labels/val2017"))
local yaml = root .. "/coco-pose.yaml"
jobs.write_file(yaml, table.concat({
  "# COCO-pose val2017 written by scripts/coco-pose-val.lua (labels: cpose convert style=ultralytics)",
  "path: " .. root,
  "train: images/val2017  # val only: no train2017 downloaded",
  "val: images/val2017",
  "kpt_shape: [17, 3]",
  "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]",
  "names:",
  "  0: person",
  ""}, "\n"))
print(string.format("[3/5] convert_coco: %d label files, %d rows, %d annotations skipped → %s/labels/val2017; %s",
  conv.images, conv.lines, conv.skipped, root, yaml))

-- 3. validate: Ultralytics metrics, predictions.json, COCOeval against person_keypoints_val2017.json
local model <close> = cpose.YOLO(kw.model)
local args = {data = yaml, save_json = true, anno_json = gt, project = job, name = "val", exist_ok = true}
for _, k in ipairs{"imgsz", "batch", "conf", "iou", "max_det"} do
  if kw[k] then args[k] = kw[k] end
end
local m = jobs.val(model, args)
local val_dir = m.save_dir or (job .. "/val")
print(string.format("[4/5] val (%s): Box mAP50 %.4f mAP50-95 %.4f | Pose mAP50 %.4f mAP50-95 %.4f → %s", kw.model,
  m.box.map50, m.box.map, m.pose.map50, m.pose.map, val_dir))

-- 4. the COCOeval report (keypoints + bbox) of predictions.json: metrics.json, report.md, report.html
local r = cpose.report{gt = gt, pred = val_dir .. "/predictions.json", iou_type = "both", report = job .. "/report",
                       json = job .. "/stats.json"}
for _, kind in ipairs{"box", "pose"} do
  cpose.job.metric(kind .. "_map50", m[kind].map50)
  cpose.job.metric(kind .. "_map50_95", m[kind].map)
end
print(string.format("[5/5] report %s; done in %d s; record %s/run.json", r.report, os.time() - t0, job))
return {data = yaml, model = kw.model, box = m.box, pose = m.pose, keypoints = r.keypoints, bbox = r.bbox}
