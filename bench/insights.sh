#!/usr/bin/env bash
# Times the guide insights page on a seeded database: median and p99 of N sequential requests
# (after warm-up) for the default range (the last 30 days), signed in as a manager.
#
#   bash bench/insights.sh                    # seeds /tmp/helpdesk-insights/bench.db once (1,000,000 events)
#   DB=/path/to.db N=50 bash bench/insights.sh
#
# Needs: a release build (built here if missing), curl, python3. Uses a loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${DIR:-/tmp/helpdesk-insights}
DB=${DB:-$DIR/bench.db}
N=${N:-50}
WARMUP=${WARMUP:-5}
LISTEN=${LISTEN:-127.0.0.1:18087}
PAGE=${PAGE:-/console/insights}
BIN=target/release/helpdesk
EMAIL=insights-bench@iims.example
PASSWORD=insights-bench-password

mkdir -p "$DIR"
[ -x "$BIN" ] || cargo build --release
if [ ! -f "$DB" ]; then
  "$BIN" seed --tickets 100000 --events 1000000 --database-url "sqlite://$DB"
fi
printf '%s\n' "$PASSWORD" | "$BIN" manager add --email "$EMAIL" --name "Insights Bench" \
  --password-stdin --database-url "sqlite://$DB" >/dev/null 2>&1 || true

RUST_LOG=warn "$BIN" serve --listen "$LISTEN" --database-url "sqlite://$DB" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://$LISTEN/healthz" >/dev/null && break; sleep 0.1; done

JAR=$DIR/cookies.txt
rm -f "$JAR"
TOKEN=$(curl -fs -c "$JAR" -b "$JAR" "http://$LISTEN/console/sign-in" \
  | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$TOKEN" \
  --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "next=/console/insights" "http://$LISTEN/console/sign-in"

EVENTS=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM visit_events').fetchone()[0])" "$DB")
for _ in $(seq "$WARMUP"); do
  curl -fs -o /dev/null -b "$JAR" "http://$LISTEN$PAGE"
done
TIMES=$DIR/times.txt
: > "$TIMES"
for _ in $(seq "$N"); do
  curl -fs -o /dev/null -b "$JAR" -w '%{http_code} %{time_total}\n' "http://$LISTEN$PAGE" >> "$TIMES"
done
python3 - "$TIMES" "$EVENTS" "$PAGE" <<'PY'
import math, sys
rows = [line.split() for line in open(sys.argv[1])]
assert all(code == "200" for code, _ in rows), "every request must answer 200"
ms = sorted(float(t) * 1000 for _, t in rows)
n = len(ms)
median = (ms[(n - 1) // 2] + ms[n // 2]) / 2
p99 = ms[min(n - 1, math.ceil(0.99 * n) - 1)]
print(f"{sys.argv[3]} with {int(sys.argv[2]):,} path events: {n} requests, "
      f"median {median:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
PY
