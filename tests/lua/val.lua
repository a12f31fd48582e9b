-- tests/lua/val.lua — model:val{} on coco8-pose (fixture) with the bncal weights: the metrics equal
-- what Ultralytics 8.1.47 printed for the same weights and images (fixtures/ultralytics/
-- val-coco8-pose/README.md), the result has Ultralytics' shape, and errors name the problem.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local root = require "fixtures"
local cpose = require "cpose"

local dir = cpose.job.dir()
local yaml = dir .. "/coco8-pose.yaml"
-- a copy of the fixture: the label cache val writes goes there, never beside the fixtures
assert(os.execute("rm -rf '" .. dir .. "/coco8-pose' && cp -r '" .. root .. "/coco8-pose' '" .. dir
                  .. "/coco8-pose' && chmod -R u+w '" .. dir .. "/coco8-pose'"), "copy of coco8-pose")
local f = cpose.job.open(yaml)
f:write("path: ", dir, "/coco8-pose\ntrain: images/train\nval: images/val\nkpt_shape: [17, 3]\n",
        "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\nnames:\n  0: person\n")
f:commit()

local model <close> = cpose.YOLO(root .. "/ultralytics/yolov8n-pose-seed0-bncal.h5")
local m = model:val{data = yaml, imgsz = 640, batch = 4, plots = false, project = dir, name = "val", exist_ok = true,
                    verbose = false}
-- Ultralytics: all 4 14 | Box 0.00955 0.429 0.00599 0.00334 | Pose 0 0 0 0 (printed to 3 significant digits)
T.eq(m.images, 4, "images")
T.eq(m.instances, 14, "instances")
T.ok(math.abs(m.box.mp - 0.00955) < 5e-6, "box P " .. m.box.mp)
T.ok(math.abs(m.box.mr - 0.429) < 5e-4, "box R " .. m.box.mr)
T.ok(math.abs(m.box.map50 - 0.00599) < 5e-6, "box mAP50 " .. m.box.map50)
T.ok(math.abs(m.box.map - 0.00334) < 5e-6, "box mAP50-95 " .. m.box.map)
T.eq(m.pose.mp, 0, "pose P")
T.eq(m.pose.map50, 0, "pose mAP50")
T.eq(m.pose.map, 0, "pose mAP50-95")
T.eq(#m.box.maps, 1, "maps per class")
T.eq(m.box.maps[1], m.box.map, "maps[1] is class 0")
T.ok(m.speed.inference > 0, "speed")
-- Ultralytics' PoseMetrics.fitness: Σ over box and pose of 0.1·mAP50 + 0.9·mAP50-95
local fit = 0.1 * m.box.map50 + 0.9 * m.box.map + 0.1 * m.pose.map50 + 0.9 * m.pose.map
T.ok(math.abs(m.fitness - fit) < 1e-12, "fitness " .. m.fitness)
T.eq(m.save_dir, dir .. "/val", "save_dir")
T.ok(#m.files > 0, "files written")

T.raises({"cpose.Model:val", "data="}, function() return model:val{imgsz = 320} end)
T.raises({"cpose.Model:val", "'test'"}, function() return model:val{data = yaml, split = "test"} end)
return T.finish()
