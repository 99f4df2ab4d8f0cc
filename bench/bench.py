#!/usr/bin/env python3
"""The click-path benchmark of helpdesk (run it through `bench/run`, which builds and installs).

Starts the release server on loopback with a fresh database and measures, with wrk, each for a
fixed duration at each connection count:

1. a step page, rendered for a visit that already has a path; the same page for a customer
   without a cookie (1b: a first visit, a crawler); and the page of 1 gzipped (1c:
   `Accept-Encoding: gzip`), against nginx gzipping the same file;
2. step transitions: simulated customers, each with its own visit cookie, post a choice and
   follow the redirect to the next step;
3. escalations: the form post that opens a ticket with the customer's path;
4. the manager queue and one ticket page, on a database seeded by `helpdesk seed`;
5. the baseline in the same run: the step page's HTML saved to a file and served by nginx
   (Debian's, when installed), and the server's own static route.

The pages of 1 and the baseline run in interleaved rounds (page, nginx, page without a cookie,
gzipped page, nginx gzip), and each ratio is taken within a round. Prints one table (requests/s,
p50 and p99 latency, server CPU per request, peak RSS, each as a ratio to the baseline), checks
that every answered choice is in the database exactly once, and checks the targets of
docs/BENCHMARKS.md. Only loopback addresses are used.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
STEP = "/problems/cant-send/steps/use-isp-smtp"
# The problem's first step: where a customer following the home page's link lands.
FIRST_STEP = "/problems/cant-send/steps/check-smtp-settings"
MANAGER_EMAIL = "bench@example.com"
MANAGER_PASSWORD = "bench-password-" + uuid.uuid4().hex[:12]

# Targets (docs/BENCHMARKS.md). Ratios and absolute figures from one run.
TARGET_PAGE_VS_NGINX = 0.9
TARGET_TRANSITIONS = 10_000
TARGET_TRANSITION_P99_MS = 25
TARGET_TICKETS = 2_000
TARGET_CONSOLE_P99_MS = 20
TARGET_IDLE_RSS_MB = 20
TARGET_LOADED_RSS_MB = 60
TARGET_LOGGED_VS_WARN = 0.9
# The flooding client of row 2f: its connections, each waiting this long between posts (about
# 4,000 posts a second in all, 800 times what the choice limit allows one client).
FLOOD_CONNS = 8
FLOOD_DELAY_MS = 2
TARGET_START_MS = 50


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Processes: CPU time and memory from /proc.


def process_tree(pid):
    """`pid` and its children (nginx's workers)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / CLOCK_TICKS


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pids):
    return sum(status_kb(p, "VmRSS") for p in pids) / 1024


def reset_peak(pids):
    """Resets VmHWM (Linux 4.0+); returns whether that worked for every process."""
    ok = True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


