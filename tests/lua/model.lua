-- tests/lua/model.lua — cpose.YOLO and the cpose.Model userdata: argument checks in every method,
-- the not-available errors of parts not in this build, __close/__tostring/__index.
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

-- argument errors come first, in every method, and name the nearest valid key
T.raises({"cpose.Model:predict", "'confx'", "'conf'"}, function() return model:predict{confx = 0.5} end)
T.raises({"cpose.Model:val", "'dataa'", "'data'"}, function() return model:val{dataa = "coco8-pose.yaml"} end)
T.raises({"cpose.Model:train", "'epoch'", "'epochs'"}, function() return model:train{epoch = 3} end)
T.raises({"cpose.Model:export", "'fromat'", "'format'"}, function() return model:export{fromat = "onnx"} end)
T.raises({"cpose.Model:predict", "conf", "number"}, function() return model:predict{conf = "x"} end)
T.raises({"cpose.Model:predict", "expected a table"}, function() return model:predict(42) end)

-- valid arguments reach the part, which this build does not have
T.raises({"cpose.Model:predict is not available in this build", "needs"}, function()
  return model:predict{source = "images/", conf = 0.25}
end)
T.raises({"cpose.Model:predict is not available"}, function() return model:predict("bus.jpg", {conf = 0.3}) end)
T.raises({"cpose.Model:val is not available in this build"}, function() return model:val{data = "coco8-pose.yaml"} end)
T.raises({"cpose.Model:val is not available"}, function() return model:val() end)
T.raises({"cpose.Model:train is not available in this build"}, function() return model:train{epochs = 1} end)
T.raises({"cpose.Model:export is not available in this build"}, function() return model:export{format = "onnx"} end)
T.raises({"cpose.Model:info is not available"}, function() return model:info() end)

-- misuse
T.raises({"bad argument #1 to 'cpose.YOLO'", "string expected"}, cpose.YOLO, {})
T.raises({"bad argument #1 to 'cpose.YOLO'", "empty model name"}, cpose.YOLO, "")
T.raises({"cpose.Model expected"}, model.predict, "not a model", {})

-- __close releases at scope exit; the closed model refuses use
local kept
do
  local m <close> = cpose.YOLO("yolov8s-pose.yaml")
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
