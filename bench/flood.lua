-- wrk script for the flood: one client (one X-Forwarded-For, as the trusted local proxy tells
-- it) posting the same answer with one visit in a loop, while the normal customers click: each
-- connection waits $BENCH_FLOOD_DELAY_MS between posts (a script in a loop, thousands a second,
-- not a second machine's worth of load tools on the server's two cores). Past its allowance every
-- post is refused with 429; the run counts what it got.
--
-- $BENCH_FLOOD is "<cookie value> <form token>" of a visit at the first step of "can't send".

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local cookie, csrf = os.getenv("BENCH_FLOOD"):match("^(%S+) (%S+)")
  post = wrk.format("POST", "/problems/cant-send/steps/check-smtp-settings/choose", {
    ["Cookie"] = "helpdesk_visit=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = "203.0.113.66",
  }, "csrf=" .. csrf .. "&choice=0")
  accepted, refused, other = 0, 0, 0
  flood_delay = tonumber(os.getenv("BENCH_FLOOD_DELAY_MS"))
end

function delay()
  return flood_delay
end

function request()
  return post
end

function response(status, headers, body)
  if status == 303 then
    accepted = accepted + 1
  elseif status == 429 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t = { accepted = 0, refused = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + thread:get(key)
    end
  end
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"accepted":%d,"refused":%d,"other":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status, t.accepted, t.refused, t.other))
  out:close()
end
