-- wrk script for step transitions: many simulated customers, each with its own visit cookie,
-- post a choice at "check-smtp-settings" and follow the redirect to the step it leads to.
--
-- $BENCH_VISITS lists one prepared visit per line: "<cookie value> <form token>", each already
-- at the first step of "can't send". A visit alternates its answers (0, 1, 0, 1, ...) so every
-- post records a choice, and never has two requests in flight: it waits in a free queue of its
-- thread until the response to its last request has arrived.
--
-- Each transition is one pipelined pair on one connection: the POST and then the GET of the
-- step its answer leads to. The server answers a connection's requests in order, so the GET is
-- read only after the POST was answered (i.e. after its commit). wrk counts the pair as one
-- latency sample. The X-Request-Id the server echoes tells which visit and which transition a
-- response belongs to; the answered transitions per visit go to $BENCH_OUT.visits for the
-- database check.

local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("tid", created)
  table.insert(threads, thread)
end

local STEP = "/problems/cant-send/steps/"
local CHOOSE = STEP .. "check-smtp-settings/choose"
local NEXT = { [0] = STEP .. "fixed", [1] = STEP .. "use-isp-smtp" }

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  cookie, csrf, index, sent, acked = {}, {}, {}, {}, {}
  byindex = {}
  queue, head, tail = {}, 1, 0
  local i = 0
  for line in io.lines(os.getenv("BENCH_VISITS")) do
    if i % nthreads == tid - 1 then
      local c, t = line:match("^(%S+) (%S+)")
      local n = #cookie + 1
      cookie[n], csrf[n], index[n], sent[n], acked[n] = c, t, i, 0, 0
      byindex[i] = n
      tail = tail + 1
      queue[tail] = n
    end
    i = i + 1
  end
  answered, wrong_location, failed_posts, failed_gets, pages, starved = 0, 0, 0, 0, 0, 0
  -- wrk calls request() once on the first thread to check the request; that one is never sent.
  checking = (tid == 1)
end

-- Each simulated customer is a client of its own, as the local proxy (the server trusts
-- 127.0.0.1) tells it: its per-client limits count its own clicks.
local function address(i)
  return string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
end

local function pair(n, k)
  local choice = k % 2
  local id = index[n] .. "-" .. (k + 1)
  local c = "helpdesk_visit=" .. cookie[n]
  local client = address(index[n])
  return wrk.format("POST", CHOOSE, {
      ["Cookie"] = c,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Request-Id"] = "p" .. id,
      ["X-Forwarded-For"] = client,
    }, "csrf=" .. csrf[n] .. "&choice=" .. choice)
    .. wrk.format("GET", NEXT[choice], { ["Cookie"] = c, ["X-Request-Id"] = "g" .. id, ["X-Forwarded-For"] = client })
end

function request()
  if checking then
    checking = false
    return pair(1, 0)
  end
  if head > tail then
    -- Every visit of this thread has a request in flight: give more visits per connection.
    starved = starved + 1
    return wrk.format("GET", "/healthz") .. wrk.format("GET", "/healthz")
  end
  local n = queue[head]
  queue[head] = nil
  head = head + 1
  local k = sent[n]
  sent[n] = k + 1
  return pair(n, k)
end

function response(status, headers, body)
  local id = headers["x-request-id"]
  if id == nil then return end
  local kind, i, k = id:match("^(%a)(%d+)-(%d+)$")
  if kind == nil then return end
  local n = byindex[tonumber(i)]
  k = tonumber(k)
  if kind == "p" then
    if status == 303 then
      if headers["location"] == NEXT[(k - 1) % 2] then
        answered = answered + 1
        acked[n] = acked[n] + 1
      else
        wrong_location = wrong_location + 1
      end
    else
      failed_posts = failed_posts + 1
    end
  else
    if status == 200 then pages = pages + 1 else failed_gets = failed_gets + 1 end
    -- The pair is complete: the visit may go again.
    tail = tail + 1
    queue[tail] = n
  end
end

function done(summary, latency, requests)
  local base = os.getenv("BENCH_OUT")
  local v = assert(io.open(base .. ".visits", "w"))
  local t = { answered = 0, wrong_location = 0, failed_posts = 0, failed_gets = 0, pages = 0, starved = 0, sent = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      if key ~= "sent" then t[key] = t[key] + thread:get(key) end
    end
    local idx, s, a = thread:get("index"), thread:get("sent"), thread:get("acked")
    for n = 1, #idx do
      t.sent = t.sent + s[n]
      v:write(idx[n], " ", s[n], " ", a[n], "\n")
    end
  end
  v:close()
  local out = assert(io.open(base, "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"answered":%d,"sent":%d,"wrong_location":%d,"failed_posts":%d,"failed_gets":%d,"pages":%d,"starved":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status,
    t.answered, t.sent, t.wrong_location, t.failed_posts, t.failed_gets, t.pages, t.starved))
  out:close()
end