class PeakSampler:
    """Peak RSS over a run: VmHWM after a reset, or else the largest of 20 samples a second."""

    def __init__(self, pids):
        self.pids = pids
        self.exact = reset_peak(pids)
        self.peak = rss_mb(pids)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, rss_mb(self.pids))

    def finish(self):
        self.stop.set()
        self.thread.join()
        if self.exact:
            return max(self.peak, sum(status_kb(p, "VmHWM") for p in self.pids) / 1024)
        return self.peak


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(port, path, deadline, proc=None):
    """Polls until `GET path` answers 200; returns when it did (perf_counter)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.perf_counter()
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process exited with {proc.returncode}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"nothing answered on port {port}")
        time.sleep(0.0005)


class Server:
    """`helpdesk serve` on a loopback port, its request log off like nginx's access log.

    `rust_log` is the RUST_LOG it runs with (`BENCH_RUST_LOG`, or `warn`); `None` runs it with
    none, at the log level an installation gets by default, its log going to a file."""

    def __init__(self, binary, db_path, workdir, name, rust_log="warn", extra_args=()):
        self.binary, self.db_path, self.workdir, self.name = binary, db_path, workdir, name
        self.extra_args = list(extra_args)
        self.rust_log = os.environ.get("BENCH_RUST_LOG", rust_log) if rust_log else None
        self.proc = None

    @property
    def url(self):
        return f"sqlite://{self.db_path}"

    def start(self):
        self.port = free_port()
        self.logfile = open(os.path.join(self.workdir, f"{self.name}.log"), "ab")
        env = dict(os.environ, NO_COLOR="1")
        env.pop("RUST_LOG", None)
        if self.rust_log:
            env["RUST_LOG"] = self.rust_log
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            # The load comes from loopback as from a local proxy: each simulated customer sends
            # its own X-Forwarded-For, and the per-client limits count each customer apart.
            [self.binary, "serve", "--listen", f"{HOST}:{self.port}", "--database-url", self.url,
             "--trusted-proxy", "127.0.0.1", *self.extra_args],
            stdout=self.logfile, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
        )
        try:
            answered = wait_for(self.port, "/healthz", began + 60, self.proc)
        except RuntimeError as e:
            self.logfile.flush()
            with open(self.logfile.name, errors="replace") as f:
                raise RuntimeError(f"{self.name} server: {e}; its log ends:\n{f.read()[-2000:]}") from None
        self.start_ms = (answered - began) * 1000
        time.sleep(0.3)
        self.idle_rss_mb = rss_mb([self.proc.pid])
        return self

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logfile.close()


class Nginx:
    """An nginx instance of our own: Debian's defaults, the access log off, one HTML file."""

    def __init__(self, workdir, html):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "www"), exist_ok=True)
        os.chmod(workdir, 0o755)
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, "www"), 0o755)
        page = os.path.join(self.dir, "www", "step.html")
        with open(page, "wb") as f:
            f.write(html)
        os.chmod(page, 0o644)
        self.port = free_port()
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            conf = f.read().replace("@DIR@", self.dir).replace("@PORT@", str(self.port))
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        if os.geteuid() == 0:
            # Workers run as nobody; they must reach the file.
            with open(self.conf) as f:
                conf = f.read()
            with open(self.conf, "w") as f:
                f.write("user nobody nogroup;\n" + conf if _group_exists("nogroup") else conf)

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("nginx"), "-p", self.dir, "-c", self.conf, "-e", os.path.join(self.dir, "nginx-error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        wait_for(self.port, "/step.html", time.perf_counter() + 20, self.proc)
        time.sleep(0.3)
        return self

    def pids(self):
        return process_tree(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _group_exists(name):
    try:
        import grp

        grp.getgrnam(name)
        return True
    except (ImportError, KeyError):
        return False


# ---------------------------------------------------------------------------------------------
# Customers over HTTP, for preparing the load.


class Client:
    """One keep-alive connection with the cookies of one browser."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies = {}

    def request(self, method, path, form=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, data

    def close(self):
        self.conn.close()


def hidden(html, name):
    m = re.search(rf'name="{name}"\s+value="([^"]*)"', html.decode()) or re.search(
        rf'value="([^"]*)"\s+name="{name}"', html.decode()
    )
    if not m:
        raise RuntimeError(f"no hidden field {name} in the page")
    return m.group(1)


def expect(status, wanted, what):
    if status != wanted:
        raise RuntimeError(f"{what}: answered {status}, expected {wanted}")


def start_visit(port):
    """A new customer at the first step of "can't send": (client, cookie, csrf).

    As a browser does it: the first step's page (no cookie yet, so its forms carry the pending
    token `new-<uuid>`), the "start over" form posted with that token (which starts the visit and
    sets the cookie), then the page again for the visit's own form token.
    """
    c = Client(port)
    status, headers, body = c.request("GET", FIRST_STEP)
    expect(status, 200, f"GET {FIRST_STEP} without a cookie")
    if headers.get_all("Set-Cookie"):
        raise RuntimeError(f"GET {FIRST_STEP} without a cookie set one")
    pending = hidden(body, "csrf")
    if not pending.startswith("new-"):
        raise RuntimeError(f"the first page's form token is {pending!r}, not a pending `new-` one")
    status, _, _ = c.request("POST", "/problems/cant-send/start", {"csrf": pending})
    expect(status, 303, "POST start")
    cookie = c.cookies.get("helpdesk_visit")
    if not cookie:
        raise RuntimeError("starting the problem set no visit cookie")
    status, _, body = c.request("GET", FIRST_STEP)
    expect(status, 200, f"GET {FIRST_STEP} with the visit")
    csrf = hidden(body, "csrf")
    if csrf.startswith("new-"):
        raise RuntimeError("the page of a started visit still carries a pending token")
    return c, cookie, csrf


def check_page_encodings(port, cookie, nginx):
    """Checks the step page comes gzipped when asked (from the server and from nginx) and
    plain when not; returns the bytes of each body."""
    sizes = {}
    c = Client(port)
    for label, headers in (("plain", {}), ("gzip", {"Accept-Encoding": "gzip"})):
        status, h, body = c.request("GET", STEP, headers=dict(headers, Cookie=f"helpdesk_visit={cookie}"))
        expect(status, 200, f"GET {STEP} ({label})")
        if (h.get("Content-Encoding") == "gzip") != (label == "gzip"):
            raise RuntimeError(f"the step page asked for {label} came with Content-Encoding {h.get('Content-Encoding')}")
        sizes[f"page {label}"] = len(body)
    c.close()
    if nginx:
        n = http.client.HTTPConnection(HOST, nginx.port, timeout=10)
        n.request("GET", "/step.html", headers={"Accept-Encoding": "gzip"})
        r = n.getresponse()
        body = r.read()
        if r.headers.get("Content-Encoding") != "gzip":
            raise RuntimeError("nginx did not gzip the step page")
        sizes["nginx gzip"] = len(body)
        n.close()
    return sizes


def walk_to_step_page(port):
    """A visit that has a path (one answer given) and is on STEP; returns (cookie, html)."""
    c, cookie, csrf = start_visit(port)
    status, _, _ = c.request("POST", "/problems/cant-send/steps/check-smtp-settings/choose", {"csrf": csrf, "choice": "1"})
    expect(status, 303, "POST choose")
    status, _, html = c.request("GET", STEP)
    expect(status, 200, "GET step")
    c.close()
    return cookie, html


def clone_visits(port, db_path, template_cookie, count):
    """`count` new visits with the template visit's events, inserted as the server records them.

    Walking every visit over HTTP would take longer than the run it prepares. Returns
    [(visit id, form token, id of the last event)].
    """
    db = sqlite3.connect(db_path, timeout=30)
    template = db.execute(
        "SELECT seq, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind"
        " FROM visit_events WHERE visit_id = ? ORDER BY seq",
        (template_cookie,),
    ).fetchall()
    if not template:
        raise RuntimeError("the template visit has no events")
    now = int(time.time() * 1000)
    out = []
    with db:
        for _ in range(count):
            vid, token = str(uuid.uuid4()), uuid.uuid4().hex
            db.execute("INSERT INTO visits (id, csrf_token, started_at) VALUES (?, ?, ?)", (vid, token, now))
            for e in template:
                cur = db.execute(
                    "INSERT INTO visit_events (visit_id, seq, at, kind, guide_version, problem_id, node_id,"
                    " choice_index, next_id, outcome_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (vid, e[0], now, *e[1:]),
                )
            out.append((vid, token, cur.lastrowid))
    db.close()
    return out, template


def prepare_visits(port, db_path, count, path):
    """`count` customers at the first step of "can't send", written as "cookie csrf" lines.

    One customer picks the symptom over HTTP; the others are copies of it (`clone_visits`).
    """
    c, cookie, _ = start_visit(port)
    c.close()
    visits, _ = clone_visits(port, db_path, cookie, count)
    with open(path, "w") as f:
        for vid, token, _ in visits:
            f.write(f"{vid} {token}\n")
    return visits


def walk_to_ending(port):
    """A new customer walked over HTTP to "contact IIMS" in "can't send", the form not sent:
    (cookie, form token, outcome event id)."""
    c, cookie, csrf = start_visit(port)
    for step, choice, to in (("check-smtp-settings", "1", "use-isp-smtp"), ("use-isp-smtp", "1", "contact-iims")):
        status, _, _ = c.request("POST", f"/problems/cant-send/steps/{step}/choose", {"csrf": csrf, "choice": choice})
        expect(status, 303, "POST choose")
        status, _, html = c.request("GET", f"/problems/cant-send/steps/{to}")
        expect(status, 200, f"GET {to}")
    outcome = hidden(html, "outcome")
    c.close()
    return cookie, csrf, outcome


def prepare_escalations(port, db_path, count, path):
    """`count` visits that reached "contact IIMS" and have not sent the form yet.

    One visit walks there over HTTP; its events are then copied, as recorded, to `count` new
    visits directly in the database (walking each over HTTP would take longer than the run).
    Written as "problem ending cookie csrf outcome-event" lines.
    """
    cookie, _, _ = walk_to_ending(port)
    visits, template = clone_visits(port, db_path, cookie, count)
    if template[-1][1] != "outcome":
        raise RuntimeError("the template visit did not reach an ending")
    with open(path, "w") as f:
        for vid, token, outcome in visits:
            f.write(f"cant-send contact-iims {vid} {token} {outcome}\n")
    return [v[0] for v in visits]


def sign_in(port):
    """Signs the benchmark's manager in; returns the session cookie header value."""
    c = Client(port)
    status, _, body = c.request("GET", "/console/sign-in")
    expect(status, 200, "GET /console/sign-in")
    form = {"csrf": hidden(body, "csrf"), "email": MANAGER_EMAIL, "password": MANAGER_PASSWORD, "next": "/console/tickets"}
    status, _, _ = c.request("POST", "/console/sign-in", form)
    expect(status, 303, "POST /console/sign-in")
    session = c.cookies.get("helpdesk_console")
    if not session:
        raise RuntimeError("signing in set no session cookie")
    status, _, body = c.request("GET", "/console/tickets")
    expect(status, 200, "GET /console/tickets")
    c.close()
    return f"helpdesk_console={session}"


# ---------------------------------------------------------------------------------------------
# Running wrk.


class Load:
    def __init__(self, args, workdir):
        self.args, self.workdir, self.runs = args, workdir, 0

    def run(self, target, url, conns, duration, script="get.lua", headers=(), env=None, unit="request"):
        """Runs wrk against `target` (a Server or Nginx); returns the figures of the run."""
        self.runs += 1
        out = os.path.join(self.workdir, f"wrk-{self.runs}.json")
        threads = max(1, min(self.args.threads, conns))
        cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--timeout", "10s",
               "-s", os.path.join(HERE, script)]
        for h in headers:
            cmd += ["-H", h]
        cmd.append(url)
        wrk_env = dict(os.environ, BENCH_OUT=out, BENCH_THREADS=str(threads), **(env or {}))
        pids = target.pids()
        sampler = PeakSampler(pids)
        cpu_before = cpu_seconds(pids)
        done = subprocess.run(cmd, env=wrk_env, capture_output=True, text=True)
        cpu = cpu_seconds(pids) - cpu_before
        peak = sampler.finish()
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"wrk failed: {done.stdout}{done.stderr}")
        with open(out) as f:
            r = json.load(f)
        seconds = r["duration_us"] / 1e6
        # What the row counts: pages, transitions (a POST and a GET), tickets.
        units = r.get("answered", r["requests"]) if unit != "request" else r["requests"]
        r.update(
            conns=conns,
            rate=units / seconds,
            p50_ms=r["p50_us"] / 1000,
            p99_ms=r["p99_us"] / 1000,
            cpu_us=cpu * 1e6 / max(units, 1),
            peak_rss_mb=peak,
            units=units,
            seconds=seconds,
            out=out,
        )
        bad = sum(r["errors"].values())
        if bad:
            log(f"    wrk errors: {r['errors']}")
        return r


    def run_with_flood(self, server, base, conns, duration, visits_file):
        """The transition load of `visits_file`, while one more client (one visit, one address)
        posts the same answer in a loop on FLOOD_CONNS connections of its own; returns
        the transitions' figures and the flood's."""
        flooder = os.path.join(self.workdir, f"flooder-{conns}.txt")
        prepare_visits(server.port, server.db_path, 1, flooder)
        with open(flooder) as f:
            visit = f.readline().strip()
        out = os.path.join(self.workdir, f"flood-{conns}.json")
        cmd = ["wrk", "-t", "1", "-c", str(FLOOD_CONNS), "-d", f"{duration}s", "--timeout", "10s",
               "-s", os.path.join(HERE, "flood.lua"), base + "/"]
        flood = subprocess.Popen(cmd, env=dict(os.environ, BENCH_OUT=out, BENCH_FLOOD=visit,
                                          BENCH_FLOOD_DELAY_MS=str(FLOOD_DELAY_MS)),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            t = self.run(server, base + "/", conns, duration, script="transition.lua",
                         env={"BENCH_VISITS": visits_file}, unit="transition")
        finally:
            output, _ = flood.communicate(timeout=duration + 30)
        if flood.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"the flood's wrk failed: {output}")
        with open(out) as f:
            r = json.load(f)
        r["rate"] = r["requests"] / (r["duration_us"] / 1e6)
        return t, r


