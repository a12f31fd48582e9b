-- tests/lua/train_values.lua — the optimizer choice, lr / momentum / accumulation schedule and EMA ramp
-- reachable from Lua (cpose.schedule, cpose.optimizer_choice, cpose.ema_decay), checked against
-- values worked out here by hand from Ultralytics 8.1's formulas (REFERENCE.md, core/train/schedule.h),
-- and their argument errors. No fixtures needed.
package.path = arg[0]:match("^(.*)/") .. "/helpers/?.lua;" .. package.path
local T = require "check"
local cpose = require "cpose"

local function near(got, want, what)
  T.ok(type(got) == "number" and math.abs(got - want) <= 1e-12 * math.max(1, math.abs(want)),
       string.format("%s: got %s, want %.17g", what, tostring(got), want))
end

-- SGD, 10 epochs, batch 8, 50 batches per epoch: nw = max(round(3·50), 100) = 150, accumulate after
-- warmup round(64/8) = 8, lf(e) = (1 − e/10)·0.99 + 0.01
local s = cpose.schedule{optimizer = "SGD", epochs = 10, batch = 8, nb = 50}
T.eq(s.optimizer, "SGD", "named optimizer kept")
near(s.lr0, 0.01, "lr0 default")
near(s.momentum, 0.937, "SGD momentum is the configured one")
T.eq(s.nw, 150, "warmup iterations round(3·50)")
T.eq(s.nb, 50, "nb")
T.eq(s.accumulate, 8, "accumulate round(64/8)")
near(s.weight_decay, 0.0005 * 8 * 8 / 64, "weight decay scaled by batch·accumulate/nbs")
near(s:lf(0), 1.0, "lf(0)")
near(s:lf(5), 0.5 * 0.99 + 0.01, "lf(5)")
near(s:lf(10), 0.01, "lf(epochs) = lrf")
T.ok(tostring(s):find("cpose.Schedule(SGD", 1, true), "tostring " .. tostring(s))

