#!/usr/bin/env bash
# Idle cost of the local cluster (scripts/cluster.sh: 2 edges, 2 session, 2 presence, 1 chatroom) with no
# clients: CPU-ms per second of each Parley process, of the NATS and Redis servers it talks to and of the
# Postgres backends of its database, from /proc/<pid>/stat (utime + stime) over WINDOW seconds after
# SETTLE seconds of warm-up. Issue 13 item 2: the fixed share of the cluster's cost per message.
# Usage: loadtest/bench/cluster-idle.sh   (env: WINDOW=60 SETTLE=10, PARLEY_NATS_URL, PARLEY_REDIS_URL, PARLEY_CLUSTER_DB)
set -euo pipefail
cd "$(dirname "$0")/../.."
WINDOW=${WINDOW:-60} SETTLE=${SETTLE:-10}
export PARLEY_CLUSTER_NAME=bench PARLEY_CLUSTER_DB=${PARLEY_CLUSTER_DB:-parley_bench} PARLEY_LOG_LEVEL=warn
export PARLEY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PARLEY_CLUSTER_DB PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-cidle.XXXXXX)
npm run -s build >/dev/null
bash scripts/cluster.sh > "$PARLEY_DATA_DIR/cluster.log" 2>&1 &
trap 'bash scripts/cluster.sh stop >/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 100); do curl -sf localhost:9122/readyz >/dev/null 2>&1 && curl -sf localhost:9121/readyz >/dev/null 2>&1 && break; sleep 0.3; done
sleep "$SETTLE"
listener() { ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
nats_port=$(sed -E 's#.*:([0-9]+)/?$#\1#' <<<"${PARLEY_NATS_URL:-nats://127.0.0.1:4222}")
redis_port=$(sed -E 's#.*:([0-9]+)(/[0-9]*)?$#\1#' <<<"${PARLEY_REDIS_URL:-redis://127.0.0.1:6379}")
names=(); pids=()
for f in .cluster/pids/*; do names+=("$(basename "$f")"); pids+=("$(cat "$f")"); done
names+=(nats redis); pids+=("$(listener "$nats_port")" "$(listener "$redis_port")")
for p in $(psql -Atc "select pid from pg_stat_activity where datname='$PARLEY_CLUSTER_DB'" "$PARLEY_DATABASE_URL"); do names+=("pg-$p"); pids+=("$p"); done
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
declare -a before
for i in "${!pids[@]}"; do before[i]=$(ticks "${pids[i]}"); done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
sleep "$WINDOW"
total=0; pg=0
printf '%-12s %10s\n' process 'CPU-ms/s'
for i in "${!pids[@]}"; do
  ms=$(( ($(ticks "${pids[i]}") - before[i]) * 1000 / hz ))
  total=$((total + ms))
  if [[ ${names[i]} == pg-* ]]; then pg=$((pg + ms)); continue; fi
  awk -v n="${names[i]}" -v ms="$ms" -v w="$WINDOW" 'BEGIN { printf "%-12s %10.1f\n", n, ms / w }'
done
awk -v ms="$pg" -v w="$WINDOW" -v n="$(grep -c '^pg-' <(printf '%s\n' "${names[@]}") || true)" 'BEGIN { printf "%-12s %10.1f  (%d backends)\n", "postgres", ms / w, n }'
awk -v ms="$total" -v w="$WINDOW" 'BEGIN { printf "%-12s %10.1f\n", "total", ms / w }'
echo "load average: $load0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