def paired(runs, baselines):
    """The median of `runs`, with its ratio to the baseline run beside it, round by round."""
    m = median_run(runs)
    m["pair_ratios"] = [a["rate"] / b["rate"] for a, b in zip(runs, baselines)]
    m["pair_median"] = statistics.median(m["pair_ratios"])
    return m


def median_run(runs):
    """The median of each figure over several runs."""
    m = dict(runs[0])
    for key in ("rate", "p50_ms", "p99_ms", "cpu_us", "peak_rss_mb"):
        m[key] = statistics.median(r[key] for r in runs)
    m["runs"] = len(runs)
    return m


# ---------------------------------------------------------------------------------------------
# Database checks.


def check_choices(db_path, visits_file, result):
    """Compares the choices in the database with what wrk saw answered, visit by visit."""
    per_visit = {}
    with open(result["out"] + ".visits") as f:
        for line in f:
            idx, sent, acked = map(int, line.split())
            per_visit[idx] = (sent, acked)
    with open(visits_file) as f:
        ids = [line.split()[0] for line in f]
    time.sleep(0.5)  # let requests still in flight when wrk stopped finish their commit
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    db.execute("CREATE TEMP TABLE bench_visits (id TEXT PRIMARY KEY, idx INTEGER)")
    db.executemany("INSERT INTO bench_visits VALUES (?, ?)", [(v, i) for i, v in enumerate(ids)])
    rows = db.execute(
        "SELECT b.idx, e.choice_index FROM visit_events e JOIN bench_visits b ON b.id = e.visit_id"
        " WHERE e.kind = 'choice' AND e.problem_id = 'cant-send' AND e.node_id = 'check-smtp-settings'"
        " ORDER BY b.idx, e.seq"
    ).fetchall()
    db.close()
    recorded = {}
    for idx, choice in rows:
        recorded.setdefault(idx, []).append(choice)
    lost = duplicated = out_of_order = in_flight = 0
    for idx, (sent, acked) in per_visit.items():
        got = recorded.get(idx, [])
        lost += max(0, acked - len(got))
        duplicated += max(0, len(got) - sent)
        if got != [k % 2 for k in range(len(got))]:
            out_of_order += 1
        in_flight += max(0, min(len(got), sent) - acked)
    return {
        "db": len(rows),
        "answered": result["answered"],
        "sent": result["sent"],
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        "committed_unseen": in_flight,
    }


