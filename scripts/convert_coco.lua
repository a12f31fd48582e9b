-- scripts/convert_coco.lua — job: a folder of COCO keypoint JSON → YOLO pose labels (+ a dataset YAML
-- with style=ultralytics), with run.json (inputs with sha256, counts) in save_dir beside the labels.
--   cpose run scripts/convert_coco.lua json_dir=annotations/ save_dir=coco-pose [style=ultralytics]
--                                     [cls91to80=True] [use_keypoints=False] [exist_ok=True] [strict=True]
local cpose = require "cpose"

local kw = {}
for k, v in pairs(arg) do
  if type(k) == "string" then kw[k] = v end -- the key=value words; plain words are not arguments
end
if not kw.json_dir then
  error("give json_dir=<folder of COCO *.json>, e.g. cpose run " .. arg[0] .. " json_dir=annotations/ save_dir=out", 0)
end
local r = cpose.convert_coco(kw)
print(string.format("convert_coco: %d JSON file(s) → %d label files, %d rows, %d annotations skipped%s",
  r.json, r.images, r.lines, r.skipped, r.yaml and ("; dataset YAML " .. r.yaml) or ""))
return r
