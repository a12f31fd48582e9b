-- scripts/quickstart.lua — the README's main job on the embedded synthetic dataset: generate it,
-- convert its COCO JSON to YOLO labels, verify the labels, train briefly, predict, validate (Ultralytics
-- metrics + predictions.json + COCOeval against the synthetic COCO JSON), export to every built format
-- (read back and compared where cpose can run it; export_all.md), and print
-- where everything went.
--   cpose run scripts/quickstart.lua [model=yolov8n-pose.yaml|weights.h5] [epochs=20] [batch=16]
--        [n_train=256] [n_val=64] [imgsz=256] [seed=0] [save_dir=runs/jobs/quickstart]
-- Training starts from model= (default: yolov8n-pose.yaml from scratch); epochs=0 skips it and uses
-- model= as it is. All outputs go under the job folder; run.json there records the job.
local cpose = require "cpose"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"

local kw = jobs.kwargs{"model", "n_train", "n_val", "imgsz", "epochs", "batch"}
local n_train = math.tointeger(jobs.number(kw, "n_train", 256, "the number of synthetic train images (e.g. n_train=64)"))
local n_val = math.tointeger(jobs.number(kw, "n_val", 64, "the number of synthetic val images (e.g. n_val=16)"))
local imgsz = math.tointeger(jobs.number(kw, "imgsz", 256, "an image size in pixels (e.g. imgsz=320)"))
if not (n_train and n_val and imgsz) or n_train < 1 or n_val < 1 or imgsz < 32 then
  error("n_train= and n_val= must be positive integers and imgsz= an integer ≥ 32", 0)
end
local epochs = math.tointeger(jobs.number(kw, "epochs", 20, "a number of epochs (e.g. epochs=10; 0 skips training)"))
local batch = math.tointeger(jobs.number(kw, "batch", 16, "a batch size (e.g. batch=16)"))
if not (epochs and batch) or epochs < 0 or batch < 1 then error("epochs= must be an integer ≥ 0 and batch= ≥ 1", 0) end
local seed = math.tointeger(jobs.number(kw, "seed", 0))
local t0 = os.time()
local dir = jobs.abspath(cpose.job.dir())
print("quickstart: job folder " .. dir)

-- 1. the synthetic dataset (COCO JSON + JPEGs + YOLO labels + dataset YAML)
local syn = cpose.synth{save_dir = dir .. "/synth-pose", n_train = n_train, n_val = n_val, imgsz = imgsz,
                        seed = seed, exist_ok = true}
print(string.format("[1/7] synth: %d train + %d val images → %s", syn.n_train, syn.n_val, syn.save_dir))

-- 2. COCO JSON → YOLO pose labels, the way Ultralytics' published label sets are written
local conv = cpose.convert_coco{json_dir = syn.save_dir .. "/annotations", save_dir = dir .. "/converted",
                                style = "ultralytics", exist_ok = true}
print(string.format("[2/7] convert_coco: %d label files, %d rows, %d annotations skipped → %s",
  conv.images, conv.lines, conv.skipped, dir .. "/converted"))