# The path an escalation from "contact IIMS" carries: the two steps answered and the ending.
ESCALATION_PATH = ["check-smtp-settings", "use-isp-smtp", "contact-iims"]


# Each ticket of the run: (visit id, status token, its path's steps in order, space-separated).
TICKETS_SQL = ("SELECT t.visit_id, t.status_token, (SELECT group_concat(node_id, ' ') FROM"
               "  (SELECT node_id FROM ticket_path p WHERE p.ticket_id = t.id ORDER BY p.position))"
               " FROM tickets t")


def check_tickets(db_path, visit_ids, result):
    """Checks the tickets opened for the prepared visits on the SQLite file `db_path`."""
    time.sleep(0.5)
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    rows = db.execute(TICKETS_SQL).fetchall()
    db.close()
    return judge_tickets(rows, visit_ids, result)


def judge_tickets(rows, visit_ids, result):
    """Checks the tickets opened for the prepared visits (`rows` as TICKETS_SQL reads them): each
    acknowledged one is in the database once, for its own visit, behind the status link the
    customer was sent to; no visit has two; and each carries its whole path."""
    acked = {}
    with open(result["out"] + ".tickets") as f:
        for line in f:
            idx, link = line.split()
            acked[int(idx)] = link
    index = {v: i for i, v in enumerate(visit_ids)}
    rows = [(index[v], token, path) for v, token, path in rows if v in index]
    stored = {}
    for idx, link, _ in rows:
        stored.setdefault(idx, []).append(link)
    lost = sum(1 for idx, link in acked.items() if link not in stored.get(idx, []))
    doubled = sum(1 for links in stored.values() if len(links) > 1)
    want = " ".join(ESCALATION_PATH)
    return {"db": len(rows), "answered": result["answered"], "sent": result["sent"],
            "acknowledged": len(acked), "lost": lost, "doubled": doubled,
            "path_rows": sum(1 for (_, _, p) in rows if p == want) * len(ESCALATION_PATH),
            "path_rows_expected": len(rows) * len(ESCALATION_PATH)}


def db_size_mb(db_path):
    return sum(os.path.getsize(p) for p in (db_path, db_path + "-wal") if os.path.exists(p)) / 1e6


# ---------------------------------------------------------------------------------------------
# The table.


def fmt_rate(x):
    return f"{x:,.0f}"


def ratio(x, base):
    return f"{x / base:.2f}x" if base else "-"


def print_table(rows, baseline, out=sys.stdout):
    head = ["scenario", "conns", "per second", "p50 ms", "p99 ms", "CPU us/unit", "peak RSS MB"]
    lines = []
    for name, r in rows:
        b = baseline.get(r["conns"])
        cells = [name, str(r["conns"])]
        for key, f in (("rate", fmt_rate), ("p50_ms", lambda v: f"{v:.2f}"), ("p99_ms", lambda v: f"{v:.2f}"),
                       ("cpu_us", lambda v: f"{v:.1f}"), ("peak_rss_mb", lambda v: f"{v:.1f}")):
            cells.append(f"{f(r[key])} ({ratio(r[key], b[key] if b else 0)})")
        lines.append(cells)
    widths = [max(len(head[i]), *(len(l[i]) for l in lines)) for i in range(len(head))]
    def row(cells):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    print(row(head), file=out)
    print("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|", file=out)
    for l in lines:
        print(row(l), file=out)


# ---------------------------------------------------------------------------------------------
# The run.


def seed(binary, db_path, tickets, events, workdir):
    """A database with `tickets` tickets and `events` path events, and the benchmark's manager."""
    url = f"sqlite://{db_path}"
    subprocess.run(
        [binary, "manager", "add", "--email", MANAGER_EMAIL, "--name", "Bench Manager", "--role", "admin",
         "--password-stdin", "--database-url", url],
        input=MANAGER_PASSWORD + "\n", text=True, check=True, capture_output=True,
    )
    began = time.perf_counter()
    done = subprocess.run(
        [binary, "seed", "--tickets", str(tickets), "--events", str(events), "--seed", "5", "--database-url", url],
        capture_output=True, text=True, cwd=workdir,
    )
    if done.returncode != 0:
        raise RuntimeError(f"helpdesk seed failed: {done.stdout}{done.stderr}")
    return time.perf_counter() - began


