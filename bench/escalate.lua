-- wrk script for escalations: each request sends the escalation form of a different visit that
-- has reached an escalating ending and has no ticket yet, so each answered post opens a ticket.
--
-- $BENCH_VISITS lists one visit per line: "<problem> <ending> <cookie value> <form token>
-- <outcome event id>". Every request carries its own X-Forwarded-For (10.x.y.z), as customers
-- behind a proxy would, so no per-client limit applies to the benchmark as a whole. The status
-- link each answered post leads to is written to $BENCH_OUT.tickets with the visit's line, for
-- the database check: every acknowledged ticket is there, once, behind that link.

local threads = {}
local created = 0

function setup(thread)
  created = created + 1
  thread:set("tid", created)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  rows, index = {}, {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_VISITS")) do
    if i % nthreads == tid - 1 then
      rows[#rows + 1] = line
      index[#rows] = i
    end
    i = i + 1
  end
  -- The status link each acknowledged post led to, by the visit's line in $BENCH_VISITS.
  acked_index, acked_link = {}, {}
  next_row, answered, failed, starved, sent = 1, 0, 0, 0, 0
  checking = (tid == 1)
end

local function form(line, n)
  local problem, ending, cookie, csrf, outcome = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+)$")
  local client = n * nthreads + tid
  local body = "csrf=" .. csrf .. "&outcome=" .. outcome
    .. "&name=Ann+Smith&email=ann.smith" .. client .. "%40example.com"
    .. "&email_program=Apple+Mail&phone=&account=example.com"
    .. "&description=It+started+this+morning."
  return wrk.format("POST", "/problems/" .. problem .. "/steps/" .. ending .. "/escalate", {
    ["Cookie"] = "helpdesk_visit=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(client / 65536) % 256, math.floor(client / 256) % 256, client % 256),
    -- The visit's line in $BENCH_VISITS (none for the request wrk only checks, n = 0).
    ["X-Request-Id"] = "e" .. (index[n] or "-check"),
  }, body)
end

function request()
  if checking then
    checking = false
    return form(rows[1], 0)
  end
  local line = rows[next_row]
  if line == nil then
    starved = starved + 1
    return wrk.format("GET", "/healthz")
  end
  local n = next_row
  next_row = n + 1
  sent = sent + 1
  return form(line, n)
end

function response(status, headers, body)
  local link = (headers["location"] or ""):match("^/tickets/(%x+)%?sent=1")
  if status == 303 and link then
    answered = answered + 1
    local i = (headers["x-request-id"] or ""):match("^e(%d+)$")
    if i then
      acked_index[#acked_index + 1] = i
      acked_link[#acked_link + 1] = link
    end
  elseif status ~= 200 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local t = { answered = 0, failed = 0, starved = 0, sent = 0 }
  local acked = assert(io.open(os.getenv("BENCH_OUT") .. ".tickets", "w"))
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + thread:get(key) end
    local idx, links = thread:get("acked_index"), thread:get("acked_link")
    for k = 1, #idx do
      acked:write(idx[k], " ", links[k], "\n")
    end
  end
  acked:close()
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"answered":%d,"sent":%d,"failed":%d,"starved":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status,
    t.answered, t.sent, t.failed, t.starved))
  out:close()
end
