#!/usr/bin/env bash
# make bench-http: every page of the console under load from a second
# process (wrk), next to a bare net/http handler (e2e/benchbare) measured in
# the same run, on a fresh database seeded with N deployments (default
# 1,000,000) over BENCH_SERVICES services (default 1,000) and 100,000
# audit events. Each page is measured at 1 connection (wrk -t1 -c1) and 32
# connections (wrk -t2 -c32),
# BENCH_RUNS times (default 3) for BENCH_DURATION each (default 10s), the
# runs interleaved so that the bare handler and the pages share the
# machine's moods. It prints one table: min/median/max req/s and p99, the
# median req/s as a share of the bare handler's, and the median p99 as a
# multiple of the bare handler's. Pages asked again are served from memory
# (handlers' views); "history, a random page each time" asks for a page
# of the history at a random cursor on every request, so that each one
# reads the database and renders: what a page costs the first time.
#   e2e/bench-http.sh [N]
# Environment: ECSCONSOLE_BENCH_POSTGRES (admin URL, default the server on
# 127.0.0.1:5432), ECSCONSOLE_BENCH_DB (database, dropped and recreated),
# ECSCONSOLE_BENCH_PORT (console; the bare handler listens on the next port),
# BENCH_ACCEPT_ENCODING (sent by wrk, default gzip as browsers do),
# BENCH_KEEP_DB=1 (keep the seeded database, and reuse it when it already
# holds N deployments over BENCH_SERVICES services).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-1000000}
services=${BENCH_SERVICES:-1000}
runs=${BENCH_RUNS:-3}
dur=${BENCH_DURATION:-10s}
admin=${ECSCONSOLE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
db=${ECSCONSOLE_BENCH_DB:-ecsconsole_bench_http}
# Without TLS, as the console's own local database URLs (store/localpg).
url=${admin%/*}/$db?sslmode=disable
port=${ECSCONSOLE_BENCH_PORT:-18701}
addr=127.0.0.1:$port
bare=127.0.0.1:$((port + 1))
enc=${BENCH_ACCEPT_ENCODING:-gzip}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
go build -o "$tmp/ecsconsole" ./cmd/ecsconsole
go build -o "$tmp/benchbare" ./e2e/benchbare

have=$(psql "$url" -Atc "SELECT count(*) || '/' || (SELECT count(*) FROM services) FROM deployments" 2>/dev/null || true)
if [ "${BENCH_KEEP_DB:-}" = 1 ] && [ "$have" = "$n/$services" ]; then
  echo "reusing $db with $n deployments over $services services" >&2
  DATABASE_URL=$url "$tmp/ecsconsole" migrate up >/dev/null
else
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  DATABASE_URL=$url "$tmp/ecsconsole" migrate up >/dev/null
  spec=$(jq -c . deploy/testdata/spec-journey.json)
  echo "seeding $n deployments…" >&2
  psql "$url" -q -v spec="$spec" -v n="$n" -v services="$services" -f e2e/bench-seed.sql
  echo 'a long benchmark password' | DATABASE_URL=$url "$tmp/ecsconsole" user add --username bench --role admin --password-stdin >/dev/null
  psql "$url" -qc 'VACUUM ANALYZE'
fi
token=$(DATABASE_URL=$url "$tmp/ecsconsole" token create --username bench --name bench | tail -1)

DATABASE_URL=$url "$tmp/ecsconsole" serve --addr "$addr" --sandbox --log-level warn >/dev/null 2>"$tmp/log" &
pids+=($!)
"$tmp/benchbare" "$bare" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://$addr/readyz" >/dev/null && curl -sf "http://$bare/" >/dev/null && break; sleep 0.1; done
curl -sf -c "$tmp/jar" -o /dev/null -d 'username=bench&password=a long benchmark password' "http://$addr/login"
cookie="ecsconsole_session=$(awk '/ecsconsole_session/ {print $7}' "$tmp/jar")"

latest=$(psql "$url" -Atc 'SELECT max(id) FROM deployments')
# A wrk script asking for the history at a random cursor on each request.
printf '%s\n' 'math.randomseed(os.time())' \
  "request = function() return wrk.format(nil, \"/deployments?cursor=\" .. math.random(2, $latest)) end" >"$tmp/random-cursor.lua"
# label|path|auth[|wrk script]: the pages, in the order of the table.
pages=(
  "bare net/http hello|http://$bare/|none"
  "history first page|http://$addr/deployments|cookie"
  "history, a random page each time|http://$addr/deployments|cookie|$tmp/random-cursor.lua"
  "history deep cursor|http://$addr/deployments?cursor=$((latest / 2))|cookie"
  "history by service|http://$addr/deployments?service=c7/s7|cookie"
  "history by status|http://$addr/deployments?status=failed|cookie"
  "deployment detail|http://$addr/deployments/$((latest - 1))|cookie"
  "services|http://$addr/services|cookie"
  "API list (token)|http://$addr/api/v1/deployments?limit=50|token"
  "audit|http://$addr/audit|cookie"
)
for p in "${pages[@]}"; do # every page answers 200 before it is measured
  IFS='|' read -r label target auth _ <<<"$p"
  h=(); [ "$auth" = cookie ] && h=(-H "Cookie: $cookie"); [ "$auth" = token ] && h=(-H "Authorization: Bearer $token")
  code=$(curl -s -o /dev/null -w '%{http_code}' "${h[@]}" "$target")
  [ "$code" = 200 ] || { echo "$label ($target) answered $code" >&2; exit 1; }
done

# One wrk run: prints "req/s p99_ms non2xx".
measure() {
  local threads=$1 conns=$2 target=$3 auth=$4 script=$5 h=(-H "Accept-Encoding: $enc")
  [ "$auth" = cookie ] && h+=(-H "Cookie: $cookie")
  [ "$auth" = token ] && h+=(-H "Authorization: Bearer $token")
  [ -n "$script" ] && h+=(-s "$script")
  wrk -t"$threads" -c"$conns" -d"$dur" --latency "${h[@]}" "$target" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
    /Requests\/sec/ {rps = $2} /^ +99%/ {p99 = ms($2)} /Non-2xx/ {bad = $NF}
    END {printf "%s %.2f %d\n", rps, p99, bad}'
}

echo "measuring: ${#pages[@]} targets × 2 concurrencies × $runs runs × $dur…" >&2
: >"$tmp/results"
for run in $(seq 1 "$runs"); do
  for tc in "1 1" "2 32"; do
    read -r threads conns <<<"$tc"
    for p in "${pages[@]}"; do
      IFS='|' read -r label target auth script <<<"$p"
      echo "$conns|$label|$(measure "$threads" "$conns" "$target" "$auth" "$script")" >>"$tmp/results"
    done
  done
done

# The table: per page and concurrency, min/median/max over the runs.
printf '# %s deployments over %s services, %s runs of %s, Accept-Encoding: %s, %s, nproc %s\n' "$n" "$services" "$runs" "$dur" "$enc" "$(date -u +%FT%TZ)" "$(nproc)"
awk -F'|' '
  function sort3(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
  { split($3, f, " "); key = $1 "|" $2; if (!(key in cnt)) order[++nk] = key
    c = ++cnt[key]; rps[key, c] = f[1]; p99[key, c] = f[2]; bad[key] += f[3] }
  END {
    printf "| page | conns | req/s min / median / max | p99 ms min / median / max | share of bare req/s | p99 ÷ bare p99 |\n"
    printf "|---|---|---|---|---|---|\n"
    for (conn = 1; conn <= 32; conn += 31) for (i = 1; i <= nk; i++) {
      split(order[i], kk, "|"); if (kk[1] != conn) continue
      k = cnt[order[i]]; delete r; delete q
      for (j = 1; j <= k; j++) { r[j] = rps[order[i], j]; q[j] = p99[order[i], j] }
      sort3(r, k); sort3(q, k); m = int((k + 1) / 2)
      med_r[order[i]] = r[m]; med_q[order[i]] = q[m]
      bk = conn "|bare net/http hello"
      note = bad[order[i]] > 0 ? " NON-2XX: " bad[order[i]] : ""
      printf "| %s | %d | %.0f / %.0f / %.0f | %.2f / %.2f / %.2f | %.1f%% | %.1f× |%s\n", kk[2], conn, r[1], r[m], r[k], q[1], q[m], q[k],
        100 * r[m] / med_r[bk], q[m] / med_q[bk], note
    }
  }' "$tmp/results"
[ "${BENCH_KEEP_DB:-}" = 1 ] || psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
