#!/usr/bin/env python3
"""Step transitions and escalations on PostgreSQL, one instance and two behind nginx, against SQLite
in the same run.

Run through `bench/run --database postgres` (which builds and installs what it needs). Starts a
throwaway PostgreSQL cluster of its own (initdb in a temporary folder, on a loopback port, run as
the `postgres` or `nobody` user when started as root, with PostgreSQL's default durability:
fsync and synchronous commits on), and measures with wrk, at each connection count, the same
transitions as row 2 of `bench/run` (simulated customers posting a choice and following the
redirect, each with its own visit and address) and the same escalations as row 3 (customers at
"contact IIMS" sending the form, each post opening a ticket):

  2., 3.   one instance on SQLite (the baseline, in this run)
  2p., 3p. one instance on PostgreSQL
  2q., 3q. two instances on one PostgreSQL behind nginx, round-robin with no sticky sessions, so a
           customer's POST and the GET after it usually reach different instances

After each run it checks the database as rows 2 and 3 do: every choice wrk saw answered is stored
exactly once, in order, for its visit; every ticket wrk saw acknowledged is stored once, for its
visit, behind the link the customer was sent to, with its whole path, and no visit has two.
Prints one table with each row's ratio to its baseline. Only loopback addresses are used.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the benchmark's own helpers: servers, wrk runs, customers)

HOST = bench.HOST


def server_user():
    """(uid, gid) to run PostgreSQL as when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            p = pwd.getpwnam(name)
            return p.pw_uid, p.pw_gid
        except KeyError:
            pass
    raise RuntimeError("running as root, and neither a postgres nor a nobody user to run PostgreSQL as")


def pg_bin():
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(
        os.path.join("/usr/lib/postgresql", v, "bin")
        for v in os.listdir("/usr/lib/postgresql")
        if os.path.exists(os.path.join("/usr/lib/postgresql", v, "bin", "initdb"))
    ) if os.path.isdir("/usr/lib/postgresql") else []
    if not versions:
        raise RuntimeError("PostgreSQL's server programs are needed: apt-get install postgresql")
    return versions[-1]


