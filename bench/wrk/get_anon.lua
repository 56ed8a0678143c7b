-- GET the URL anonymously (no credentials), as a browser or a crawler would.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
