-- tests/lua/train.lua — model:train{} on a tiny synthetic set (generated here): the on_epoch_end callback
-- receives each epoch's losses, metrics and learning rates (checked against Ultralytics' warmup formulas
-- worked out by hand) and stops the run by returning false; the result holds the final metrics and the
-- run's files; the model object then holds the trained weights; a failing callback stops the run and
-- raises its message.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
-- run folders are reused (exist_ok): start from empty ones, results.csv appends
assert(os.execute("rm -rf '" .. dir .. "/stop' '" .. dir .. "/fail'"), "clean run folders")
local d = cpose.synth{save_dir = dir .. "/synth", n_train = 8, n_val = 4, imgsz = 64, seed = 0, exist_ok = true}
local common = {data = d.yaml, imgsz = 64, batch = 4, workers = 0, optimizer = "SGD", seed = 0, threads = 2,
                plots = false, project = dir, exist_ok = true}
local function args(extra)
  local t = {}
  for k, v in pairs(common) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

local model <close> = cpose.YOLO("yolov8n-pose.yaml")
local seen = {}
local r = model:train(args{epochs = 3, name = "stop", on_epoch_end = function(e)
  seen[#seen + 1] = e
  T.raises({"busy"}, function() return model:info() end) -- the model is in use during its own training
  return e.epoch < 2                                     -- false after epoch 2: stop there
end})

T.eq(#seen, 2, "the callback ran after epochs 1 and 2, then stopped the run")
T.eq(r.stopped, "callback", "stopped by the callback")
T.eq(r.epochs, 2, "two epochs done")
for i, e in ipairs(seen) do
  T.eq(e.epoch, i, "epochs count from 1")
  T.eq(e.epochs, 3, "the planned epochs")
  for _, k in ipairs{"box", "pose", "kobj", "cls", "dfl"} do
    T.ok(e.losses[k] > 0 and e.losses[k] < 1e3, "epoch " .. i .. " " .. k .. " loss " .. e.losses[k])
    T.eq(e.row["train/" .. k .. "_loss"], e.losses[k], "row train/" .. k .. "_loss")
  end
  T.eq(e.validated, true, "validated every epoch")
  for _, t in ipairs{"box", "pose"} do
    for _, k in ipairs{"mp", "mr", "map50", "map"} do
      local v = e.metrics[t][k]
      T.ok(v >= 0 and v <= 1, t .. "." .. k .. " in [0, 1]")
    end
  end
  T.eq(e.row["metrics/mAP50-95(P)"], e.metrics.pose.map, "row metrics/mAP50-95(P)")
  T.ok(math.abs(e.fitness - (0.1 * e.metrics.box.map50 + 0.9 * e.metrics.box.map + 0.1 * e.metrics.pose.map50
                             + 0.9 * e.metrics.pose.map)) < 1e-12, "fitness")
  T.ok(e.instances > 0, "instances seen")
end
-- the lr after an epoch is its last batch's: 8 images / batch 4 = 2 batches, warmup nw = 100 (the floor),
-- SGD lr0 0.01, lrf 0.01 linear over 3 epochs. Epoch 1 ends at ni 1, epoch 2 at ni 3.
local function lr_at(epoch0, ni)
  local lf = (1 - epoch0 / 3) * 0.99 + 0.01
  return 0.1 + (0.01 * lf - 0.1) * ni / 100, 0.01 * lf * ni / 100
end
for i, ni in ipairs{1, 3} do
  local bias, other = lr_at(i - 1, ni)
  T.ok(math.abs(seen[i].lr[1] - bias) < 1e-12, "epoch " .. i .. " lr/pg0 " .. seen[i].lr[1] .. " want " .. bias)
  T.ok(math.abs(seen[i].lr[2] - other) < 1e-12, "epoch " .. i .. " lr/pg1")
  T.ok(math.abs(seen[i].lr[3] - other) < 1e-12, "epoch " .. i .. " lr/pg2")
end

-- the result: best.h5 validated once more (model:val's shape), the run folder and its files
T.eq(r.save_dir, dir .. "/stop", "save_dir = project/name")
T.eq(r.best, dir .. "/stop/weights/best.h5", "best.h5")
T.eq(r.last, dir .. "/stop/weights/last.h5", "last.h5")
T.ok(r.box and r.pose and r.box.map >= 0 and r.pose.map50 >= 0, "final metrics of B and P")
T.eq(r.images, 4, "validated on the 4 val images")
T.eq(r.final.epoch, 2, "the final row is epoch 2's")
T.eq(r.final.losses.box, seen[2].losses.box, "final row = what the callback saw")
local csv = io.open(r.save_dir .. "/results.csv"):read("a")
local rows = 0
for _ in csv:gmatch("\n%s*%d+,") do rows = rows + 1 end
T.eq(rows, 2, "results.csv has the two epochs")
T.ok(io.open(r.save_dir .. "/args.yaml"), "args.yaml")
-- the model now holds the trained weights, as Ultralytics reloads best.pt
T.eq(model.source, r.best, "the model is the trained one")
T.eq(model:info().params, 3295470, "still yolov8n-pose after reloading (Ultralytics: 3,295,470 parameters)")

-- a failing callback stops the run after its first epoch and raises its message; the model stays usable
local calls = 0
T.raises({"cpose.Model:train", "the on_epoch_end callback failed", "boom at epoch 1"}, function()
  return model:train(args{epochs = 2, name = "fail", on_epoch_end = function(e)
    calls = calls + 1
    error("boom at epoch " .. e.epoch)
  end})
end)
T.eq(calls, 1, "no call after the error")
T.ok(model:info().params > 0, "the model is usable after a failed callback")
return T.finish()
