-- tests/lua/dataset.lua — cpose.dataset{data = YAML}: a generated synthetic set's YAML resolved (root,
-- splits as absolute folders, names, kpt_shape, flip_idx), a YAML written here with a relative root and a
-- list split, and errors naming the file or the key.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
local syn = cpose.synth{save_dir = dir .. "/synth", n_train = 2, n_val = 1, imgsz = 64, seed = 0, exist_ok = true}
local d = cpose.dataset{data = syn.yaml}
T.eq(d.yaml, syn.yaml, "yaml")
T.eq(d.path, dir .. "/synth", "root from path:")
T.eq(#d.train, 1, "one train entry")
T.eq(d.train[1], dir .. "/synth/images/train", "train folder, absolute")
T.eq(d.val[1], dir .. "/synth/images/val", "val folder, absolute")
T.eq(#d.test, 0, "no test split")
T.eq(d.nc, 1, "nc")
T.eq(d.names[1], "person", "names[1] is class 0")
T.eq(d.kpt_shape[1], 17, "kpt_shape K")
T.eq(d.kpt_shape[2], 3, "kpt_shape D")
T.eq(#d.flip_idx, 17, "flip_idx length")
T.eq(d.flip_idx[2], 2, "flip_idx: left eye (1) ↔ right eye (2)")
T.eq(d.flip_idx[3], 1, "flip_idx: right eye (2) ↔ left eye (1)")

-- no path: the YAML's folder is the root; a split may be a list; names as a map
local f = cpose.job.open(dir .. "/two/two.yaml")
f:write("train: [a/images, b/images]\nval: a/images\nnames:\n  0: cat\n  1: dog\n")
f:commit()
local two = cpose.dataset{data = dir .. "/two/two.yaml"}
T.eq(two.path, dir .. "/two", "root = the YAML's folder")
T.eq(#two.train, 2, "a list split")
T.eq(two.train[2], dir .. "/two/b/images", "second entry resolved")
T.eq(two.nc, 2, "nc from names")
T.eq(two.names[2], "dog", "names[2] is class 1")
T.eq(two.kpt_shape, nil, "no kpt_shape")

T.raises({"cpose.dataset", "data= is required"}, cpose.dataset, {})
T.raises({"cpose.dataset", "nope.yaml"}, cpose.dataset, {data = dir .. "/nope.yaml"})
T.raises({"cpose.dataset", "'dta'", "'data'"}, cpose.dataset, {dta = "x.yaml"})
return T.finish()
