-- tests/lua/helpers/fixtures.lua — the shared fixtures folder (../shared/fixtures beside the source
-- tree, or $CPOSE_FIXTURES); ends the job with 77 (ctest: skipped) when it is absent.
local root = os.getenv("CPOSE_FIXTURES") or ((os.getenv("CPOSE_SOURCE_DIR") or ".") .. "/../shared/fixtures")
local probe = io.open(root .. "/README.md", "rb")
if not probe then
  print("SKIP: ../shared/fixtures not found (fixture tests need the shared folder beside the checkout)")
  os.exit(77)
end
probe:close()
return root
