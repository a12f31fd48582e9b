-- tests/lua/args.lua — Lua tables → the CLI's argument table (core/base/args.def): defaults, type
-- conversions, and the errors for unknown keys and wrong value types.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

-- Ultralytics 8.1 default.yaml values (independent of this code)
local d = cpose.args()
T.eq(d.iou, 0.7, "iou default")
T.eq(d.imgsz, 640, "imgsz default")
T.eq(math.type(d.imgsz), "integer", "imgsz is an integer")
T.eq(d.max_det, 300, "max_det default")
T.eq(d.batch, 16, "batch default")
T.eq(d.epochs, 100, "epochs default")
T.eq(d.lr0, 0.01, "lr0 default")
T.eq(d.optimizer, "auto", "optimizer default")
T.eq(d.save, true, "save default")
T.eq(d.exist_ok, false, "exist_ok default")
T.eq(d.conf, nil, "conf default None")
T.eq(d.classes, nil, "classes default None")
T.eq(d.task, "pose", "task")

-- conversions from Lua values
local a = cpose.args{conf = 0.5, classes = {0, 2}, imgsz = 320.0, save = false, verbose = "False",
                     lr0 = 0.1, iou = 1, name = "exp", max_det = "7"}
T.eq(a.conf, 0.5, "float")
T.eq(#a.classes, 2, "list length")
T.eq(a.classes[1], 0, "list item 1")
T.eq(a.classes[2], 2, "list item 2")
T.eq(a.imgsz, 320, "integral float to int")
T.eq(a.save, false, "boolean false")
T.eq(a.verbose, false, "'False' string")
T.eq(a.lr0, 0.1, "0.1 round-trips")
T.eq(a.iou, 1.0, "integer to float key")
T.eq(a.name, "exp", "string")
T.eq(a.max_det, 7, "numeric string to int")
T.eq(cpose.args{classes = 3}.classes[1], 3, "a single class")
T.eq(cpose.args{conf = "None"}.conf, nil, "None resets")

-- errors: unknown keys name the nearest valid one; values of the wrong type name the type
T.raises({"cpose.args", "'confx'", "'conf'"}, cpose.args, {confx = 0.5})
T.raises({"'imgsze'", "'imgsz'"}, cpose.args, {imgsze = 320})
T.raises({"imgsz", "integer"}, cpose.args, {imgsz = "big"})
T.raises({"imgsz", "integer"}, cpose.args, {imgsz = 320.5})
T.raises({"conf", "number"}, cpose.args, {conf = "high"})
T.raises({"save", "True or False"}, cpose.args, {save = "maybe"})
T.raises({"conf", "function", "string, number, boolean or list"}, cpose.args, {conf = print})
T.raises({"classes", "list items"}, cpose.args, {classes = {{1}}})
T.raises({"classes", "expected a list"}, cpose.args, {classes = {a = 1}})
T.raises({"classes", "integers"}, cpose.args, {classes = {"person"}})
T.raises({"key = value"}, cpose.args, {0.5})
T.raises({"expected a table", "string"}, cpose.args, "conf=0.5")
return T.finish()
