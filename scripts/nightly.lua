-- scripts/nightly.lua — nightly evaluation: every checkpoint on every dataset (model:val), a dated
-- report (JSON + Markdown table of box/pose mAP50 and mAP50-95 per model × dataset), a comparison
-- with the previous night's report, and a failing exit when a metric dropped by more than threshold.
--   cpose run scripts/nightly.lua models=a.h5,b.h5 data=x.yaml,y.yaml [threshold=0.01]
--       [reports=reports/nightly] [date=YYYY-MM-DD] [previous=<dated folder or nightly.json>]
--       [imgsz=] [batch=16] [conf=] [iou=0.7]
-- Without imgsz= each model is validated at its own training size (its train_args), else 640; the
-- report shows the size each row used.
-- Writes <reports>/<date>/nightly.json, nightly.md and the val run folders under <date>/runs/. The
-- previous report is previous= or else the newest dated folder before <date> holding nightly.json.
-- Drops (previous − current > threshold, absolute) and evaluations that failed (a missing checkpoint
-- or dataset: the other pairs still run) are listed, and the job then fails (exit 1).
-- nightly.json: {date, threshold, previous (path; absent on the first night), compared (pairs found in
-- the previous report), results = [{model, data, images, imgsz, save_dir, box = {map50, map}, pose = {...},
-- previous = {box_map50, ...}} or {model, data, error}], n_failed, n_drops, drops = [{model, data, metric, previous, current, drop}]}.
local cpose = require "cpose"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local jobs = require "cpose_jobs"

local kw = jobs.kwargs{"models", "data", "threshold", "reports", "date", "previous", "imgsz", "batch", "conf", "iou",
                       "split"}
local models, datasets = jobs.split_list(kw.models), jobs.split_list(kw.data)
if #models == 0 or #datasets == 0 then
  error("give models=<checkpoint[,checkpoint...]> and data=<dataset YAML[,YAML...]>, e.g. cpose run " .. arg[0]
        .. " models=last.h5,best.h5 data=coco8-pose.yaml", 0)
end
local threshold = jobs.number(kw, "threshold", 0.01, "an absolute metric drop (e.g. threshold=0.01)")
if threshold < 0 then error("threshold=" .. kw.threshold .. ": must be ≥ 0", 0) end
local date = kw.date or os.date("!%Y-%m-%d")
if not date:match("^%d%d%d%d%-%d%d%-%d%d$") then error("date=" .. date .. ": expected YYYY-MM-DD", 0) end
local root = kw.reports or "reports/nightly"
local day_dir = root .. "/" .. date
local METRICS = {{"box", "map50", "Box mAP50"}, {"box", "map", "Box mAP50-95"},
                 {"pose", "map50", "Pose mAP50"}, {"pose", "map", "Pose mAP50-95"}}

local function stem(path)
  return (path:match("([^/]+)$") or path):gsub("%.[^.]*$", "")
end
local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

-- the previous report: previous= (folder or file), else the newest earlier dated folder
local function find_previous()
  if kw.previous then
    local p = kw.previous
    if not p:match("%.json$") then p = p .. "/nightly.json" end
    if not exists(p) then error("previous=" .. kw.previous .. ": no report there (expected " .. p .. ")", 0) end
    return p
  end
  local best
  local ls = io.popen("ls -1 '" .. root:gsub("'", "'\\''") .. "' 2>/dev/null")
  for name in ls:lines() do
    if name:match("^%d%d%d%d%-%d%d%-%d%d$") and name < date and exists(root .. "/" .. name .. "/nightly.json")
       and (not best or name > best) then
      best = name
    end
  end
  ls:close()
  return best and (root .. "/" .. best .. "/nightly.json") or nil
end