def has_seed_command(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    # "  helpdesk seed [...]" in the hand-written usage of older builds, "  seed  ..." in clap's.
    return re.search(r"^\s*(helpdesk )?seed\b", out, re.M) is not None


def console_targets(db_path):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    (events,) = db.execute("SELECT COUNT(*) FROM visit_events").fetchone()
    (tickets,) = db.execute("SELECT COUNT(*) FROM tickets").fetchone()
    # The ticket with the longest path: the ticket page's worst case.
    row = db.execute(
        "SELECT t.number FROM tickets t JOIN ticket_path p ON p.ticket_id = t.id"
        " GROUP BY t.id ORDER BY COUNT(*) DESC, t.number LIMIT 1"
    ).fetchone()
    db.close()
    return events, tickets, (row[0] if row else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=None, help="the helpdesk binary [target/release/helpdesk]")
    p.add_argument("--duration", type=int, default=10, help="seconds per measurement [10]")
    p.add_argument("--pair-duration", type=int, default=5, help="seconds per run of the page/baseline pairs [5]")
    p.add_argument("--pairs", type=int, default=5, help="interleaved page/baseline pairs [5]")
    p.add_argument("--connections", default="64,256", help="connection counts [64,256]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--tickets", type=int, default=100_000, help="tickets in the seeded database [100000]")
    p.add_argument("--events", type=int, default=1_000_000, help="path events in the seeded database [1000000]")
    p.add_argument("--no-nginx", action="store_true", help="skip the nginx baseline")
    p.add_argument("--no-seeded", action="store_true", help="skip the queue and ticket pages (4)")
    p.add_argument("--pages-only", action="store_true",
                   help="only the step pages and the baseline (1, 5): a short targeted run; implies --no-seeded")
    p.add_argument("--scaling", action="store_true", help="also measure 1k, 10k, 100k, 1M events")
    p.add_argument("--scaling-duration", type=int, default=5, help="seconds per scaling measurement [5]")
    p.add_argument("--smoke", action="store_true", help="a tiny load that checks the table and the choices, not the speed")
    p.add_argument("--json", default=None, help="also write every figure to this file")
    p.add_argument("--keep", action="store_true", help="keep the work directory (databases, logs)")
    args = p.parse_args()
    if args.smoke:
        args.duration, args.pair_duration, args.pairs = 1, 1, 1
        args.connections, args.tickets, args.events = "8", 200, 2_000
        args.scaling = False
    if args.pages_only:
        args.no_seeded = True
    conns_list = [int(c) for c in args.connections.split(",")]
    binary = args.binary or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "helpdesk")
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no server binary at {binary}: run `cargo build --release` (bench/run does)")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (bench/run installs it)")
    use_nginx = not args.no_nginx and shutil.which("nginx") is not None

    workdir = tempfile.mkdtemp(prefix="helpdesk-bench-")
    # The whole run uses one binary, even if the target directory is rebuilt meanwhile.
    shutil.copy2(binary, os.path.join(workdir, "helpdesk"))
    binary = os.path.join(workdir, "helpdesk")
    load = Load(args, workdir)
    rows, results, failures = [], {"rows": [], "checks": {}}, []
    baseline = {}
    servers = []
    try:
        # -- fresh database ----------------------------------------------------------------------
        db_path = os.path.join(workdir, "fresh.db")
        log(f"== fresh database, server {args.binary or 'target/release/helpdesk'} (copied to the work directory)")
        server = Server(binary, db_path, workdir, "server").start()
        servers.append(server)
        results["start_fresh_ms"] = server.start_ms
        results["idle_rss_fresh_mb"] = server.idle_rss_mb
        log(f"   first answer {server.start_ms:.1f} ms after start, idle RSS {server.idle_rss_mb:.1f} MB")
        base = f"http://{HOST}:{server.port}"
        cookie, html = walk_to_step_page(server.port)
        page_headers = [f"Cookie: helpdesk_visit={cookie}"]
        css = re.search(rb'href="(/static/style\.css[^"]*)"', html)
        css_path = css.group(1).decode().replace("&amp;", "&") if css else "/static/style.css"
        # The same page from a server at the default log level (one line a request, to a file),
        # for the price of the request log (row 1d).
        logged = Server(binary, os.path.join(workdir, "logged.db"), workdir, "logged", rust_log=None).start()
        servers.append(logged)
        logged_cookie, _ = walk_to_step_page(logged.port)
        logged_base = f"http://{HOST}:{logged.port}"
        nginx = Nginx(workdir, html).start() if use_nginx else None
        log(f"   step page {len(html)} bytes; baseline: {'nginx ' + subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip() if nginx else 'the static route'}")

        gzip_header = ["Accept-Encoding: gzip"]
        sizes = check_page_encodings(server.port, cookie, nginx)
        results["page_bytes"] = sizes
        log("   page bytes: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        nginx_url = f"http://{HOST}:{nginx.port}/step.html" if nginx else None

        for conns in conns_list:
            # 1 and 5: the step page (with a visit, without a cookie, gzipped) and the static
            # baseline (plain, and gzipped for the gzipped page), interleaved in rounds.
            log(f"-- {conns} connections: step pages and baseline, {args.pairs} interleaved rounds")
            pages, statics, cookieless, gz_pages, gz_statics, logged_pages = [], [], [], [], [], []
            for i in range(args.pairs):
                pages.append(load.run(server, base + STEP, conns, args.pair_duration, headers=page_headers))
                if nginx:
                    statics.append(load.run(nginx, nginx_url, conns, args.pair_duration))
                else:
                    statics.append(load.run(server, base + css_path, conns, args.pair_duration))
                cookieless.append(load.run(server, base + STEP, conns, args.pair_duration))
                logged_pages.append(load.run(logged, logged_base + STEP, conns, args.pair_duration,
                                             headers=[f"Cookie: helpdesk_visit={logged_cookie}"]))
                gz_pages.append(load.run(server, base + STEP, conns, args.pair_duration, headers=page_headers + gzip_header))
                if nginx:
                    gz_statics.append(load.run(nginx, nginx_url, conns, args.pair_duration, headers=gzip_header))
                log(f"   round {i + 1}: page {pages[-1]['rate']:,.0f}/s, baseline {statics[-1]['rate']:,.0f}/s"
                    f" ({pages[-1]['rate'] / statics[-1]['rate']:.2f}x); no cookie {cookieless[-1]['rate']:,.0f}/s"
                    f" ({cookieless[-1]['rate'] / statics[-1]['rate']:.2f}x); logged {logged_pages[-1]['rate']:,.0f}/s"
                    f" ({logged_pages[-1]['rate'] / pages[-1]['rate']:.2f}x the page); gzip {gz_pages[-1]['rate']:,.0f}/s"
                    + (f", nginx gzip {gz_statics[-1]['rate']:,.0f}/s ({gz_pages[-1]['rate'] / gz_statics[-1]['rate']:.2f}x)"
                       if gz_statics else ""))
            page, static = paired(pages, statics), median_run(statics)
            nocookie = paired(cookieless, statics)
            # The done-when of the cookieless page: at least as fast as the page of a visit.
            nocookie["vs_visit"] = [a["rate"] / b["rate"] for a, b in zip(cookieless, pages)]
            logged_page = paired(logged_pages, statics)
            logged_page["vs_warn"] = [a["rate"] / b["rate"] for a, b in zip(logged_pages, pages)]
            gz_page = paired(gz_pages, gz_statics if gz_statics else statics)
            gz_page["vs_plain"] = [a["rate"] / b["rate"] for a, b in zip(gz_pages, pages)]
            baseline[conns] = static
            if nginx:
                rows.append(("5. static file by nginx (baseline)", static))
                rows.append(("5. the same file by nginx, gzip", median_run(gz_statics)))
                own = load.run(server, base + css_path, conns, args.duration)
                rows.append(("5. static file by the server (style.css)", own))
            else:
                rows.append(("5. static file by the server (style.css, baseline)", static))
            rows.append(("1. step page, rendered", page))
            rows.append(("1b. step page, no cookie", nocookie))
            rows.append(("1c. step page, rendered, gzip", gz_page))
            rows.append(("1d. step page, default log level", logged_page))

            if args.pages_only:
                continue

            # 2: transitions.
            # Enough customers that each makes about four transitions, as a real path has.
            count = max(8 * conns, int(args.duration * max(2000, 1.5 * results.get("transition_rate", 0)) / 4))
            visits_file = os.path.join(workdir, f"visits-{conns}.txt")
            log(f"-- {conns} connections: step transitions ({count} customers)")
            prepare_visits(server.port, db_path, count, visits_file)
            t = load.run(server, base + "/", conns, args.duration, script="transition.lua",
                         env={"BENCH_VISITS": visits_file}, unit="transition")
            results["transition_rate"] = t["rate"]
            check = check_choices(db_path, visits_file, t)
            results["checks"][f"choices-{conns}"] = check
            t["check"] = check
            log(f"   {t['rate']:,.0f} transitions/s; choices in the database {check['db']}, answered {check['answered']},"
                f" lost {check['lost']}, duplicated {check['duplicated']}, out of order {check['out_of_order']},"
                f" committed but unseen (in flight when the load stopped) {check['committed_unseen']}")
            if t["starved"]:
                log(f"   warning: {t['starved']} requests found no idle customer")
            rows.append(("2. step transition (POST + GET)", t))

            # 2f: transitions while one client floods the same form, on a server of their own
            # (so the main server's memory and database go on as the other rows left them):
            # the same load alone, then with the flood, each with customers of its own.
            log(f"-- {conns} connections: step transitions alone, then while one client floods"
                f" ({count} customers each, the flood on {FLOOD_CONNS} more connections), on a fresh server")
            fs = Server(binary, os.path.join(workdir, f"flood-{conns}.db"), workdir, f"flood-{conns}").start()
            servers.append(fs)
            fbase = f"http://{HOST}:{fs.port}"
            runs = {}
            for label in ("alone", "flooded"):
                visits = os.path.join(workdir, f"visits-{conns}-{label}.txt")
                prepare_visits(fs.port, fs.db_path, count, visits)
                if label == "alone":
                    r = load.run(fs, fbase + "/", conns, args.duration, script="transition.lua",
                                 env={"BENCH_VISITS": visits}, unit="transition")
                else:
                    r, flood = load.run_with_flood(fs, fbase, conns, args.duration, visits)
                check = check_choices(fs.db_path, visits, r)
                results["checks"][f"choices-{conns}-{label}"] = check
                r["check"] = check
                runs[label] = r
            fs.stop()
            alone, tf = runs["alone"], runs["flooded"]
            results.setdefault("flood", {})[conns] = {
                "p99_ms": tf["p99_ms"], "p99_ms_alone": alone["p99_ms"], "rate": tf["rate"], "rate_alone": alone["rate"],
                "flood_rate": flood["rate"], "accepted": flood["accepted"], "refused": flood["refused"],
                "other": flood["other"],
            }
            log(f"   {tf['rate']:,.0f} transitions/s (alone {alone['rate']:,.0f}/s), p99 {tf['p99_ms']:.1f} ms (alone"
                f" {alone['p99_ms']:.1f} ms); the flood: {flood['rate']:,.0f} posts/s, {flood['accepted']} accepted,"
                f" {flood['refused']} refused with 429, {flood['other']} other; choices lost"
                f" {tf['check']['lost'] + alone['check']['lost']}, duplicated {tf['check']['duplicated'] + alone['check']['duplicated']}")
            rows.append(("2f. transition, one client flooding", tf))

            # 3: escalations.
            expected = max(500, int(args.duration * 1.5 * max(4000, results.get("ticket_rate", 0))))
            esc_file = os.path.join(workdir, f"escalations-{conns}.txt")
            log(f"-- {conns} connections: escalations ({expected} customers ready)")
            ids = prepare_escalations(server.port, db_path, expected, esc_file)
            e = load.run(server, base + "/", conns, args.duration, script="escalate.lua",
                         env={"BENCH_VISITS": esc_file}, unit="ticket")
            results["ticket_rate"] = e["rate"]
            check = check_tickets(db_path, ids, e)
            results["checks"][f"tickets-{conns}"] = check
            e["check"] = check
            log(f"   {e['rate']:,.0f} tickets/s; tickets in the database {check['db']}, answered {check['answered']},"
                f" each behind its link: {check['acknowledged'] - check['lost']} of {check['acknowledged']},"
                f" visits with two {check['doubled']}; path rows {check['path_rows']} of {check['path_rows_expected']}")
            if e["starved"]:
                log(f"   warning: ran out of prepared customers ({e['starved']} requests)")
            rows.append(("3. escalation (opens a ticket)", e))

        time.sleep(1)
        results["idle_rss_after_mb"] = rss_mb(server.pids())
        results["fresh_db_mb"] = db_size_mb(db_path)
        server.stop()
        logged.stop()
        if nginx:
            nginx.stop()

        # -- seeded database ---------------------------------------------------------------------
        if not args.no_seeded:
            if not has_seed_command(binary):
                log("!! `helpdesk seed` is missing from this build: skipping the queue and ticket pages")
                failures.append("4. no `helpdesk seed` command in this build")
            else:
                seeded = os.path.join(workdir, "seeded.db")
                log(f"== seeding {args.tickets} tickets, {args.events} events")
                secs = seed(binary, seeded, args.tickets, args.events, workdir)
                events, tickets, number = console_targets(seeded)
                results.update(seeded_events=events, seeded_tickets=tickets, seed_seconds=secs, seeded_db_mb=db_size_mb(seeded))
                log(f"   {events} events, {tickets} tickets, {db_size_mb(seeded):.0f} MB in {secs:.0f} s")
                server = Server(binary, seeded, workdir, "seeded").start()
                servers.append(server)
                results["start_seeded_ms"] = server.start_ms
                results["idle_rss_seeded_mb"] = server.idle_rss_mb
                log(f"   first answer {server.start_ms:.1f} ms after start, idle RSS {server.idle_rss_mb:.1f} MB")
                session = sign_in(server.port)
                base = f"http://{HOST}:{server.port}"
                label = f"{events / 1e6:.1f}M events" if events >= 1e6 else f"{events:,} events"
                for conns in conns_list:
                    log(f"-- {conns} connections: queue page and ticket {number}")
                    q = load.run(server, base + "/console/tickets", conns, args.duration, headers=[f"Cookie: {session}"])
                    rows.append((f"4. queue page, {label}", q))
                    tk = load.run(server, f"{base}/console/tickets/{number}", conns, args.duration, headers=[f"Cookie: {session}"])
                    rows.append((f"4. ticket page, {label}", tk))
                server.stop()

        # -- scaling -----------------------------------------------------------------------------
        if args.scaling:
            results["scaling"] = scaling(args, binary, workdir, load)

        # -- the table ---------------------------------------------------------------------------
        print()
        print(f"helpdesk benchmark: {machine()}")
        print(f"baseline (1.00x): {'nginx serving the step page HTML from disk' if use_nginx else 'the server static route'};"
              f" each figure in parentheses is its ratio to the baseline at the same connections")
        print()
        print_table(rows, baseline)
        print()
        versus = 'nginx' if use_nginx else 'static route'
        for conns in conns_list:
            at = {n.split(".")[0]: r for n, r in rows if n[:2] in ("1.", "1b", "1c", "1d") and r["conns"] == conns}

            def pairs_line(what, xs, median):
                print(f"{what} at {conns} connections, interleaved rounds: "
                      + ", ".join(f"{x:.2f}" for x in xs) + f"; median {median:.2f}x")

            pairs_line(f"step page with a visit / {versus}", at["1"]["pair_ratios"], at["1"]["pair_median"])
            pairs_line(f"step page without a cookie / {versus}", at["1b"]["pair_ratios"], at["1b"]["pair_median"])
            pairs_line("step page without a cookie / with a visit", at["1b"]["vs_visit"], statistics.median(at["1b"]["vs_visit"]))
            pairs_line(f"step page gzip / {versus} gzip" if use_nginx else f"step page gzip / {versus}",
                       at["1c"]["pair_ratios"], at["1c"]["pair_median"])
            pairs_line("step page gzip / step page plain", at["1c"]["vs_plain"], statistics.median(at["1c"]["vs_plain"]))
            pairs_line("step page at the default log level / at RUST_LOG=warn", at["1d"]["vs_warn"],
                       statistics.median(at["1d"]["vs_warn"]))
        print("bytes of the step page: " + ", ".join(f"{k} {v:,}" for k, v in results["page_bytes"].items()))
        for key, c in results["checks"].items():
            if key.startswith("choices"):
                flooded = {"alone": " on the flood's server, alone", "flooded": " while one client floods"}.get(
                    key.split("-")[-1], "")
                print(f"choices at {key.split('-')[1]} connections{flooded}: {c['db']} in the database, {c['answered']} answered to wrk"
                      f" (+{c['committed_unseen']} committed while wrk stopped); lost {c['lost']}, duplicated {c['duplicated']},"
                      f" out of order {c['out_of_order']}")
            else:
                print(f"tickets at {key.split('-')[1]} connections: {c['db']} in the database, {c['answered']} answered,"
                      f" each behind its link: {c['acknowledged'] - c['lost']} of {c['acknowledged']}, visits with two"
                      f" {c['doubled']}; path rows {c['path_rows']} of {c['path_rows_expected']}")
        mem = (f"memory: idle {results['idle_rss_fresh_mb']:.1f} MB after start,"
               f" {results['idle_rss_after_mb']:.1f} MB idle after the load")
        if "idle_rss_seeded_mb" in results:
            mem += f", {results['idle_rss_seeded_mb']:.1f} MB idle on the seeded database"
        print(mem)
        start = f"start to first answer: {results['start_fresh_ms']:.1f} ms on a fresh database"
        if "start_seeded_ms" in results:
            start += f", {results['start_seeded_ms']:.1f} ms on the {results['seeded_events']:,}-event one ({results['seeded_db_mb']:.0f} MB)"
        print(start)
        if "scaling" in results:
            print()
            print_scaling(results["scaling"])
        print()
        failures += correctness(results)
        if args.smoke:
            print("targets: not checked in a smoke run (its load is far too small)")
        else:
            targets(rows, results, conns_list, use_nginx)
        results["rows"] = [dict(name=n, **{k: v for k, v in r.items() if k not in ("out",)}) for n, r in rows]
        results["baseline"] = {str(k): v["rate"] for k, v in baseline.items()}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=str)
    finally:
        for s in servers:
            if s.proc:
                s.stop()
        if "nginx" in locals() and nginx:
            nginx.stop()
        if args.keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        for f in failures:
            print(f"FAILED: {f}")
        sys.exit(1)


