-- tests/lua/loss.lua — cpose.loss{}: argument and file errors (always), then on the Ultralytics fixture
-- (parity_loss_seed0.h5 with yolov8n-pose-seed0.h5) the five items and the total within 1e-4 relative
-- of REFERENCE.md and the gradient norm within 1e-3; the gains scale their items. Skips (77) the fixture part without ../shared/fixtures.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local dir = cpose.job.dir()
T.raises({"cpose.loss", "give the batch file"}, cpose.loss, {model = "yolov8n-pose.yaml"})
T.raises({"cpose.loss", "give the batch file"}, cpose.loss, {model = "yolov8n-pose.yaml", batch = 8})
T.raises({"cpose.loss", "none.h5"}, cpose.loss, {model = "yolov8n-pose.yaml", batch = dir .. "/none.h5"})
T.raises({"cpose.loss", "model= is required"}, cpose.loss, {batch = dir .. "/none.h5"})
T.raises({"cpose.loss", "'boxx'", "'box'"}, cpose.loss, {model = "yolov8n-pose.yaml", batch = "b.h5", boxx = 1})
T.raises({"cpose.loss", "expected a table"}, cpose.loss, "b.h5")

local root = require "fixtures" -- exits 77 when the fixtures are absent
local FX = root .. "/ultralytics/"
local weights, batch = FX .. "yolov8n-pose-seed0.h5", FX .. "parity_loss_seed0.h5"

local function rel(got, want, tol, what)
  T.ok(type(got) == "number" and math.abs(got - want) <= tol * math.abs(want),
       string.format("%s = %s, reference %.9g (relative tolerance %g)", what, tostring(got), want, tol))
end

-- REFERENCE.md: items [box, pose, kobj, cls, dfl] (gains applied), total = Σ items × 8, gradient norm
local ref = {box = 3.8599308, pose = 10.8120279, kobj = 0.7056984, cls = 3.8678243, dfl = 4.2356339}
local r = cpose.loss{model = weights, batch = batch, threads = 2}
for k, v in pairs(ref) do rel(r[k], v, 1e-4, k) end
rel(r.total, 187.84892, 1e-4, "total")
rel(r.grad_norm, 383.8916, 1e-3, "grad_norm")
local sum = r.box + r.pose + r.kobj + r.cls + r.dfl
rel(r.total, sum * 8, 1e-6, "total = Σ items × batch size")

-- each gain scales its own item only: box 7.5 → 15 doubles box, pose 12 → 0 zeroes pose, cls 0.5 → 1 doubles cls
local g = cpose.loss{model = weights, batch = batch, threads = 2, box = 15, pose = 0, cls = 1.0}
rel(g.box, 2 * r.box, 1e-6, "box with gain 15")
T.eq(g.pose, 0, "pose with gain 0")
rel(g.cls, 2 * r.cls, 1e-6, "cls with gain 1")
rel(g.kobj, r.kobj, 1e-6, "kobj unchanged")
rel(g.dfl, r.dfl, 1e-6, "dfl unchanged")
rel(g.total, (g.box + g.kobj + g.cls + g.dfl) * 8, 1e-6, "total with other gains")
T.ok(math.abs(g.grad_norm - r.grad_norm) > 1e-3 * r.grad_norm, "the gradient follows the gains")
return T.finish()
