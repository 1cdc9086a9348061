-- Replays pre-signed GHL webhook requests (see bench/lib/requests-file.ts for the file format).
--
-- Environment (set by bench/ingest.ts):
--   BENCH_REQUESTS_FILE  path of the requests file (required)
--   BENCH_SIG            which signature header(s) to send: ed25519 | rsa | both | none (default ed25519)
--   BENCH_PATH           request path (default /)
--   BENCH_START          index of the first request to send (0-based, default 0); the runner
--                        passes the warm-up's count so the measured run never repeats a body
--   BENCH_THREADS        wrk -t value; thread k sends requests start+k, start+k+T, …
--
-- Every request is formatted once in init(), so request() only returns a prepared string and the
-- load generator spends its CPU on the socket, not on Lua. done() prints one line
-- `BENCH_JSON {…}` with exact counts and latency percentiles in microseconds.

threads = {}
thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(os.getenv("BENCH_REQUESTS_FILE"), "BENCH_REQUESTS_FILE is not set")
  local sig = os.getenv("BENCH_SIG") or "ed25519"
  local path = os.getenv("BENCH_PATH") or "/"
  local start = tonumber(os.getenv("BENCH_START") or "0")
  stride = tonumber(os.getenv("BENCH_THREADS") or "1")

  local want_ed = sig == "ed25519" or sig == "both"
  local want_rsa = sig == "rsa" or sig == "both"

  prepared = {}
  count = 0
  local headers = { ["Content-Type"] = "application/json" }
  local f = assert(io.open(file, "rb"))
  local header = f:read("*l")
  assert(header and header:sub(1, 20) == "#ghl-bench-requests ", "not a bench requests file: " .. file)
  while true do
    local body = f:read("*l")
    if not body or body == "" then break end
    local ed = f:read("*l")
    local rsa = f:read("*l")
    if want_rsa and rsa == "" then break end -- only a prefix of the file is RSA-signed
    if want_ed then headers["x-ghl-signature"] = ed end
    if want_rsa then headers["x-wh-signature"] = rsa end
    count = count + 1
    prepared[count] = wrk.format("POST", path, headers, body)
  end
  f:close()
  assert(count > 0, "no usable requests in " .. file .. " for BENCH_SIG=" .. sig)

  -- 1-based cursor: next index is cursor + 1.
  cursor = (start + thread_id) % count
  issued = 0
  wrapped = 0
  -- os.clock() is CPU time of the whole wrk process; init runs before the load phase starts.
  init_clock = os.clock()
end

function request()
  local i = cursor + 1
  cursor = cursor + stride
  if cursor >= count then
    cursor = cursor % count
    wrapped = wrapped + 1
  end
  issued = issued + 1
  return prepared[i]
end

function done(summary, latency, requests)
  local issued_total, wrapped_total, loaded, load_start = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    load_start = math.max(load_start, t:get("init_clock") or 0)
    issued_total = issued_total + (t:get("issued") or 0)
    wrapped_total = wrapped_total + (t:get("wrapped") or 0)
    loaded = t:get("count") or loaded
  end
  local e = summary.errors
  local p = function(q) return latency:percentile(q) end
  io.write(string.format(
    'BENCH_JSON {"durationUs":%d,"requests":%d,"bytes":%d,"issued":%d,"wrapped":%d,"loaded":%d,"wrkCpuSec":%.3f,"wrkTotalCpuSec":%.3f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, summary.bytes, issued_total, wrapped_total, loaded, os.clock() - load_start, os.clock(),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    p(50), p(75), p(90), p(99), p(99.9)))
end