-- inside warmup, epoch 0, ni 30 (x = 30/150 = 0.2): bias lr 0.1 → 0.01, others 0 → 0.01, momentum 0.8 → 0.937,
-- accumulate round(1 + 7·0.2) = round(2.4) = 2
local p = s:at(0, 30)
near(p.lr[1], 0.1 + (0.01 - 0.1) * 0.2, "warmup bias lr (pg0)")
near(p.lr[2], 0.01 * 0.2, "warmup weight lr (pg1)")
near(p.lr[3], 0.01 * 0.2, "warmup norm lr (pg2)")
near(p.momentum, 0.8 + (0.937 - 0.8) * 0.2, "warmup momentum")
T.eq(p.accumulate, 2, "warmup accumulate")
T.eq(#p.lr, 3, "three groups")

-- warmup reaching into epoch 2 (ni 110): the target is lr0·lf(2) = 0.01·0.802
p = s:at(2, 110)
local x, target = 110 / 150, 0.01 * (0.8 * 0.99 + 0.01)
near(p.lr[1], 0.1 + (target - 0.1) * x, "warmup bias lr in epoch 2")
near(p.lr[2], target * x, "warmup weight lr in epoch 2")
near(p.momentum, 0.8 + (0.937 - 0.8) * x, "warmup momentum in epoch 2")
T.eq(p.accumulate, 6, "accumulate round(1 + 7·110/150) = round(6.13)")

-- at the end of warmup exactly (ni = nw) every value has reached its target
p = s:at(3, 150)
near(p.lr[1], 0.01 * (0.7 * 0.99 + 0.01), "end of warmup: bias lr at lr0·lf")
near(p.momentum, 0.937, "end of warmup: momentum")
T.eq(p.accumulate, 8, "end of warmup: accumulate")

-- after warmup: lr0·lf(epoch) for all groups, momentum stays at 0.937, accumulate 8
p = s:at(5, 5 * 50 + 3)
for j = 1, 3 do near(p.lr[j], 0.01 * (0.5 * 0.99 + 0.01), "after warmup lr group " .. j) end
near(p.momentum, 0.937, "after warmup momentum")
T.eq(p.accumulate, 8, "after warmup accumulate")

-- the 100-iteration floor: 10 batches × 3 epochs = 30 < 100
T.eq(cpose.schedule{optimizer = "SGD", epochs = 10, batch = 16, nb = 10}.nw, 100, "warmup at least 100 iterations")
-- n_images gives nb = ceil(n / batch)
T.eq(cpose.schedule{optimizer = "SGD", epochs = 1, batch = 16, n_images = 33}.nb, 3, "nb = ceil(33/16)")

-- cosine, no warmup: lr = lr0·one_cycle(1, lrf, epochs)(e); momentum the optimizer's own
local c = cpose.schedule{optimizer = "SGD", epochs = 10, batch = 8, nb = 10, cos_lr = true, warmup_epochs = 0,
                         lr0 = 0.02, lrf = 0.1, momentum = 0.95}
T.eq(c.nw, -1, "no warmup")
local lf3 = ((1 - math.cos(3 * math.pi / 10)) / 2) * (0.1 - 1) + 1
near(c:lf(3), lf3, "one_cycle lf(3)")
p = c:at(3, 30)
for j = 1, 3 do near(p.lr[j], 0.02 * lf3, "cosine lr group " .. j) end
near(p.momentum, 0.95, "no warmup: the optimizer's momentum")
T.eq(p.accumulate, 8, "no warmup: accumulate from the start")
p = c:at(0, 0)
near(p.lr[1], 0.02, "no warmup: bias lr starts at lr0")

-- Python's round is half-to-even: nbs 20 / batch 8 = 2.5 → 2; decay 0.0005·8·2/20
local h = cpose.schedule{optimizer = "SGD", epochs = 1, batch = 8, nbs = 20, nb = 5, weight_decay = 0.0005}
T.eq(h.accumulate, 2, "round(2.5) = 2")
near(h.weight_decay, 0.0005 * 8 * 2 / 20, "decay with accumulate 2")

-- Adam family: the warmup does not move beta1 (no "momentum" in its param groups)
local a = cpose.schedule{optimizer = "Adam", epochs = 10, batch = 8, nb = 50, lr0 = 0.001}
p = a:at(0, 50)
near(p.momentum, 0.937, "Adam beta1 untouched by warmup")
near(p.lr[1], 0.1 + (0.001 - 0.1) * (50 / 150), "Adam warmup bias lr")
near(p.lr[3], 0.001 * (50 / 150), "Adam warmup norm lr")
-- RMSProp has a momentum the warmup moves
p = cpose.schedule{optimizer = "RMSProp", epochs = 10, batch = 8, nb = 50}:at(0, 75)
near(p.momentum, 0.8 + (0.937 - 0.8) * 0.5, "RMSProp warmup momentum")

-- optimizer=auto: iterations = ceil(100 / max(16, 64))·10 = 20 ≤ 10000 → AdamW, lr round(0.002·5/(4+1), 6)
-- = 0.002, momentum 0.9, warmup_bias_lr 0; nb = ceil(100/16) = 7, nw = max(round(21), 100) = 100
local au = cpose.schedule{epochs = 10, batch = 16, n_images = 100}
T.eq(au.optimizer, "AdamW", "auto → AdamW for a short run")
near(au.lr0, 0.002, "auto AdamW lr")
near(au.momentum, 0.9, "auto momentum")
near(au.warmup_bias_lr, 0, "auto zeroes warmup_bias_lr")
T.eq(au.iterations, 20, "auto's iteration count")
p = au:at(0, 50)
near(p.lr[1], 0.002 * 0.5, "auto: bias lr warms up from 0")
near(p.momentum, 0.9, "auto AdamW: beta1 0.9 kept")
-- 80 classes: round(0.002·5/84, 6) = round(0.000119047…, 6) = 0.000119
near(cpose.schedule{epochs = 10, batch = 16, n_images = 100, nc = 80}.lr0, 0.000119, "auto lr for nc 80")
-- a long run: ceil(200000/64)·10 = 31250 > 10000 → SGD lr 0.01 momentum 0.9; the warmup still ends at the
-- configured momentum 0.937
local big = cpose.schedule{epochs = 10, batch = 16, n_images = 200000}
T.eq(big.optimizer, "SGD", "auto → SGD for a long run")
near(big.lr0, 0.01, "auto SGD lr")
near(big:at(0, 0).momentum, 0.8, "auto SGD: warmup momentum starts at 0.8")
near(big:at(9, 9 * big.nb).momentum, 0.937, "auto SGD: after warmup the configured momentum")

-- cpose.optimizer_choice: the same rule on its own
local oc = cpose.optimizer_choice{nc = 1, iterations = 10000}
T.eq(oc.optimizer, "AdamW", "10000 iterations is not more than 10000")
near(oc.lr, 0.002, "AdamW lr")
near(oc.warmup_bias_lr, 0, "auto: warmup_bias_lr 0")
oc = cpose.optimizer_choice{nc = 1, iterations = 10001}
T.eq(oc.optimizer, "SGD", "10001 iterations → SGD")
near(oc.momentum, 0.9, "auto SGD momentum 0.9")
oc = cpose.optimizer_choice{n_images = 640, epochs = 3, batch = 128}
T.eq(oc.iterations, 15, "iterations ceil(640/128)·3 (batch above nbs)")
oc = cpose.optimizer_choice{optimizer = "NAdam", lr0 = 0.003, momentum = 0.85, warmup_bias_lr = 0.05}
T.eq(oc.optimizer, "NAdam", "named")
near(oc.lr, 0.003, "named: lr0 kept")
near(oc.momentum, 0.85, "named: momentum kept")
near(oc.warmup_bias_lr, 0.05, "named: warmup_bias_lr kept")
for _, name in ipairs{"SGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp"} do
  T.eq(cpose.optimizer_choice{optimizer = name}.optimizer, name, "Ultralytics 8.1 name " .. name)
end

-- EMA ramp d = decay·(1 − exp(−updates/tau))
near(cpose.ema_decay(0), 0, "ema_decay(0)")
near(cpose.ema_decay(2000), 0.9999 * (1 - math.exp(-1)), "ema_decay(tau)")
near(cpose.ema_decay(100), 0.9999 * (1 - math.exp(-100 / 2000)), "ema_decay(100)")
near(cpose.ema_decay(10, 0.99, 5), 0.99 * (1 - math.exp(-2)), "ema_decay with decay and tau")

-- errors name the key and the fix
T.raises({"cpose.schedule", "'lrr'", "'lr0'"}, cpose.schedule, {nb = 5, lrr = 0.1})
T.raises({"cpose.schedule", "nb", "n_images"}, cpose.schedule, {optimizer = "SGD"})
T.raises({"optimizer=auto", "n_images"}, cpose.schedule, {nb = 5})
T.raises({"optimizer=sgd", "SGD, Adam, Adamax, AdamW, NAdam, RAdam, RMSProp"}, cpose.schedule,
         {optimizer = "sgd", nb = 5})
T.raises({"'nb'", "integer"}, cpose.schedule, {optimizer = "SGD", nb = "five"})
T.raises({"'nb'", "at least 1"}, cpose.schedule, {optimizer = "SGD", nb = 0})
T.raises({"epochs=0"}, cpose.schedule, {optimizer = "SGD", nb = 5, epochs = 0})
T.raises({"the epoch counts from 0"}, function() return s:at(-1, 0) end)
T.raises({"optimizer=auto", "iterations"}, cpose.optimizer_choice, {})
T.raises({"update count"}, cpose.ema_decay, -1)
return T.finish()