-- 3. verify: the converted labels match the generator's own (same files, rows, classes and
-- visibility; coordinates within half a pixel, since the COCO JSON rounds them), then scan the
-- dataset like `cpose check` (images, labels, duplicates, caches)
local function read_rows(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local rows = {}
  for line in f:lines() do
    local row = {}
    for w in line:gmatch("%S+") do row[#row + 1] = tonumber(w) end
    if #row > 0 then rows[#rows + 1] = row end
  end
  f:close()
  return rows
end
local function rows_match(a, b, tol)
  if not a or not b or #a ~= #b then return false end
  for i = 1, #a do
    if #a[i] ~= #b[i] or a[i][1] ~= b[i][1] then return false end
    for j = 2, #a[i] do
      local is_vis = j > 5 and (j - 5) % 3 == 0
      if is_vis and a[i][j] ~= b[i][j] then return false end
      if math.abs(a[i][j] - b[i][j]) > tol then return false end
    end
  end
  return true
end
local mismatched, compared = {}, 0
for _, split in ipairs{"train", "val"} do
  local ls = io.popen("ls '" .. syn.save_dir .. "/labels/" .. split .. "'")
  for name in ls:lines() do
    if name:match("%.txt$") then
      compared = compared + 1
      local want = read_rows(syn.save_dir .. "/labels/" .. split .. "/" .. name)
      local got = read_rows(dir .. "/converted/labels/person_keypoints_" .. split .. "/" .. name)
      if not rows_match(got, want, 0.5 / imgsz) then mismatched[#mismatched + 1] = split .. "/" .. name end
    end
  end
  ls:close()
end
if #mismatched > 0 or compared ~= syn.n_train + syn.n_val then
  error(string.format("verify: %d of %d converted label files differ from the generator's (first: %s); %d images",
    #mismatched, compared, mismatched[1] or "-", syn.n_train + syn.n_val), 0)
end
jobs.check(syn.yaml)
print(string.format("[3/7] verify: %d converted label files match the generator's (±0.5 px); dataset scan passed", compared))

-- 4. train briefly (Ultralytics' loop, EMA validation each epoch, runs into <job>/train)
local source = kw.model or "yolov8n-pose.yaml"
local model <close> = cpose.YOLO(source)
if epochs > 0 then
  local tr = model:train{data = syn.yaml, epochs = epochs, imgsz = imgsz, batch = batch, seed = seed, workers = 2,
                         project = dir, name = "train", exist_ok = true}
  source = tr.best
  print(string.format("[4/7] train: %d epochs from %s, best epoch %d: Box mAP50-95 %.4f | Pose mAP50 %.4f → %s",
    tr.epochs, kw.model or "yolov8n-pose.yaml", tr.best_epoch, tr.box.map, tr.pose.map50, tr.save_dir))
  cpose.job.output(tr.best)
else
  print("[4/7] train: skipped (epochs=0); using " .. source)
end

-- 5. predict on the val images with the trained model (or model= as given when epochs=0)
local images = syn.save_dir .. "/images/val"
local preds = model:predict{source = images, imgsz = imgsz, save = true, project = dir, name = "predict",
                            exist_ok = true, verbose = false}
local people = 0
for _, r in ipairs(preds) do people = people + #r.boxes end
print(string.format("[5/7] predict (%s): %d images, %d people at conf 0.25 → %s", source, #preds, people,
  dir .. "/predict"))

-- 6. validate on the synthetic val split: Ultralytics metrics, predictions.json, COCOeval
local m = jobs.val(model, {data = syn.yaml, imgsz = imgsz, batch = 8, save_json = true,
                          anno_json = syn.save_dir .. "/annotations/person_keypoints_val.json",
                          project = dir, name = "val", plots = true})
print(string.format("[6/7] val: Box mAP50 %.4f mAP50-95 %.4f | Pose mAP50 %.4f mAP50-95 %.4f → %s",
  m.box.map50, m.box.map, m.pose.map50, m.pose.map, m.save_dir or (dir .. "/val")))
for _, kind in ipairs{"box", "pose"} do
  cpose.job.metric(kind .. "_map50", m[kind].map50)
  cpose.job.metric(kind .. "_map50_95", m[kind].map)
end
local coco = m.cocoeval
if coco and coco.keypoints then
  print(string.format("      COCOeval keypoints AP %.4f AP50 %.4f; bbox AP %.4f AP50 %.4f", coco.keypoints[1],
    coco.keypoints[2], coco.bbox[1], coco.bbox[2]))
  cpose.job.metric("coco_keypoints_ap", coco.keypoints[1])
  cpose.job.metric("coco_bbox_ap", coco.bbox[1])
end
-- 7. export to every format whose exporter plugin is built (scripts/lib/cpose_export_all.lua, as
-- scripts/export-all.lua): each export read back where cpose can run it and compared with the model
-- on one image; the table goes to export_all.{md,json,csv}. No format is skipped: at the quickstart's
-- size they all take under a second (engine fails at once without TensorRT, and says so in the table).
local ea = require "cpose_export_all"
local rows = ea.run{model = source, imgsz = imgsz, dir = dir, quiet = true}
local report = ea.write_report(dir, rows, string.format("export-all: %s at imgsz=%d", source, imgsz))
local onnx, onnx_size, n_ok = nil, 0, 0
for _, r in ipairs(rows) do
  if r.format == "onnx" and r.file then onnx, onnx_size = r.file, r.size_mb end
  if r.status == "ok" then n_ok = n_ok + 1 end
  if r.file then cpose.job.output(r.file) end
end
print(string.format("[7/7] export: onnx %.1f MB → %s", onnx_size, onnx or "(failed)"))
print(string.format("      export-all: %d formats, %d read back and matched the model → %s", #rows, n_ok, report))
cpose.job.metric("export_formats_ok", n_ok)

print(string.format("quickstart: done in %d s", os.time() - t0))
for _, row in ipairs{{"dataset", syn.save_dir}, {"labels", dir .. "/converted"}, {"predictions", dir .. "/predict"},
                     {"validation", m.save_dir or (dir .. "/val")}, {"onnx", onnx or "-"}, {"exports", report},
                     {"record", dir .. "/run.json"}} do
  print(string.format("  %-12s %s", row[1], row[2]))
end
return {dataset = syn.yaml, model = source, box = m.box, pose = m.pose, cocoeval = coco, onnx = onnx}
