-- The reading pages under load: an event's timeline, a full-text search, the matrix.
-- Counts every status >= 500 and prints it as "5xx: N" (scripts/loadtest/run checks it).
local paths = {
  "/events/maduro-capture-2026/",
  "/statements/?q=sanctions",
  "/statements/?q=%D1%81%D0%B0%D0%BD%D0%BA%D1%86%D0%B8%D0%B8",
  "/matrix/",
}
-- Globals, not locals: done() reads each thread's count with thread:get().
counter = 0
errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  if status >= 500 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
  end
  io.write(string.format("p50: %.1f ms\np90: %.1f ms\np99: %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("requests: %d\n5xx: %d\n", summary.requests, total))
end
