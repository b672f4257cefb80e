-- wrk script for bench/gateway_bench.sh: POST /v1/chat/completions with a body that is
-- unique per request (run nonce + thread id + counter in the user message), so no cache
-- can answer, not even one warmed by an earlier run.
-- Environment: BENCH_PATH (default /v1/chat/completions), BENCH_MODEL, BENCH_AUTH (the
-- bearer key), BENCH_EXTRA_HEADERS ("name: value|name: value", e.g. Portkey's routing),
-- BENCH_TEMPERATURE (default 0: cacheable, so interviewd's lookup + store path runs),
-- BENCH_NONCE (default: the time; gateway_bench.sh passes a fresh one per run).
local path = os.getenv("BENCH_PATH") or "/v1/chat/completions"
local model = os.getenv("BENCH_MODEL") or "mock-small"
local auth = os.getenv("BENCH_AUTH")
local extra = os.getenv("BENCH_EXTRA_HEADERS") or ""
local temperature = os.getenv("BENCH_TEMPERATURE") or "0"
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local headers = { ["Content-Type"] = "application/json" }
if auth and auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
for pair in string.gmatch(extra, "[^|]+") do
  local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
  if name then headers[name] = value end
end

local n = 0
function request()
  n = n + 1
  local body = '{"model":"' .. model .. '","messages":[{"role":"system","content":"You are terse."},' ..
    '{"role":"user","content":"bench ' .. nonce .. '-' .. tostring(tid) .. '-' .. n ..
    ': explain a hash map in one line"}],"temperature":' .. temperature .. ',"max_tokens":32}'
  return wrk.format("POST", path, headers, body)
end

-- Counts non-2xx answers per thread; done() prints the total so the script can check it.
local bad = 0
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  -- one machine-readable line for gateway_bench.sh
  io.write(string.format("BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
