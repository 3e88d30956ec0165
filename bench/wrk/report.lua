-- Loaded by every bench/ wrk script: counts answers by status and prints one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('"%d": %d', code, n)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "latency_us": '
      .. '{"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    table.concat(counts, ", ")
  ))
end
