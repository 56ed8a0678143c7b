-- POST the JSON body in BENCH_BODY to the URL's path as a different member on each request:
-- every request creates a row (a comment on a work, the template-style app's item).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local body = os.getenv("BENCH_BODY")

function request()
  return wrk.format("POST", nil,
    { Authorization = token_for(next_index()), ["Content-Type"] = "application/json" }, body)
end
