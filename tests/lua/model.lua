-- tests/lua/model.lua — cpose.YOLO and the cpose.Model userdata: loading, model:info() against
-- Ultralytics' published figures, argument checks in every method, the not-available errors of
-- parts not in this build, __close/__tostring/__index.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local model = cpose.YOLO("yolov8n-pose.yaml")
T.eq(type(model), "userdata", "YOLO returns a userdata")
T.eq(tostring(model), "cpose.Model(yolov8n-pose.yaml)", "__tostring")
T.eq(model.task, "pose", "model.task")
T.eq(model.source, "yolov8n-pose.yaml", "model.source")
T.eq(model.closed, false, "open")
T.eq(model.nonexistent, nil, "unknown field is nil")
T.eq(model.nc, 1, "one class")
T.eq(model.names[0], "person", "names[0]")
T.eq(model.kpt_shape[1], 17, "kpt_shape[1]")
T.eq(model.kpt_shape[2], 3, "kpt_shape[2]")
T.eq(model.stride, 32, "max stride")

-- YOLOv8n-pose summary as Ultralytics prints it (REFERENCE.md): 3,295,470 parameters, gradients =
-- params - 16 (frozen DFL), 9.2960 GFLOPs at 640; fused 3,289,964 / 9.1802
local info = model:info()
T.eq(info.name, "YOLOv8n-pose", "info.name")
T.eq(info.params, 3295470, "params")
T.eq(info.gradients, 3295470 - 16, "gradients")
T.ok(math.abs(info.gflops - 9.2960) < 5e-4, "GFLOPs " .. info.gflops)
local fused = model:info{fuse = true}
T.eq(fused.params, 3289964, "fused params")
T.ok(math.abs(fused.gflops - 9.1802) < 5e-4, "fused GFLOPs " .. fused.gflops)
T.eq(cpose.YOLO("yolov8s-pose.yaml"):info().params, 11626046, "the scale comes from the file name")

-- loading errors carry the loader's message
T.raises({"cpose.YOLO", "no-such-weights.h5"}, cpose.YOLO, "no-such-weights.h5")
T.raises({"cpose.YOLO", "'cgf'", "'cfg'"}, cpose.YOLO, "yolov8n-pose.yaml", {cgf = "x.yaml"})

-- argument errors come first, in every method, and name the nearest valid key
T.raises({"cpose.Model:predict", "'confx'", "'conf'"}, function() return model:predict{confx = 0.5} end)
T.raises({"cpose.Model:val", "'dataa'", "'data'"}, function() return model:val{dataa = "coco8-pose.yaml"} end)
T.raises({"cpose.Model:train", "'epoch'", "'epochs'"}, function() return model:train{epoch = 3} end)
T.raises({"cpose.Model:export", "'fromat'", "'format'"}, function() return model:export{fromat = "onnx"} end)
T.raises({"cpose.Model:predict", "conf", "number"}, function() return model:predict{conf = "x"} end)
T.raises({"cpose.Model:predict", "expected a table"}, function() return model:predict(42) end)

-- predict's own errors (the results are checked in tests/lua/predict.lua)
T.raises({"cpose.Model:predict", "no source given"}, function() return model:predict{conf = 0.25} end)
T.raises({"cpose.Model:predict", "no-such-folder"}, function() return model:predict("no-such-folder/", {save = false}) end)

-- valid arguments reach the trainer, which names what is missing (training itself: tests/lua/train.lua)
T.raises({"cpose.Model:train", "no dataset given"}, function() return model:train{epochs = 1} end)
T.raises({"cpose.Model:train", "model= is not taken here"}, function() return model:train{model = "x.yaml"} end)
T.raises({"cpose.Model:train", "'on_epoch_end' must be a function"}, function() return model:train{on_epoch_end = 1} end)
-- export is built: a format the plugins do not offer is refused by name (the export itself: tests/cli/export.sh)
T.raises({"cpose.Model:export", "unknown export format 'nope'"}, function() return model:export{format = "nope"} end)

-- misuse
T.raises({"bad argument #1 to 'cpose.YOLO'", "string expected"}, cpose.YOLO, {})
T.raises({"bad argument #1 to 'cpose.YOLO'", "empty model name"}, cpose.YOLO, "")
T.raises({"cpose.Model expected"}, model.predict, "not a model", {})

-- __close releases at scope exit; the closed model refuses use
local kept
do
  local m <close> = cpose.YOLO("yolov8n-pose.yaml")
  kept = m
  T.eq(kept.closed, false, "open inside the scope")
end
T.eq(kept.closed, true, "released by __close")
T.eq(tostring(kept), "cpose.Model(closed)", "__tostring of a closed model")
T.raises({"closed"}, function() return kept:predict{} end)
model:close()
T.eq(model.closed, true, "model:close()")
model:close() -- idempotent
return T.finish()