class Cluster:
    """A throwaway PostgreSQL cluster on a loopback port."""

    def __init__(self, workdir):
        self.bin = pg_bin()
        self.dir = os.path.join(workdir, "pg")
        os.makedirs(self.dir)
        self.user = server_user()
        if self.user:
            os.chown(self.dir, *self.user)
            os.chmod(workdir, 0o755)
        self.port = bench.free_port()

    def _as_user(self, cmd):
        if self.user:
            return ["setpriv", f"--reuid={self.user[0]}", f"--regid={self.user[1]}", "--clear-groups"] + cmd
        return cmd

    def start(self):
        data = os.path.join(self.dir, "data")
        subprocess.run(self._as_user([os.path.join(self.bin, "initdb"), "-D", data, "-U", "helpdesk",
                                      "--auth=trust", "--encoding=UTF8", "--locale=C"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen(
            self._as_user([os.path.join(self.bin, "postgres"), "-D", data, "-p", str(self.port), "-k", self.dir,
                           "-c", f"listen_addresses={HOST}", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "log"), "wb"))
        deadline = time.time() + 30
        while subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h", HOST, "-p", str(self.port)]).returncode:
            if time.time() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)
        return self

    def pids(self):
        return bench.process_tree(self.proc.pid)

    def new_database(self, name):
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"postgres://helpdesk@{HOST}:{self.port}/{name}"

    def psql(self, db, sql):
        done = subprocess.run(["psql", "-X", "-q", "-At", "-h", HOST, "-p", str(self.port), "-U", "helpdesk",
                               "-d", db, "-c", sql], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"psql: {done.stderr}")
        return done.stdout

    def stop(self):
        # Fast shutdown: the sessions of servers that were killed need not be waited for.
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class UrlServer(bench.Server):
    """`helpdesk serve` on any database URL."""

    def __init__(self, binary, url, workdir, name):
        # The customers are prepared over HTTP from one address, more than a minute's allowance
        # of new visits: that limit is off here (each customer's answers are still limited).
        super().__init__(binary, None, workdir, name, extra_args=["--limit-visits", "0", "--limit-tickets", "0"])
        self._url = url

    @property
    def url(self):
        return self._url


class Balancer:
    """nginx, round-robin over the instances."""

    def __init__(self, workdir, ports):
        self.dir = tempfile.mkdtemp(prefix="balancer-", dir=workdir)
        os.chmod(self.dir, 0o755)
        self.port = bench.free_port()
        servers = "".join(f"  server {HOST}:{p};\n" for p in ports)
        user = "user nobody nogroup;\n" if os.geteuid() == 0 and bench._group_exists("nogroup") else ""
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"{user}daemon off;\nworker_processes 1;\npid {self.dir}/nginx.pid;\n"
                    f"events {{ worker_connections 4096; }}\n"
                    f"http {{\n access_log off;\n client_body_temp_path {self.dir}/body;\n"
                    f" proxy_temp_path {self.dir}/proxy;\n fastcgi_temp_path {self.dir}/f;\n"
                    f" uwsgi_temp_path {self.dir}/u;\n scgi_temp_path {self.dir}/s;\n"
                    f" upstream helpdesk {{\n{servers}  keepalive 64;\n }}\n"
                    f" server {{\n  listen {HOST}:{self.port} backlog=4096;\n  location / {{\n"
                    f"   proxy_pass http://helpdesk;\n   proxy_http_version 1.1;\n"
                    f"   proxy_set_header Connection \"\";\n   proxy_set_header Host $host;\n"
                    f"   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n  }}\n }}\n}}\n")

    def start(self):
        self.proc = subprocess.Popen([shutil.which("nginx"), "-p", self.dir, "-c", self.conf,
                                      "-e", os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        bench.wait_for(self.port, "/healthz", time.perf_counter() + 20, self.proc)
        return self

    def pids(self):
        return bench.process_tree(self.proc.pid)

    def stop(self):
        self.proc.send_signal(15)
        self.proc.wait(timeout=20)


class Group:
    """What a wrk run measures: the processes of a scenario together."""

    def __init__(self, *parts):
        self.parts = parts

    def pids(self):
        return [pid for p in self.parts for pid in p.pids()]


def prepare(port, count, path):
    """`count` customers at the first step of "can't send", each started over HTTP."""
    with open(path, "w") as f:
        for _ in range(count):
            c, cookie, csrf = bench.start_visit(port)
            c.close()
            f.write(f"{cookie} {csrf}\n")


def check(choices_of, visits_file, result):
    """Row 2's check: each visit's stored choices against what wrk saw answered."""
    per_visit = {}
    with open(result["out"] + ".visits") as f:
        for line in f:
            idx, sent, acked = map(int, line.split())
            per_visit[idx] = (sent, acked)
    with open(visits_file) as f:
        ids = [line.split()[0] for line in f]
    time.sleep(0.5)
    recorded = choices_of(ids)
    lost = duplicated = out_of_order = 0
    for idx, (sent, acked) in per_visit.items():
        got = recorded.get(ids[idx], [])
        lost += max(0, acked - len(got))
        duplicated += max(0, len(got) - sent)
        if got != [k % 2 for k in range(len(got))]:
            out_of_order += 1
    return {"stored": sum(len(v) for v in recorded.values()), "answered": result["answered"],
            "lost": lost, "duplicated": duplicated, "out_of_order": out_of_order}


CHOICES_SQL = ("SELECT visit_id, choice_index FROM visit_events WHERE kind = 'choice'"
               " AND node_id = 'check-smtp-settings' ORDER BY visit_id, seq")


def sqlite_choices(db_path):
    import sqlite3

    def read(ids):
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        out = {}
        for visit, choice in db.execute(CHOICES_SQL):
            out.setdefault(visit, []).append(choice)
        db.close()
        return out
    return read


def pg_choices(cluster, db):
    def read(ids):
        out = {}
        for line in cluster.psql(db, CHOICES_SQL.replace("SELECT visit_id, choice_index",
                                                         "SELECT visit_id || ' ' || choice_index")).splitlines():
            visit, choice = line.split()
            out.setdefault(visit, []).append(int(choice))
        return out
    return read


def pg_clone_visits(cluster, db, template_cookie, count):
    """`count` copies of the template visit made in the database in one statement, as
    `bench.clone_visits` makes them on SQLite: [(visit id, form token, id of the last event)]."""
    now = int(time.time() * 1000)
    out = cluster.psql(db, f"""
        WITH v AS (
            INSERT INTO visits (id, csrf_token, started_at)
            SELECT gen_random_uuid()::text, md5(random()::text), {now} FROM generate_series(1, {count})
            RETURNING id, csrf_token),
        e AS (
            INSERT INTO visit_events (visit_id, seq, at, kind, guide_version, problem_id, node_id,
                                      choice_index, next_id, outcome_kind)
            SELECT v.id, t.seq, {now}, t.kind, t.guide_version, t.problem_id, t.node_id,
                   t.choice_index, t.next_id, t.outcome_kind
              FROM v CROSS JOIN visit_events t WHERE t.visit_id = '{template_cookie}'
            RETURNING visit_id, id)
        SELECT v.id || ' ' || v.csrf_token || ' ' || MAX(e.id) FROM v JOIN e ON e.visit_id = v.id
         GROUP BY v.id, v.csrf_token""")
    visits = [tuple(line.split()) for line in out.splitlines()]
    if len(visits) != count:
        raise RuntimeError(f"cloned {len(visits)} visits of {count}")
    return visits


def prepare_escalations(port, clone, count, path):
    """`count` customers at "contact IIMS", the form not sent: one walked over HTTP, the others
    its copies (`clone(template cookie, count)`). Returns their visit ids in file order."""
    cookie, _, _ = bench.walk_to_ending(port)
    visits = clone(cookie, count)
    with open(path, "w") as f:
        for vid, token, outcome in visits:
            f.write(f"cant-send contact-iims {vid} {token} {outcome}\n")
    return [v[0] for v in visits]


def pg_tickets(cluster, db):
    sql = bench.TICKETS_SQL.replace(
        "(SELECT group_concat(node_id, ' ') FROM"
        "  (SELECT node_id FROM ticket_path p WHERE p.ticket_id = t.id ORDER BY p.position))",
        "(SELECT string_agg(node_id, ' ' ORDER BY p.position) FROM ticket_path p WHERE p.ticket_id = t.id)")
    return [tuple(line.split("|")) for line in cluster.psql(db, sql).splitlines()]


# The rows of each connection count: (key, what is measured, on what).
ROWS = (("2", "transitions", "SQLite, one instance"),
        ("2p", "transitions", "PostgreSQL, one instance"),
        ("2q", "transitions", "PostgreSQL, two instances behind nginx"),
        ("3", "escalations", "SQLite, one instance"),
        ("3p", "escalations", "PostgreSQL, one instance"),
        ("3q", "escalations", "PostgreSQL, two instances behind nginx"))


def measure(args, load, binary, workdir, cluster, conns, key, kind, r):
    """One wrk run of row `key` at `conns` connections on fresh databases and servers; its result
    with the database check under "check"."""
    name = f"row{key}_{conns}_{r}"
    sqlite = key[1:] == ""
    servers, front, db_path = [], None, None
    if sqlite:
        db_path = os.path.join(workdir, f"{name}.db")
        servers.append(UrlServer(binary, f"sqlite://{db_path}", workdir, name).start())
    else:
        url = cluster.new_database(name)
        servers = [UrlServer(binary, url, workdir, f"{name}-{i}").start() for i in range(1 if key[1] == "p" else 2)]
    if key.endswith("q"):
        front = Balancer(workdir, [s.port for s in servers]).start()
    port = front.port if front else servers[0].port
    visits = os.path.join(workdir, f"{name}.visits.txt")
    measured = Group(*servers, *([] if sqlite else [cluster]), *([front] if front else []))
    base = f"http://{HOST}:{port}/"
    if kind == "transitions":
        prepare(port, max(args.customers, conns * 8), visits)
        result = load.run(measured, base, conns, args.duration, script="transition.lua",
                          env={"BENCH_VISITS": visits}, unit="transition")
        result["check"] = check(sqlite_choices(db_path) if sqlite else pg_choices(cluster, name), visits, result)
    else:
        # Enough customers for the run at SQLite's pace; PostgreSQL uses fewer of them.
        count = max(500, int(args.duration * 1.5 * args.ticket_rate))
        if sqlite:
            ids = bench.prepare_escalations(port, db_path, count, visits)
        else:
            ids = prepare_escalations(port, lambda cookie, n: pg_clone_visits(cluster, name, cookie, n), count, visits)
        result = load.run(measured, base, conns, args.duration, script="escalate.lua",
                          env={"BENCH_VISITS": visits}, unit="ticket")
        time.sleep(0.5)
        if sqlite:
            result["check"] = bench.check_tickets(db_path, ids, result)
        else:
            result["check"] = bench.judge_tickets(pg_tickets(cluster, name), ids, result)
    for s in servers:
        s.stop()
    if front:
        front.stop()
    return result


def problems_of(kind, r):
    """What the database check found wrong in run `r`, or None."""
    c = r["check"]
    if kind == "transitions":
        bench.log(f"   choices stored {c['stored']}, answered {c['answered']}, lost {c['lost']},"
                  f" duplicated {c['duplicated']}, out of order {c['out_of_order']}")
        return c if c["lost"] or c["duplicated"] or c["out_of_order"] else None
    bench.log(f"   tickets in the database {c['db']}, answered {c['answered']}, each behind its link:"
              f" {c['acknowledged'] - c['lost']} of {c['acknowledged']}, visits with two {c['doubled']};"
              f" path rows {c['path_rows']} of {c['path_rows_expected']}")
    if r.get("starved"):
        bench.log(f"   warning: ran out of prepared customers ({r['starved']} requests)")
    wrong = c["lost"] or c["doubled"] or c["path_rows"] != c["path_rows_expected"] or c["db"] < c["acknowledged"]
    return c if wrong else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=None, help="the helpdesk binary [target/release/helpdesk]")
    p.add_argument("--duration", type=int, default=10, help="seconds per measurement [10]")
    p.add_argument("--connections", default="64,256", help="connection counts [64,256]")
    p.add_argument("--customers", type=int, default=2000, help="simulated customers per run [2000]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--rounds", type=int, default=1, help="measurements of each row, the median kept [1]")
    p.add_argument("--ticket-rate", type=int, default=4000,
                   help="tickets a second to prepare customers for [4000]")
    args = p.parse_args()
    root = os.path.dirname(bench.HERE)
    binary = args.binary or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")),
                                         "release", "helpdesk")
    workdir = tempfile.mkdtemp(prefix="helpdesk-bench-pg-")
    load = bench.Load(args, workdir)
    cluster = Cluster(workdir).start()
    rows, problems = [], []
    try:
        for conns in [int(c) for c in args.connections.split(",")]:
            for key, kind, on in ROWS:
                runs = sorted((measure(args, load, binary, workdir, cluster, conns, key, kind, r)
                               for r in range(args.rounds)), key=lambda r: r["rate"])
                r = runs[len(runs) // 2]
                label = f"{kind}, {on}"
                bench.log(f"-- {conns} connections, {label}: {r['rate']:,.0f}/s, p99 {r['p99_ms']:.1f} ms")
                for run in runs:
                    wrong = problems_of(kind, run)
                    if wrong:
                        problems.append(f"{label} at {conns}: {wrong}")
                rows.append((conns, key, label, r))
    finally:
        cluster.stop()
    print()
    print("| row | connections | per second | ratio to SQLite | p50 ms | p99 ms | CPU us each (all processes) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = {(conns, key[0]): r["rate"] for conns, key, _, r in rows if len(key) == 1}
    for conns, key, label, r in rows:
        # wrk's histogram sometimes answers 0 for the 99th percentile; its maximum bounds it.
        p99 = f"{r['p99_ms']:.1f}" if r["p99_ms"] else f"≤ {r['max_us'] / 1000:.0f} (max)"
        print(f"| {key}. {label} | {conns} | {r['rate']:,.0f} | {r['rate'] / base[(conns, key[0])]:.2f}x |"
              f" {r['p50_ms']:.1f} | {p99} | {r['cpu_us']:.0f} |")
    if problems:
        print("\nFAILED: " + "; ".join(problems))
        sys.exit(1)
    print("\nEvery answered choice is stored once, in order, and every acknowledged ticket once, whole,"
          " on every row.")


if __name__ == "__main__":
    main()
