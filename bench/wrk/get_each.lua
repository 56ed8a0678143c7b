-- GET a path of the requesting user's own: BENCH_REQUESTS names a file of "token path"
-- lines (the template-style app's items belong to their owner), cycled in a fixed order.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local pairs_ = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local token, path = line:match("^(%S+) (%S+)$")
  pairs_[#pairs_ + 1] = { "Bearer " .. token, path }
end
local counter = 0

function request()
  counter = counter + 1
  local pair = pairs_[((counter * 7 + tonumber(os.getenv("BENCH_OFFSET") or "0")) % #pairs_) + 1]
  return wrk.format("GET", pair[2], { Authorization = pair[1] })
end
