-- Loaded first by every scenario that authenticates: the personal access tokens (one a
-- line, in the file named by BENCH_TOKENS) and a per-thread request counter, so each
-- request goes out as a different member, in a deterministic order.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local threads = 0
counter = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function next_index()
  counter = counter + 1
  return counter * 7 + (thread_index or 0) * 104729 + tonumber(os.getenv("BENCH_OFFSET") or "0")
end

function token_for(i)
  return "Bearer " .. tokens[(i % #tokens) + 1]
end

function ntokens()
  return #tokens
end
