-- A conditional GET: sends BENCH_IF_NONE_MATCH as If-None-Match on every request.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.headers["If-None-Match"] = os.getenv("BENCH_IF_NONE_MATCH")
