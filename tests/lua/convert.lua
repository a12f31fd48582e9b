-- tests/lua/convert.lua — cpose.convert_coco{} from a job: the labels equal JSON2YOLO's output for
-- the fixture (byte for byte), the result table counts them, the job record lists the input JSON,
-- and bad arguments fail with the C message. Skips (77) without ../shared/fixtures.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local root = require "fixtures"

local function read(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local out = cpose.job.dir() .. "/converted"
local r = cpose.convert_coco{json_dir = root .. "/json2yolo/in", save_dir = out, exist_ok = true}
T.eq(r.save_dir, out, "result.save_dir")
T.eq(r.json, 1, "one JSON file")

-- JSON2YOLO's own output for the same file (fixtures/json2yolo/out) is the reference
local ls = io.popen("ls '" .. root .. "/json2yolo/out/labels/test_coco'")
local files, lines = 0, 0
for name in ls:lines() do
  local want = read(root .. "/json2yolo/out/labels/test_coco/" .. name)
  T.eq(read(out .. "/labels/test_coco/" .. name), want, "labels/test_coco/" .. name)
  files = files + 1
  for _ in want:gmatch("\n") do lines = lines + 1 end
end
ls:close()
T.ok(files > 0, "fixture labels found")
T.eq(r.images, files, "label files written")
T.eq(r.lines, lines, "rows written")
T.eq(read(out .. "/test_coco.yaml"), read(root .. "/json2yolo/out/test_coco.yaml"), "names YAML")

-- errors keep the converter's message, prefixed by the function
T.raises({"cpose.convert_coco", "json_dir is required"}, cpose.convert_coco, {save_dir = out .. "2"})
T.raises({"cpose.convert_coco", "style=bogus"}, cpose.convert_coco, {json_dir = root .. "/json2yolo/in", style = "bogus"})
T.raises({"cpose.convert_coco", "'json_dri'", "'json_dir'"}, cpose.convert_coco, {json_dri = "x"})
T.raises({"cpose.convert_coco", "exists and is not empty"}, cpose.convert_coco,
         {json_dir = root .. "/json2yolo/in", save_dir = out})
T.eq(cpose.info().available["cpose.convert_coco"], true, "convert_coco is available")
return T.finish()
