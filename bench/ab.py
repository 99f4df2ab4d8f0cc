#!/usr/bin/env python3
"""Two builds of helpdesk against each other on SQLite: step transitions (row 2 of `bench/run`)
and escalations (row 3), the two builds alternating round by round on fresh databases, every run
checked as those rows are (no choice or ticket lost, doubled or out of order). Prints each row's
median for both builds and the ratio of the second to the first, with the ratio of every round,
so a change to the store can be measured against the build before it:

    git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release)
    cargo build --release
    python3 bench/ab.py /tmp/before/target/release/helpdesk target/release/helpdesk

Only loopback addresses are used.
"""

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the benchmark's own helpers: servers, wrk runs, customers)
import postgres  # noqa: E402  (one measured run of a row on a fresh database: `measure`)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before", help="the build measured against (the baseline)")
    p.add_argument("after", help="the build measured")
    p.add_argument("--rounds", type=int, default=5, help="runs of each build, alternating [5]")
    p.add_argument("--duration", type=int, default=5, help="seconds per run [5]")
    p.add_argument("--connections", type=int, default=64, help="connections [64]")
    p.add_argument("--customers", type=int, default=2000, help="simulated customers per transition run [2000]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--ticket-rate", type=int, default=4000,
                   help="tickets a second to prepare customers for [4000]")
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="helpdesk-bench-ab-")
    load = bench.Load(args, workdir)
    builds = (("before", args.before), ("after", args.after))
    rates = {(row, name): [] for row in ("transitions", "escalations") for name, _ in builds}
    problems = []
    for r in range(args.rounds):
        # Alternate which build goes first, so a drift of the machine falls on both.
        for name, binary in builds if r % 2 == 0 else builds[::-1]:
            for key, kind in (("2", "transitions"), ("3", "escalations")):
                run = postgres.measure(args, load, binary, workdir, None, args.connections, key, kind,
                                       f"{name}{r}")
                wrong = postgres.problems_of(kind, run)
                if wrong:
                    problems.append(f"{kind}, {name}, round {r}: {wrong}")
                rates[(kind, name)].append(run["rate"])
                bench.log(f"-- round {r}, {name}, {kind}: {run['rate']:,.0f}/s")
    print()
    print("| row | before /s | after /s | after/before | each round |")
    print("|---|---:|---:|---:|---|")
    for kind in ("transitions", "escalations"):
        a, b = rates[(kind, "before")], rates[(kind, "after")]
        rounds = ", ".join(f"{y / x:.2f}" for x, y in zip(a, b))
        print(f"| {kind}, SQLite, {args.connections} connections | {statistics.median(a):,.0f} |"
              f" {statistics.median(b):,.0f} | {statistics.median(b) / statistics.median(a):.2f}x | {rounds} |")
    if problems:
        print("\nFAILED: " + "; ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
