-- tests/lua/predict.lua — model:predict{} on four images: one result per image in source order,
-- original sizes known from the files, detections well formed and sorted, the positional form, and
-- the same rows `cpose predict` writes to predictions.json. With ../shared/fixtures: coco8-pose's val
-- images and the bncal weights; without: four synthetic images (cpose.synth, 160 px) and weights
-- generated from yolov8n-pose.yaml (seed 0).
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local root = os.getenv("CPOSE_FIXTURES") or ((os.getenv("CPOSE_SOURCE_DIR") or ".") .. "/../shared/fixtures")
local weights, src, want
local probe = io.open(root .. "/ultralytics/yolov8n-pose-seed0-bncal.h5", "rb")
local dir = cpose.job.dir()
if probe then
  probe:close()
  weights, src = root .. "/ultralytics/yolov8n-pose-seed0-bncal.h5", root .. "/coco8-pose/images/val"
  -- width × height of the four images (from the JPEG headers)
  want = {{"000000000110", 640, 480}, {"000000000113", 416, 640}, {"000000000136", 500, 374},
          {"000000000151", 480, 640}}
else
  print("note: ../shared/fixtures not found: synthetic images and generated weights")
  local syn = cpose.synth{save_dir = dir .. "/syn", n_train = 1, n_val = 4, imgsz = 160, seed = 2, exist_ok = true}
  weights, src = "yolov8n-pose.yaml", syn.save_dir .. "/images/val"
  -- width × height read here from each JPEG's SOF marker (not through cpose)
  local function jpeg_size(path)
    local f = assert(io.open(path, "rb"))
    local b = f:read("a")
    f:close()
    local i = 3
    while i < #b do
      local marker, len = b:byte(i + 1), b:byte(i + 2) * 256 + b:byte(i + 3)
      if marker >= 0xC0 and marker <= 0xC3 then
        return b:byte(i + 7) * 256 + b:byte(i + 8), b:byte(i + 5) * 256 + b:byte(i + 6)
      end
      i = i + 2 + len
    end
    error("no SOF marker in " .. path)
  end
  want = {}
  for k = 1, 4 do
    local stem = string.format("%012d", k)
    local w, h = jpeg_size(src .. "/" .. stem .. ".jpg")
    want[k] = {stem, w, h}
  end
end
local second = src .. "/" .. want[2][1] .. ".jpg"

local model <close> = cpose.YOLO(weights)
local res = model:predict{source = src, imgsz = 320, conf = 0.001, save_json = true, project = dir, name = "predict",
                          exist_ok = true, verbose = false}
T.eq(#res, 4, "one result per image")
local total = 0
for i, w in ipairs(want) do
  local r = res[i]
  T.ok(r.path:find(w[1] .. ".jpg", 1, true), "source order: " .. r.path)
  T.eq(r.orig_shape[1], w[3], "height of " .. w[1])
  T.eq(r.orig_shape[2], w[2], "width of " .. w[1])
  local n = #r.scores
  T.ok(n > 0 and n <= 300, "detections within max_det")
  T.eq(#r.boxes, n, "boxes")
  T.eq(#r.classes, n, "classes")
  T.eq(#r.keypoints, n, "keypoints")
  for j = 1, n do
    local b = r.boxes[j]
    T.ok(0 <= b[1] and b[1] <= b[3] and b[3] <= w[2] and 0 <= b[2] and b[2] <= b[4] and b[4] <= w[3], "box inside")
    T.ok(r.scores[j] >= 0.001 and r.scores[j] <= 1, "score range")
    if j > 1 then T.ok(r.scores[j] <= r.scores[j - 1], "scores descending") end
    T.eq(r.classes[j], 0, "class 0")
    T.eq(#r.keypoints[j], 17, "17 keypoints")
    T.eq(#r.keypoints[j][1], 3, "x, y, conf")
  end
  T.ok(r.speed.inference > 0, "timed")
  total = total + n
end

-- predictions.json of the same run: one row per detection, same boxes (x, y, w, h)
local rows = cpose.read_json(dir .. "/predict/predictions.json")
T.eq(#rows, total, "predictions.json rows")
local first = rows[1]
local b = res[1].boxes[1]
T.ok(math.abs(first.bbox[1] - b[1]) < 1e-3 and math.abs(first.bbox[3] - (b[3] - b[1])) < 1e-3, "bbox matches")

-- the positional form as in Ultralytics: model:predict(source, {...})
local one = model:predict(second, {imgsz = 320, conf = 0.001, save = false, verbose = false})
T.eq(#one, 1, "one image")
T.eq(#one[1].scores, #res[2].scores, "same detections as in the folder run")
T.eq(one[1].scores[1], res[2].scores[1], "same top score")
-- with a callback: each result as it comes, nothing accumulated; the callback's errors stop the
-- run and come back with their traceback; the model cannot be used or closed from its callback
local seen = {}
local r = model:predict({source = src, imgsz = 320, conf = 0.001, save = false, verbose = false}, function(res)
  seen[#seen + 1] = res
end)
T.eq(r.images, 4, "callback: count returned")
T.eq(#seen, 4, "callback: every result")
T.eq(seen[3].path, res[3].path, "callback: same order")
T.eq(#seen[3].scores, #res[3].scores, "callback: same detections")
local n = 0
T.eq(model:predict(second, {imgsz = 320, conf = 0.001, verbose = false},
                  function(res) n = n + #res.scores end).images, 1, "positional + table + callback")
T.ok(n > 0, "positional + callback: detections")
-- as Ultralytics' Python API, model:predict saves nothing unless save = true (the CLI saves)
local saved = io.open("runs/pose/predict/" .. want[2][1] .. ".jpg", "rb")
T.eq(saved, nil, "nothing saved by default")
local calls = 0
local err = T.raises({"cpose.Model:predict", "the callback failed", "stop here", "stack traceback"}, function()
  return model:predict({source = src, imgsz = 320, verbose = false}, function()
    calls = calls + 1
    error("stop here")
  end)
end)
T.eq(calls, 1, "the run stopped at the first error")
T.raises({"busy"}, function()
  return model:predict({source = second, imgsz = 320, verbose = false}, function() model:close() end)
end)
T.raises({"busy"}, function()
  return model:predict({source = second, imgsz = 320, verbose = false}, function() model:info() end)
end)
T.eq(model.closed, false, "still usable after the refused close")
T.eq(model:info().params, 3295470, "and works")
T.raises({"cpose.Model:val takes no callback"}, function() return model:val({data = "x.yaml"}, print) end)
return T.finish()
