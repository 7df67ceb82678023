-- wrk script: POST the `availableModels` query a bot platform sends, with a READER token.
--
--   TUNER_TOKEN=tnr_... wrk -t2 -c64 -d30s --latency -s bench/available_models.lua http://HOST:PORT/graphql
--
-- `cargo run --release --example fanout_bench -- --wrk` sets up a server with one READY model,
-- runs wrk with this script and checks the answer (see BENCHMARKS.md).
--
-- With WRK_CHECK_BODY=1 every answer is checked (HTTP 200, a non-empty `availableModels`, no
-- `errors`) and "Bad answers: N" is printed at the end. Checking makes wrk read every body, so
-- it costs client CPU; leave it off when measuring throughput.

local token = os.getenv("TUNER_TOKEN")
if token == nil or token == "" then
  error("set TUNER_TOKEN to an API token (READER is enough)")
end

wrk.method = "POST"
wrk.body = '{"query":"{ availableModels { id name providerModel systemPrompt baseModel retiresAt rulesChangedSinceTraining } }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

if os.getenv("WRK_CHECK_BODY") == "1" then
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
  end

  function init(args)
    bad = 0
  end

  function response(status, headers, body)
    if status ~= 200
      or string.find(body, '"availableModels":[{', 1, true) == nil
      or string.find(body, '"errors"', 1, true) ~= nil then
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