def correctness(results):
    """What must hold in every run, smoke or full: the writes are all there, once, and a
    flooding client is refused past its allowance."""
    failures = []
    for conns, f in results.get("flood", {}).items():
        if f["refused"] == 0 or f["other"]:
            failures.append(f"flood at {conns} connections: {f['refused']} refused with 429, {f['other']} other answers")
    for key, c in results["checks"].items():
        if key.startswith("choices"):
            if c["lost"] or c["duplicated"] or c["out_of_order"]:
                failures.append(f"{key}: lost {c['lost']}, duplicated {c['duplicated']}, out of order {c['out_of_order']}")
            if c["answered"] == 0:
                failures.append(f"{key}: no transition was answered")
            if c["db"] - c["answered"] != c["committed_unseen"]:
                failures.append(f"{key}: {c['db']} choices in the database for {c['answered']} answered")
        else:
            if c["answered"] == 0:
                failures.append(f"{key}: no ticket was opened")
            if not (c["answered"] <= c["db"] <= c["sent"]):
                failures.append(f"{key}: {c['db']} tickets in the database for {c['answered']} answered, {c['sent']} sent")
            if c["acknowledged"] != c["answered"] or c["lost"] or c["doubled"]:
                failures.append(f"{key}: of {c['acknowledged']} acknowledged tickets ({c['answered']} answered),"
                                f" {c['lost']} not behind the link the customer was sent, {c['doubled']} visits with two")
            if c["path_rows"] != c["path_rows_expected"]:
                failures.append(f"{key}: a ticket without its whole path")
    return failures


