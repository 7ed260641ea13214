-- Replays prepared requests, one line each: METHOD <TAB> PATH <TAB> SIGNATURE|HEADER|- <TAB> BODY
-- (HEADER is one "Name: value").
-- Lines are dealt round-robin to wrk's threads, so no two threads send the same request;
-- a thread that runs out of lines starts over (the benchmarks prepare more than enough).
-- Usage: wrk -s requests.lua URL -- LINES_FILE THREADS
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  reqs = {}
  local n = 0
  for line in io.lines(file) do
    if n % threads == id then
      local method, path, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if body ~= "" then headers["Content-Type"] = "application/json" end
      local name, value = sig:match("^([%w-]+): (.*)$")
      if name then headers[name] = value  -- a "Name: value" header, e.g. If-None-Match
      elseif sig ~= "-" then headers["X-Zoho-Webhook-Signature"] = sig end
      reqs[#reqs + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
    end
    n = n + 1
  end
  i = 0
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
