#!/usr/bin/env bash
# The cold paths next to a bare net/http handler, for one or more builds
# of the console measured in the same runs: the history at a random cursor
# on every request (each one misses the page cache, reads Postgres and
# renders), the diff page (never cached) and the API's deployment detail
# (never cached), at 1 connection (wrk -t1 -c1) and 32 (wrk -t2 -c32),
# BENCH_RUNS times (default 3) for BENCH_DURATION each (default 5s),
# interleaved. It prints min/median/max req/s and the share of the bare
# handler's req/s in the same run (min/median/max over the runs).
# ECSCONSOLE_BENCH_PORT: the bare handler's port; the builds take the next ones.
#   e2e/bench-coldpath.sh before=/tmp/ecsconsole-main after=/tmp/ecsconsole-branch
# Each build migrates the database up before it is served. The database
# (ECSCONSOLE_BENCH_DB, default ecsconsole_bench_http) is one that
# `BENCH_KEEP_DB=1 e2e/bench-http.sh` seeded and kept (user "bench").
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}; dur=${BENCH_DURATION:-5s}
admin=${ECSCONSOLE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
url=${admin%/*}/${ECSCONSOLE_BENCH_DB:-ecsconsole_bench_http}?sslmode=disable
tmp=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
go build -o "$tmp/benchbare" ./e2e/benchbare
port=${ECSCONSOLE_BENCH_PORT:-18790}
bare=127.0.0.1:$port; port=$((port + 1))
"$tmp/benchbare" "$bare" & pids+=($!)
latest=$(psql "$url" -Atc 'SELECT max(id) FROM deployments')
printf '%s\n' 'math.randomseed(os.time())' \
  "request = function() return wrk.format(nil, \"/deployments?cursor=\" .. math.random(2, $latest)) end" >"$tmp/random-cursor.lua"
pages=("bare|http://$bare/|none|")
for lb in "$@"; do
  label=${lb%%=*}; bin=${lb#*=}
  DATABASE_URL=$url "$bin" migrate up >/dev/null
  addr=127.0.0.1:$port; port=$((port+1))
  DATABASE_URL=$url "$bin" serve --addr "$addr" --sandbox --log-level warn >/dev/null 2>"$tmp/log-$label" & pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf -c "$tmp/jar-$label" -o /dev/null -d 'username=bench&password=a long benchmark password' "http://$addr/login"
  echo "$(awk '/ecsconsole_session/ {print $7}' "$tmp/jar-$label")" > "$tmp/cookie-$label"
  DATABASE_URL=$url "$bin" token create --username bench --name "bench-$label-$$" | tail -1 > "$tmp/token-$label"
  pages+=("$label history random|http://$addr/deployments|cookie:$label|$tmp/random-cursor.lua")
  pages+=("$label diff page|http://$addr/deployments/$((latest-1000))/diff/$((latest-1))|cookie:$label|")
  pages+=("$label API detail|http://$addr/api/v1/deployments/$((latest-1))|token:$label|")
done
hdr() { local auth=$1; case $auth in cookie:*) echo "Cookie: ecsconsole_session=$(cat $tmp/cookie-${auth#cookie:})";; token:*) echo "Authorization: Bearer $(cat $tmp/token-${auth#token:})";; *) echo "X-None: 1";; esac; }
for p in "${pages[@]}"; do
  IFS='|' read -r label target auth _ <<<"$p"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$(hdr $auth)" "$target"); [ "$code" = 200 ] || { echo "$label $target $code" >&2; exit 1; }
done
: >"$tmp/results"
for run in $(seq 1 "$runs"); do for tc in "1 1" "2 32"; do read -r th c <<<"$tc"
  for p in "${pages[@]}"; do IFS='|' read -r label target auth script <<<"$p"
    h=(-H "Accept-Encoding: gzip" -H "$(hdr $auth)"); [ -n "$script" ] && h+=(-s "$script")
    r=$(wrk -t$th -c$c -d$dur --latency "${h[@]}" "$target" | awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} END {printf "%s %d", rps, bad}')
    echo "$run|$c|$label|$r" >> "$tmp/results"
  done; done; done
# table: per page/conn: req/s min/med/max, ratio-to-bare (same run) min/med/max
awk -F'|' '
  function s3(a,k, i,j,t){for(i=2;i<=k;i++)for(j=i;j>1&&a[j-1]>a[j];j--){t=a[j];a[j]=a[j-1];a[j-1]=t}}
  { split($4,f," "); if ($3=="bare") bare[$1,$2]=f[1]; rows[NR]=$0 }
  END { for(i=1;i<=NR;i++){ split(rows[i],x,"|"); split(x[4],f," "); k=x[2]"|"x[3]; if(!(k in n)) ord[++no]=k; c=++n[k]; r[k,c]=f[1]; q[k,c]=100*f[1]/bare[x[1],x[2]]; bad[k]+=f[2] }
    print "| page | conns | req/s min / median / max | % of bare (same run) min / median / max |"; print "|---|---|---|---|"
    for(i=1;i<=no;i++){k=ord[i]; m=n[k]; delete a; delete b; for(j=1;j<=m;j++){a[j]=r[k,j]; b[j]=q[k,j]}; s3(a,m); s3(b,m); md=int((m+1)/2); split(k,kk,"|")
      printf "| %s | %s | %.0f / %.0f / %.0f | %.1f%% / %.1f%% / %.1f%% |%s\n", kk[2], kk[1], a[1],a[md],a[m], b[1],b[md],b[m], bad[k]?" NON2XX "bad[k]:"" } }' "$tmp/results"
