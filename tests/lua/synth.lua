-- tests/lua/synth.lua — cpose.synth{}: the tree it writes has the requested counts, the same seed
-- gives the same bytes and another seed other bytes, and bad arguments fail with the C message.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function count(folder, ext)
  local p = io.popen("ls '" .. folder .. "'")
  local n = 0
  for name in p:lines() do if name:sub(-#ext) == ext then n = n + 1 end end
  p:close()
  return n
end

local r = cpose.synth{save_dir = dir .. "/a", n_train = 3, n_val = 2, imgsz = 96, seed = 5, exist_ok = true}
T.eq(r.save_dir, dir .. "/a", "save_dir")
T.eq(r.yaml, dir .. "/a/synth-pose.yaml", "yaml")
T.eq(r.n_train, 3, "train count")
T.eq(r.n_val, 2, "val count")
T.eq(count(dir .. "/a/images/train", ".jpg"), 3, "train images")
T.eq(count(dir .. "/a/images/val", ".jpg"), 2, "val images")
local ann = cpose.read_json(dir .. "/a/annotations/person_keypoints_val.json")
T.eq(#ann.images, 2, "val images in the COCO JSON")
T.eq(#ann.categories[1].keypoints, 17, "17 keypoint names")

local again = cpose.synth{save_dir = dir .. "/b", n_train = 3, n_val = 2, imgsz = 96, seed = 5, exist_ok = true}
local other = cpose.synth{save_dir = dir .. "/c", n_train = 3, n_val = 2, imgsz = 96, seed = 6, exist_ok = true}
local a_json = read(dir .. "/a/annotations/person_keypoints_train.json")
T.eq(read(again.save_dir .. "/annotations/person_keypoints_train.json"), a_json, "same seed, same bytes")
T.ok(read(other.save_dir .. "/annotations/person_keypoints_train.json") ~= a_json, "another seed differs")

T.raises({"cpose.synth", "val=some"}, cpose.synth, {save_dir = dir .. "/d", n_val = "some"})
T.raises({"cpose.synth", "train", "integer"}, cpose.synth, {save_dir = dir .. "/d", n_train = 1.5})
T.raises({"cpose.synth", "exist_ok"}, cpose.synth, {save_dir = dir .. "/a", n_train = 1, n_val = 1, imgsz = 64})
return T.finish()
