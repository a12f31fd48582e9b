-- scripts/lib/cpose_jobs.lua — helpers shared by the job scripts (quickstart, coco-pose-val, nightly):
-- argument parsing for script-only keys, model:val with its result named like val.json, downloads,
-- and the dataset check (the `cpose check` mode, run as a child process: it has no Lua binding yet).
--   package.path = arg[0]:match("^(.*)/") .. "/lib/?.lua;" .. package.path
--   local jobs = require "cpose_jobs"
local cpose = require "cpose"
local M = {}

local RUNNER_KEYS = {"threads", "seed", "save_dir", "verbose"} -- read by `cpose run` itself

local function distance(a, b) -- Levenshtein, for "did you mean"
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

-- Raises a usage error: an error value {usage = msg} (tostring gives msg) that `cpose run` prints
-- alone, without the Lua traceback it adds to real errors (core/lua/lua_bind.c, cpose_lua_traceback).
function M.usage_error(msg)
  error(setmetatable({usage = msg}, {__tostring = function(e) return e.usage end}), 0)
end

-- The key=value words of the job (arg.key), as a plain table of strings. With `allowed` (a list of
-- the script's keys; the runner's threads/seed/save_dir/verbose are always allowed) an unknown key
-- raises "<script>: 'treshold' is not an argument; did you mean 'threshold'? (arguments: ...)":
-- `cpose run` passes script words through unchecked, so each script checks its own.
function M.kwargs(allowed)
  local kw = {}
  for k, v in pairs(arg) do
    if type(k) == "string" then kw[k] = v end
  end
  if allowed then
    local ok = {}
    for _, k in ipairs(allowed) do ok[k] = true end
    for _, k in ipairs(RUNNER_KEYS) do ok[k] = true end
    local keys = {}
    for k in pairs(kw) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      if not ok[k] then
        local best, bd = nil, math.huge
        for _, c in ipairs(allowed) do
          local d = distance(k, c)
          if d < bd then best, bd = c, d end
        end
        local hint = (best and bd <= math.max(2, #k // 3)) and ("; did you mean '" .. best .. "'?") or ""
        local script = (arg[0] or "job"):match("([^/]+)$")
        M.usage_error(string.format("%s: '%s' is not an argument%s (arguments: %s)", script, k, hint,
                                    table.concat(allowed, " ")))
      end
    end
  end
  return kw
end

-- "a,b,c" → {"a", "b", "c"} (empty items dropped); nil → {}.
function M.split_list(s)
  local t = {}
  for item in tostring(s or ""):gmatch("[^,]+") do
    item = item:match("^%s*(.-)%s*$")
    if item ~= "" then t[#t + 1] = item end
  end
  return t
end

-- Parses a number argument, raising "<key>=<value>: <want>" when it is not one.
function M.number(kw, key, default, want)
  local v = kw[key]
  if v == nil or v == "" then return default end
  local n = tonumber(v)
  if not n then error(string.format("%s=%s: %s", key, v, want or "expected a number"), 0) end
  return n
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The path of the running cpose binary ($CPOSE_BIN wins): used to run a CLI mode for a part the Lua
-- module does not bind yet. /bin/sh's $PPID is this process.
local cpose_bin
function M.cpose_bin()
  if cpose_bin then return cpose_bin end
  cpose_bin = os.getenv("CPOSE_BIN")
  if not cpose_bin or cpose_bin == "" then
    local p = io.popen('readlink "/proc/$PPID/exe"')
    cpose_bin = p and p:read("l")
    if p then p:close() end
  end
  if not cpose_bin or cpose_bin == "" then error("cannot find the cpose binary (set CPOSE_BIN)", 0) end
  return cpose_bin
end

-- Runs `cpose <mode> key=value ...` (kv: table; keys sorted for a stable command line) with this
-- job's thread count; raises "<mode> failed (exit N): <command>" when it fails.
function M.cli(mode, kv)
  local words = {shell_quote(M.cpose_bin()), mode}
  local keys = {}
  for k in pairs(kv) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do words[#words + 1] = shell_quote(k .. "=" .. tostring(kv[k])) end
  if kv.threads == nil then words[#words + 1] = "threads=" .. cpose.info().threads end
  local cmd = table.concat(words, " ")
  io.stdout:flush()
  local ok, how, code = os.execute(cmd)
  if not ok then error(string.format("cpose %s failed (%s %s): %s", mode, how, tostring(code), cmd), 0) end
end

-- model:val with args (args.def keys; project/name decide the folder) → the binding's result
-- {box = {p, r, map50, map75, map, maps}, pose = {...}, seen, speed, save_dir, files, coco = {keypoints
-- = {10 stats}, bbox = {12}} when COCOeval ran}, plus images (= seen) and cocoeval (= coco) as the
-- run's val.json names them.
function M.val(model, args)
  local r = model:val(args)
  r.images = r.images or r.seen
  r.cocoeval = r.cocoeval or r.coco
  return r
end

-- Downloads url into dir (resume, retries; file name from the URL) → the local path.
function M.download(url, dir)
  local name = url:match("([^/?#]+)[?#]?[^/]*$") or "download"
  local r = cpose.download{url = url, dir = dir, file = name}
  cpose.job.input(r.path)
  return r.path
end

-- Verifies a dataset YAML (images, labels, duplicates; writes the label caches): `cpose check`.
function M.check(data)
  M.cli("check", {data = data})
end

-- Writes text to path atomically (nothing at path if the job fails first); lists it as an output.
function M.write_file(path, text)
  local f = cpose.job.open(path)
  f:write(text)
  f:commit()
end

-- Absolute form of a path (relative to the current directory).
function M.abspath(p)
  if p:sub(1, 1) == "/" then return p end
  local h = io.popen("pwd")
  local cwd = h:read("l")
  h:close()
  return cwd .. "/" .. p
end

return M