-- evaluate every model × dataset; a model or dataset that fails is recorded (row.error) and the
-- others still run
local rows, used, failures = {}, {}, {}
for _, mpath in ipairs(models) do
  local loaded, model = pcall(cpose.YOLO, mpath)
  for _, data in ipairs(datasets) do
    local name = stem(mpath) .. "_" .. stem(data)
    if used[name] then name = name .. "_" .. (#rows + 1) end -- same stems (x/data.yaml, y/data.yaml)
    used[name] = true
    local args = {data = data, project = day_dir .. "/runs", name = name, exist_ok = true, plots = false}
    for _, k in ipairs{"imgsz", "batch", "conf", "iou", "split"} do
      if kw[k] then args[k] = kw[k] end
    end
    print(string.format("nightly: %s on %s", mpath, data))
    local row = {model = mpath, data = data}
    local ok, m = loaded, model
    if loaded then ok, m = pcall(jobs.val, model, args) end
    if ok then
      row.images, row.save_dir, row.imgsz = m.images, m.save_dir, m.imgsz
      for _, d in ipairs(METRICS) do
        row[d[1]] = row[d[1]] or {}
        row[d[1]][d[2]] = m[d[1]][d[2]]
        cpose.job.metric(name .. "/" .. d[1] .. "_" .. d[2], m[d[1]][d[2]])
      end
    else
      row.error = tostring(m):gsub("^[^:\n]*%.lua:%d+: ", "") -- the message, not where the script caught it
      failures[#failures + 1] = row
      print("nightly: FAILED: " .. row.error)
    end
    rows[#rows + 1] = row
  end
  if loaded then model:close() end
end

-- compare with the previous report
local prev_path = find_previous()
local drops, compared = {}, 0
if prev_path then
  cpose.job.input(prev_path)
  local prev = cpose.read_json(prev_path)
  local old = {}
  for _, r in ipairs(prev.results or {}) do old[r.model .. "\0" .. r.data] = r end
  for _, r in ipairs(rows) do
    local o = not r.error and old[r.model .. "\0" .. r.data]
    if o then
      compared = compared + 1
      for _, d in ipairs(METRICS) do
        local was = o[d[1]] and o[d[1]][d[2]]
        local now = r[d[1]][d[2]]
        if type(was) == "number" then
          r.previous = r.previous or {}
          r.previous[d[1] .. "_" .. d[2]] = was
          if was - now > threshold then
            drops[#drops + 1] = {model = r.model, data = r.data, metric = d[3], previous = was, current = now,
                                 drop = was - now}
          end
        end
      end
    end
  end
end

-- the dated report: JSON for machines, Markdown for people
cpose.write_json(day_dir .. "/nightly.json", {date = date, threshold = threshold, previous = prev_path,
  compared = compared, results = rows, n_drops = #drops, drops = #drops > 0 and drops or nil,
  n_failed = #failures,
  cpose_version = cpose.info().version})
local md = {string.format("# Nightly evaluation %s\n", date),
            string.format("cpose %s; previous report: %s; threshold %g (absolute).\n", cpose.info().version,
                          prev_path or "none", threshold),
            "| model | data | images | Box mAP50 | Box mAP50-95 | Pose mAP50 | Pose mAP50-95 | imgsz |",
            "|---|---|---:|---:|---:|---:|---:|---:|"}
for _, r in ipairs(rows) do
  local cells = {r.model, r.data, tostring(r.images or "")}
  if r.error then
    cells[#cells + 1] = "failed: " .. r.error:gsub("[|\n]", " ")
    for _ = 2, #METRICS do cells[#cells + 1] = "" end
  end
  for _, d in ipairs(r.error and {} or METRICS) do
    local cell = string.format("%.4f", r[d[1]][d[2]])
    local was = r.previous and r.previous[d[1] .. "_" .. d[2]]
    if was then cell = cell .. string.format(" (%+.4f)", r[d[1]][d[2]] - was) end
    cells[#cells + 1] = cell
  end
  cells[#cells + 1] = tostring(r.imgsz or "")
  md[#md + 1] = "| " .. table.concat(cells, " | ") .. " |"
end
md[#md + 1] = ""
if not prev_path then
  md[#md + 1] = "No previous report: nothing compared."
elseif #drops == 0 then
  md[#md + 1] = string.format("No metric dropped by more than %g against %s (%d pairs compared).", threshold,
                              prev_path, compared)
else
  md[#md + 1] = string.format("## Drops greater than %g\n", threshold)
  for _, d in ipairs(drops) do
    md[#md + 1] = string.format("- %s on %s: %s %.4f → %.4f (−%.4f)", d.model, d.data, d.metric, d.previous,
                                d.current, d.drop)
  end
end
if #failures > 0 then
  md[#md + 1] = "\n## Failed evaluations\n"
  for _, f in ipairs(failures) do md[#md + 1] = string.format("- %s on %s: %s", f.model, f.data, f.error) end
end
jobs.write_file(day_dir .. "/nightly.md", table.concat(md, "\n") .. "\n")

print(table.concat(md, "\n", 3))
print("nightly: report " .. day_dir .. "/nightly.md and nightly.json")
cpose.job.metric("drops", #drops)
cpose.job.metric("failed", #failures)
if #drops > 0 or #failures > 0 then
  local lines = {}
  for _, d in ipairs(drops) do
    lines[#lines + 1] = string.format("  %s on %s: %s %.4f → %.4f (−%.4f)", d.model, d.data, d.metric, d.previous,
                                      d.current, d.drop)
  end
  for _, f in ipairs(failures) do
    lines[#lines + 1] = string.format("  %s on %s: failed: %s", f.model, f.data, f.error)
  end
  error(string.format("nightly: %d metric(s) dropped by more than %g since %s, %d evaluation(s) failed:\n%s", #drops,
                      threshold, prev_path or "-", #failures, table.concat(lines, "\n")), 0)
end
return {date = date, previous = prev_path, compared = compared, drops = 0, failed = 0}
