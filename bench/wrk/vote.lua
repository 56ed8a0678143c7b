-- PUT /api/v1/submissions/{work}/vote: member i votes for work j, walking the (member, work)
-- pairs so most requests cast a new vote (budget and tally updated); once every pair was
-- cast, a repeat is the idempotent no-op. BENCH_WORKS lists the works (comma separated).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local works = {}
for id in string.gmatch(os.getenv("BENCH_WORKS"), "%d+") do works[#works + 1] = id end

function request()
  local i = next_index()
  local work = works[(math.floor(i / ntokens()) % #works) + 1]
  return wrk.format("PUT", "/api/v1/submissions/" .. work .. "/vote",
    { Authorization = token_for(i) })
end