def targets(rows, results, conns_list, use_nginx):
    print("targets (docs/BENCHMARKS.md):")

    def line(ok, text):
        print(f"  [{'met' if ok else 'NOT MET'}] {text}")

    for conns in conns_list:
        page = next(r for n, r in rows if n.startswith("1.") and r["conns"] == conns)
        if use_nginx:
            line(page["pair_median"] >= TARGET_PAGE_VS_NGINX,
                 f"step page >= {TARGET_PAGE_VS_NGINX}x nginx at {conns} connections: {page['pair_median']:.2f}x (median of {len(page['pair_ratios'])} pairs)")
        else:
            print("  [not measured] step page vs nginx: nginx is not installed")
        nocookie = next(r for n, r in rows if n.startswith("1b.") and r["conns"] == conns)
        vs = statistics.median(nocookie["vs_visit"])
        line(vs >= 0.97, f"step page without a cookie at least as fast as with a visit at {conns} connections:"
                         f" {vs:.2f}x (median of {len(nocookie['vs_visit'])} rounds; 3 % is the noise allowed)")
        logged = next(r for n, r in rows if n.startswith("1d.") and r["conns"] == conns)
        vs = statistics.median(logged["vs_warn"])
        line(vs >= TARGET_LOGGED_VS_WARN, f"step page at the default log level within 10 % of RUST_LOG=warn at {conns} connections:"
                                          f" {vs:.2f}x (median of {len(logged['vs_warn'])} rounds)")
        gz = next(r for n, r in rows if n.startswith("1c.") and r["conns"] == conns)
        if use_nginx:
            plain = next(r for n, r in rows if n.startswith("1.") and r["conns"] == conns)
            print(f"  [info] gzip at {conns} connections: the gzipped page is {gz['pair_median']:.2f}x nginx gzip"
                  f" (plain page {plain['pair_median']:.2f}x nginx), {statistics.median(gz['vs_plain']):.2f}x the plain page's rate")
    top = max(conns_list)
    if not any(n.startswith("2.") for n, _ in rows):
        print("  [not measured] transitions, escalations, memory and start-up (--pages-only)")
        return
    t = next(r for n, r in rows if n.startswith("2.") and r["conns"] == top)
    line(t["rate"] >= TARGET_TRANSITIONS and t["p99_ms"] <= TARGET_TRANSITION_P99_MS,
         f"transitions at {top} connections >= {TARGET_TRANSITIONS:,}/s with p99 <= {TARGET_TRANSITION_P99_MS} ms:"
         f" {t['rate']:,.0f}/s, p99 {t['p99_ms']:.1f} ms; lost {t['check']['lost']}, duplicated {t['check']['duplicated']}")
    for conns, f in sorted(results.get("flood", {}).items()):
        print(f"  [info] one client flooding at {conns} connections: the other customers' p99"
              f" {f['p99_ms']:.1f} ms against {f['p99_ms_alone']:.1f} ms alone ({f['p99_ms'] / f['p99_ms_alone']:.2f}x),"
              f" {f['rate']:,.0f} transitions/s against {f['rate_alone']:,.0f}/s ({f['rate'] / f['rate_alone']:.2f}x);"
              f" the flood sent {f['flood_rate']:,.0f} posts/s, {f['refused']:,} refused with 429, {f['accepted']} accepted")
    e = max((r for n, r in rows if n.startswith("3.")), key=lambda r: r["rate"])
    line(e["rate"] >= TARGET_TICKETS, f"escalations >= {TARGET_TICKETS:,} tickets/s: {e['rate']:,.0f}/s at {e['conns']} connections")
    console = [(n, r) for n, r in rows if n.startswith("4.")]
    if console:
        worst = max(console, key=lambda nr: nr[1]["p99_ms"])
        line(worst[1]["p99_ms"] <= TARGET_CONSOLE_P99_MS,
             f"queue and ticket pages p99 <= {TARGET_CONSOLE_P99_MS} ms: worst {worst[1]['p99_ms']:.1f} ms ({worst[0]}, {worst[1]['conns']} connections)")
    else:
        print("  [not measured] queue and ticket pages")
    idle = max(results["idle_rss_fresh_mb"], results["idle_rss_after_mb"], results.get("idle_rss_seeded_mb", 0))
    line(idle < TARGET_IDLE_RSS_MB, f"idle RSS < {TARGET_IDLE_RSS_MB} MB: at most {idle:.1f} MB")
    loaded = max(r["peak_rss_mb"] for n, r in rows if r["conns"] == top and not n.startswith("5. static file by nginx"))
    line(loaded < TARGET_LOADED_RSS_MB, f"peak RSS at {top} connections < {TARGET_LOADED_RSS_MB} MB: {loaded:.1f} MB")
    starts = [results["start_fresh_ms"]] + ([results["start_seeded_ms"]] if "start_seeded_ms" in results else [])
    line(max(starts) < TARGET_START_MS, f"start to first answer < {TARGET_START_MS} ms: " + ", ".join(f"{s:.1f} ms" for s in starts))


