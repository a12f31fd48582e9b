-- scripts/experiment.lua — one recorded experiment: train a model on a dataset, validate the trained
-- weights, predict on the val images and export them to ONNX. run.json in the job folder records the
-- inputs (dataset YAML, images, labels), the outputs (weights, results.csv, predictions, the .onnx), every
-- metric and, as the job's result, the per-epoch history.
--   cpose run scripts/experiment.lua data=D.yaml [model=yolov8n-pose.yaml] [epochs=100] [imgsz=640]
--       [batch=16] [export=onnx|none] [any other train argument: lr0=, workers=, optimizer=, ...]
--       [seed=0] [threads=N] [save_dir=DIR]
-- Rerunning with the same seed and threads reproduces every metric in run.json exactly (times are kept
-- out of the metrics). Metrics: the trainer's (results.csv column names: train/box_loss, lr/pg0,
-- metrics/mAP50(B), ... as the final validation of best.h5 left them), val/... of the separate
-- validation, predict/... counts of the prediction step.
local cpose = require "cpose"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"

-- script keys; every other key is a train argument, checked by model:train against the shared table
local SCRIPT_KEYS = {model = true, export = true}
local RUNNER_KEYS = {threads = true, seed = true, save_dir = true, verbose = true}
local kw = jobs.kwargs()
if not kw.data or kw.data == "" then
  jobs.usage_error("experiment.lua: data= is required (a dataset YAML, e.g. data=coco8-pose.yaml)")
end
local export = kw.export or "onnx"
if export ~= "onnx" and export ~= "none" then
  jobs.usage_error("experiment.lua: export=" .. export .. ": use export=onnx or export=none")
end
local seed = math.tointeger(jobs.number(kw, "seed", 0, "an integer seed (e.g. seed=0)"))
if not seed then jobs.usage_error("experiment.lua: seed= must be an integer") end
local source = kw.model or "yolov8n-pose.yaml"
local dir = jobs.abspath(cpose.job.dir())
local t0 = os.time()
print("experiment: job folder " .. dir)

local train_args = {project = dir, name = "train", exist_ok = true, seed = seed}
for k, v in pairs(kw) do
  if not SCRIPT_KEYS[k] and not RUNNER_KEYS[k] then train_args[k] = v end
end

-- 1. train (a YAML model starts from weights drawn with the same seed)
local model <close> = cpose.YOLO(source, {seed = seed})
local history = {}
train_args.on_epoch_end = function(e)
  history[#history + 1] = {epoch = e.epoch, losses = e.losses, metrics = e.metrics, fitness = e.fitness,
                           lr = e.lr, instances = e.instances}
end
local tr = model:train(train_args)
print(string.format("[1/4] train: %d epochs (%s), best fitness %.5f at epoch %d → %s", tr.epochs, tr.stopped,
  tr.best_fitness, tr.best_epoch, tr.save_dir))

-- 2. validate the trained weights (the model now holds best.h5) on the val split
local imgsz = kw.imgsz
local v = jobs.val(model, {data = kw.data, imgsz = imgsz, batch = kw.batch, project = dir, name = "val",
                           exist_ok = true, verbose = false})
local tags = {box = "B", pose = "P"}
for kind, tag in pairs(tags) do
  cpose.job.metric("val/precision(" .. tag .. ")", v[kind].mp)
  cpose.job.metric("val/recall(" .. tag .. ")", v[kind].mr)
  cpose.job.metric("val/mAP50(" .. tag .. ")", v[kind].map50)
  cpose.job.metric("val/mAP50-95(" .. tag .. ")", v[kind].map)
end
cpose.job.metric("val/fitness", v.fitness)
print(string.format("[2/4] val: Box mAP50 %.4f mAP50-95 %.4f | Pose mAP50 %.4f mAP50-95 %.4f → %s",
  v.box.map50, v.box.map, v.pose.map50, v.pose.map, v.save_dir or (dir .. "/val")))

-- 3. predict on the val images (annotated copies saved)
local ds = cpose.dataset{data = kw.data}
local images, people, score_sum = 0, 0, 0
for _, entry in ipairs(ds.val) do
  local preds = model:predict{source = entry, imgsz = imgsz, save = true, project = dir, name = "predict",
                              exist_ok = true, verbose = false}
  for _, r in ipairs(preds) do
    images = images + 1
    people = people + #r.scores
    for _, s in ipairs(r.scores) do score_sum = score_sum + s end
  end
end
cpose.job.metric("predict/images", images)
cpose.job.metric("predict/people", people)
cpose.job.metric("predict/mean_score", people > 0 and score_sum / people or 0)
print(string.format("[3/4] predict: %d images, %d people at conf 0.25 → %s", images, people, dir .. "/predict"))

-- 4. export the trained weights
local onnx
if export == "onnx" then
  onnx = model:export{format = "onnx", imgsz = imgsz, project = dir, name = "export", exist_ok = true}
  cpose.job.output(onnx)
  print("[4/4] export: " .. onnx)
else
  print("[4/4] export: skipped (export=none)")
end

print(string.format("experiment: done in %d s; record %s/run.json", os.time() - t0, dir))
return {
  data = ds.yaml, model = source, seed = seed,
  train = {save_dir = tr.save_dir, best = tr.best, last = tr.last, epochs = tr.epochs, stopped = tr.stopped,
           best_fitness = tr.best_fitness, best_epoch = tr.best_epoch, box = tr.box, pose = tr.pose, history = history},
  val = {box = v.box, pose = v.pose, fitness = v.fitness, save_dir = v.save_dir},
  predict = {images = images, people = people, save_dir = dir .. "/predict"},
  onnx = onnx,
}
