-- tests/lua/helpers/check.lua — assertions for the Lua job tests: counts checks, raises on failure
-- (which fails the job, exit 1) and names the calling line.
local M = { passed = 0 }

local function fail(msg, level)
  error(msg, (level or 2) + 1)
end

function M.ok(cond, what)
  if not cond then fail("check failed: " .. tostring(what), 2) end
  M.passed = M.passed + 1
end

function M.eq(got, want, what)
  if got ~= want then
    fail(string.format("%s: got %s (%s), want %s (%s)", tostring(what), tostring(got), math.type(got) or type(got),
      tostring(want), math.type(want) or type(want)), 2)
  end
  M.passed = M.passed + 1
end

-- Calls f(...) expecting an error whose message contains every needle (plain text); returns it.
function M.raises(needles, f, ...)
  local ok, err = pcall(f, ...)
  if ok then fail("expected an error containing '" .. table.concat(needles, "', '") .. "', got success", 2) end
  err = tostring(err)
  for _, n in ipairs(needles) do
    if not err:find(n, 1, true) then fail("error '" .. err .. "' does not contain '" .. n .. "'", 2) end
  end
  M.passed = M.passed + 1
  return err
end

function M.finish()
  print(M.passed .. " passed, 0 failed")
  return { passed = M.passed }
end

return M
