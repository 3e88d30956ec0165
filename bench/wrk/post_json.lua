-- POSTs the JSON file BENCH_BODY, with "{{id}}" replaced by a fresh UUID on every request,
-- as a phone names each session it uploads. Authorization comes from wrk's -H.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local template

function init(args)
  local file = assert(io.open(os.getenv("BENCH_BODY"), "r"))
  template = file:read("*a")
  file:close()
  math.randomseed(tonumber(os.getenv("BENCH_SEED")) + (thread_number or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end

function request()
  return wrk.format(nil, nil, nil, (string.gsub(template, "{{id}}", uuid4())))
end
