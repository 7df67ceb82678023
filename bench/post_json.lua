-- wrk script: POST one JSON body with a bearer token, over and over.
--
--   BENCH_TOKEN=tnr_... BENCH_BODY='{"model":"support","messages":[{"role":"user","content":"hi"}]}' \
--     wrk -t2 -c16 -d15s --latency -s bench/post_json.lua http://HOST:PORT/v1/chat/completions
--
-- `bench/chat_bench.py` runs it against tuner (custom model name, tuner token) and against the
-- provider emulator directly (provider model and system prompt, the emulator's key);
-- `bench/graphql_bench.py` against tuner, PostGraphile and a bare axum handler; see
-- BENCHMARKS.md. wrk reports non-2xx answers itself ("Non-2xx or 3xx responses").
--
-- With WRK_CHECK_BODY=1 every answer must also contain BENCH_EXPECT (a plain substring) and
-- "Bad answers: N" is printed at the end; it costs wrk CPU, so it is off for the numbers.

local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
if token == nil or token == "" or body == nil or body == "" then
  error("set BENCH_TOKEN (the API key to send) and BENCH_BODY (the JSON request)")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

if os.getenv("WRK_CHECK_BODY") == "1" then
  local expect = os.getenv("BENCH_EXPECT") or '"choices"'
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
  end

  function init(args)
    bad = 0
  end

  function response(status, headers, answer)
    if status ~= 200 or string.find(answer, expect, 1, true) == nil then
      bad = bad + 1
    end
  end

  function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
      total = total + thread:get("bad")
    end
    io.write(string.format("Bad answers: %d\n", total))
  end
end
