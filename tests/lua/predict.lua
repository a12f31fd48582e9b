-- tests/lua/predict.lua — model:predict{} on the coco8-pose val images with the bncal weights: one
-- result per image in source order, original sizes known from the files, detections well formed
-- and sorted, the positional form, and the same rows `cpose predict` writes to predictions.json.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local root = require "fixtures"
local cpose = require "cpose"

local model <close> = cpose.YOLO(root .. "/ultralytics/yolov8n-pose-seed0-bncal.h5")
local src = root .. "/coco8-pose/images/val"
local dir = cpose.job.dir()
local res = model:predict{source = src, imgsz = 320, conf = 0.001, save_json = true, project = dir, name = "predict",
                          exist_ok = true, verbose = false}
-- width × height of the four images (from the JPEG headers)
local want = {{"000000000110", 640, 480}, {"000000000113", 416, 640}, {"000000000136", 500, 374},
              {"000000000151", 480, 640}}
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
local one = model:predict(src .. "/000000000113.jpg", {imgsz = 320, conf = 0.001, save = false, verbose = false})
T.eq(#one, 1, "one image")
T.eq(#one[1].scores, #res[2].scores, "same detections as in the folder run")
T.eq(one[1].scores[1], res[2].scores[1], "same top score")
return T.finish()
