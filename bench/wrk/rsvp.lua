-- PUT /api/v1/events/{id}/rsvp: members answer going or interested in turn, each request a
-- real change of the member's answer and of the event's counters. BENCH_EVENT is the id.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local path = "/api/v1/events/" .. os.getenv("BENCH_EVENT") .. "/rsvp"
local answers = { '{"status":"going"}', '{"status":"interested"}' }

function request()
  local i = next_index()
  local answer = answers[(math.floor(i / ntokens()) % 2) + 1]
  return wrk.format("PUT", path,
    { Authorization = token_for(i), ["Content-Type"] = "application/json" }, answer)
end