def scaling(args, binary, workdir, load):
    """Latency and database size as the data grows, at 64 connections."""
    out = []
    conns = 64
    for events in (1_000, 10_000, 100_000, 1_000_000):
        db = os.path.join(workdir, f"scale-{events}.db")
        log(f"== scaling: {events} events")
        seed(binary, db, events // 10, events, workdir)
        server = Server(binary, db, workdir, f"scale-{events}").start()
        base = f"http://{HOST}:{server.port}"
        try:
            n_events, n_tickets, number = console_targets(db)
            session = sign_in(server.port)
            cookie, _ = walk_to_step_page(server.port)
            d = args.scaling_duration
            r = {"events": n_events, "tickets": n_tickets, "db_mb": db_size_mb(db), "start_ms": server.start_ms}
            r["step"] = load.run(server, base + STEP, conns, d, headers=[f"Cookie: helpdesk_visit={cookie}"])
            r["queue"] = load.run(server, base + "/console/tickets", conns, d, headers=[f"Cookie: {session}"])
            r["ticket"] = load.run(server, f"{base}/console/tickets/{number}", conns, d, headers=[f"Cookie: {session}"])
            visits_file = os.path.join(workdir, f"scale-visits-{events}.txt")
            prepare_visits(server.port, db, 8 * conns, visits_file)
            r["transition"] = load.run(server, base + "/", conns, d, script="transition.lua",
                                       env={"BENCH_VISITS": visits_file}, unit="transition")
            r["transition"]["check"] = check_choices(db, visits_file, r["transition"])
            r["db_mb_after"] = db_size_mb(db)
        finally:
            server.stop()
        out.append(r)
    return out


def print_scaling(table):
    print("scaling (64 connections; p50 / p99 ms, and per second):")
    print("| events | tickets | database MB | start ms | step page | transition | queue page | ticket page |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in table:
        cells = [f"{r['events']:,}", f"{r['tickets']:,}", f"{r['db_mb']:.1f}", f"{r['start_ms']:.1f}"]
        for k in ("step", "transition", "queue", "ticket"):
            x = r[k]
            cells.append(f"{x['p50_ms']:.2f} / {x['p99_ms']:.2f} ({x['rate']:,.0f}/s)")
        print("| " + " | ".join(cells) + " |")


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem}, Linux {os.uname().release}; wrk and the server share the machine"


if __name__ == "__main__":
    main()
