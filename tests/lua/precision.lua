-- tests/lua/precision.lua — half= and int8= on model:predict{} and model:val{} (Ultralytics'
-- model.predict(int8=True, data=...)): int8 changes the outputs (calibrated on the data= val images)
-- but keeps them close to float32; the model is float32 again for the next call (bit-identical
-- results); half=true runs (bf16 where the CPU has it, else float32 with a message); int8 without data=
-- calibrates on the model's train_args data, and fails naming data= where the model has none. Synthetic images; the weights are yolov8n-pose.yaml's trained one
-- epoch on them (freshly generated weights give saturated, precision-blind outputs).
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local syn = cpose.synth{save_dir = dir .. "/syn", n_train = 8, n_val = 4, imgsz = 160, seed = 4, exist_ok = true}
local src = syn.save_dir .. "/images/val"
local model <close> = cpose.YOLO("yolov8n-pose.yaml")
model:train{data = syn.yaml, epochs = 1, imgsz = 160, batch = 8, workers = 0, val = false, plots = false,
            project = dir, name = "train", exist_ok = true, verbose = false}
local function run(extra)
  local a = {source = src, imgsz = 160, conf = 0.001, verbose = false}
  for k, v in pairs(extra or {}) do a[k] = v end
  return model:predict(a)
end

-- every box and score of two predict results, in order: equal (bit for bit) or not
local function same(x, y)
  if #x ~= #y then return false end
  for i = 1, #x do
    if #x[i].scores ~= #y[i].scores then return false end
    for j = 1, #x[i].scores do
      if x[i].scores[j] ~= y[i].scores[j] then return false end
      for c = 1, 4 do if x[i].boxes[j][c] ~= y[i].boxes[j][c] then return false end end
    end
  end
  return true
end
local function top(r)
  local best = 0
  for _, s in ipairs(r.scores) do if s > best then best = s end end
  return best
end

local f32 = run()
T.eq(#f32, 4, "float32: one result per image")
for i = 1, 4 do T.ok(#f32[i].scores > 0, "float32 detections in image " .. i) end
T.ok(same(f32, run()), "float32 runs are repeatable")

local i8 = run{int8 = true, data = syn.yaml}
T.eq(#i8, 4, "int8: one result per image")
T.ok(not same(i8, f32), "int8=true changes the outputs (the convolutions ran in int8)")
for i = 1, 4 do
  T.ok(#i8[i].scores > 0, "int8 detections in image " .. i)
  -- the best score of each image within a factor e of float32's (int8 on random weights: a few % in the logits)
  T.ok(math.abs(math.log(top(i8[i])) - math.log(top(f32[i]))) < 1.0,
       string.format("int8 best score %.5g near float32's %.5g (image %d)", top(i8[i]), top(f32[i]), i))
end
T.ok(same(run(), f32), "after int8=true the model is float32 again")

local half = run{half = true}
T.eq(#half, 4, "half: one result per image")
T.ok(same(run(), f32), "after half=true the model is float32 again")

local m8 = model:val{data = syn.yaml, imgsz = 160, batch = 2, int8 = true, plots = false, project = dir, name = "val8",
                     exist_ok = true, verbose = false}
T.eq(m8.images, 4, "int8 val saw the 4 images")
T.ok(type(m8.box.map) == "number" and m8.box.map >= 0, "int8 val box mAP")
T.ok(same(run(), f32), "after val int8=true the model is float32 again")

-- without data= int8 calibrates on the data the model was trained on (its train_args), here the same set
T.ok(same(run{int8 = true}, i8), "int8=true without data= uses the model's train_args data")
T.ok(same(run(), f32), "float32 again")

local fresh <close> = cpose.YOLO("yolov8n-pose.yaml")
T.raises({"cpose.Model:predict", "int8=True needs data="}, fresh.predict, fresh, {source = src, imgsz = 160, int8 = true})
T.eq(#fresh:predict{source = src, imgsz = 160, verbose = false}, 4, "after a failed int8 call the model still predicts")
return T.finish()
