-- scripts/lib/cpose_export_all.lua — export a model to every format whose exporter plugin is built
-- (cpose.export_formats(): the plugin registry at run time, so new plugins are picked up), read each
-- export back where cpose has a reader (cpose.export_probe: model= on the exported path), run it on
-- one synthetic image at the export size and compare with the source model; write the table as
-- export_all.md, export_all.json and export_all.csv in dir. Used by scripts/export-all.lua and the
-- quickstart's export step.
--   local ea = require "cpose_export_all"
--   local rows = ea.run{model = "w.h5", imgsz = 320, dir = "out", formats = {"onnx", "ncnn"}, skip = {}}
-- Each row: {format, file, size_mb, seconds, max_delta, status} with status "ok", "exported, no reader"
-- or "failed: <why>". Tolerance: a read-back whose max |Δ| exceeds `tolerance` (default 1e-2 for
-- float32 files) is "failed: max |Δ| ... over tolerance".
local cpose = require "cpose"
local jobs = require "cpose_jobs"

local M = {}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

-- The formats to run: every built plugin's (registry order), or the given list (unknown names refused).
function M.formats(wanted, skip)
  local built, names = {}, {}
  for _, f in ipairs(cpose.export_formats()) do built[f.format] = f; names[#names + 1] = f.format end
  local list = {}
  if wanted and #wanted > 0 then
    for _, w in ipairs(wanted) do
      if not built[w] then
        jobs.usage_error(string.format("formats=%s: no exporter plugin for '%s' (built: %s)", table.concat(wanted, ","), w,
                                       table.concat(names, ", ")))
      end
      list[#list + 1] = w
    end
  else
    list = names
  end
  local sk, out = set_of(skip), {}
  for _, f in ipairs(list) do if not sk[f] then out[#out + 1] = f end end
  return out
end

local function fmt(v, f) return v and string.format(f, v) or "-" end

local function csv_field(s)
  s = tostring(s)
  if s:find('[,"\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

-- Writes the three report files (atomically, listed as job outputs); returns the Markdown path.
function M.write_report(dir, rows, title)
  local md = {"# " .. title, "", "| format | file | size MB | export s | max abs Δ vs source | status |",
              "|---|---|---|---|---|---|"}
  local csv = {"format,file,size_mb,export_seconds,max_abs_delta,status"}
  for _, r in ipairs(rows) do
    md[#md + 1] = string.format("| %s | %s | %s | %s | %s | %s |", r.format, r.file or "-", fmt(r.size_mb, "%.2f"),
      fmt(r.seconds, "%.2f"), fmt(r.max_delta, "%.3g"), (r.status:gsub("|", "/"):gsub("\n", " ")))
    csv[#csv + 1] = table.concat({csv_field(r.format), csv_field(r.file or ""), r.size_mb and string.format("%.4f", r.size_mb) or "",
      r.seconds and string.format("%.3f", r.seconds) or "", r.max_delta and string.format("%.6g", r.max_delta) or "",
      csv_field(r.status)}, ",")
  end
  jobs.write_file(dir .. "/export_all.md", table.concat(md, "\n") .. "\n")
  jobs.write_file(dir .. "/export_all.csv", table.concat(csv, "\n") .. "\n")
  cpose.write_json(dir .. "/export_all.json", {title = title, rows = rows})
  return dir .. "/export_all.md", table.concat(md, "\n")
end

-- Runs the exports; opts: model (path or YAML), imgsz (number), dir, formats (list or nil = all),
-- skip (list), tolerance (number), quiet (no per-format line).
function M.run(opts)
  local model = cpose.YOLO(opts.model)
  local tol = opts.tolerance or 1e-2
  local rows = {}
  for _, f in ipairs(M.formats(opts.formats, opts.skip)) do
    local row = {format = f}
    local t0 = cpose.clock()
    local ok, path = pcall(model.export, model, {format = f, imgsz = opts.imgsz, project = opts.dir, name = "export",
                                                  exist_ok = true})
    row.seconds = cpose.clock() - t0
    if not ok then
      local msg = tostring(path)
      row.status = "failed: " .. (msg:match("%.so%): (.*)$") or msg):sub(1, 300)
    else
      row.file = path
      local p = cpose.export_probe(opts.model, path, opts.imgsz)
      row.size_mb = p.size_mb
      if p.status == "ok" then
        row.max_delta = p.max_delta
        row.status = p.max_delta <= tol and "ok"
          or string.format("failed: max |Δ| %.3g over tolerance %g", p.max_delta, tol)
      elseif p.status == "no reader" then
        row.status = "exported, no reader"
      else
        row.status = "failed: " .. p.message
      end
    end
    if not opts.quiet then
      print(string.format("export-all: %-12s %-8s %s", f, row.size_mb and string.format("%.2f MB", row.size_mb) or "",
                          row.status))
    end
    rows[#rows + 1] = row
  end
  model:close()
  return rows
end

return M
