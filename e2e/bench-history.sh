#!/usr/bin/env bash
# Measures the history pages under load from a second process (wrk): a fresh
# database seeded with N deployments (default 1,000,000) over 1,000 services,
# the console serving it, and p50/p99 per page.
#   e2e/bench-history.sh [N]
# Needs PostgreSQL on 127.0.0.1:5432 (ECSCONSOLE_BENCH_POSTGRES: an admin URL)
# and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-1000000}
admin=${ECSCONSOLE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
db=ecsconsole_bench_history
url=${admin%/*}/$db
addr=127.0.0.1:18777
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
go build -o "$tmp/ecsconsole" ./cmd/ecsconsole

psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
DATABASE_URL=$url "$tmp/ecsconsole" migrate up >/dev/null
spec=$(jq -c . deploy/testdata/spec-journey.json)
echo "seeding $n deployments…"
psql "$url" -q -v spec="$spec" -v n="$n" -v services=1000 -f e2e/bench-seed.sql

echo 'a long benchmark password' | DATABASE_URL=$url "$tmp/ecsconsole" user add --username bench --role viewer --password-stdin >/dev/null
DATABASE_URL=$url "$tmp/ecsconsole" serve --addr "$addr" --sandbox --log-level warn >/dev/null 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
curl -sf -c "$tmp/jar" -o /dev/null -d 'username=bench&password=a long benchmark password' "http://$addr/login"
cookie=$(awk '/ecsconsole_session/ {print $7}' "$tmp/jar")

latest=$(psql "$url" -Atc 'SELECT max(id) FROM deployments')
printf '%-44s %5s %9s %9s %9s\n' page conns p50 p99 req/s
for conns in 1 4; do
  for page in "/deployments" "/deployments?service=c7/s7" "/deployments?status=failed" \
              "/deployments?cursor=$((latest / 2))" "/deployments/$((latest - 1))" \
              "/api/v1/deployments?limit=50" "/services"; do
    wrk -t1 -c"$conns" -d5s --latency -H "Cookie: ecsconsole_session=$cookie" "http://$addr$page" |
      awk -v page="$page" -v c="$conns" '
        /Requests\/sec/ {rps = $2} /^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2}
        /Non-2xx/ {bad = "  NON-2XX: " $NF}
        END {printf "%-44s %5s %9s %9s %9s%s\n", page, c, p50, p99, rps, bad}'
  done
done
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
