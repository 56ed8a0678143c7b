-- GET the URL's path as a different member on each request (personal access tokens).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

function request()
  return wrk.format("GET", nil, { Authorization = token_for(next_index()) })
end
