#!/usr/bin/env bash
# Local cluster on this machine's NATS, Redis and Postgres: 2 edges, 2 session, 2 presence,
# 1 chatroom process, each log line prefixed with its process name. `scripts/cluster.sh stop` ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=.cluster
export PARLEY_NATS_URL=${PARLEY_NATS_URL:-nats://127.0.0.1:4222}
export PARLEY_REDIS_URL=${PARLEY_REDIS_URL:-redis://127.0.0.1:6379}
DB=${PARLEY_CLUSTER_DB:-parley}
export PARLEY_DATABASE_URL=${PARLEY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB}
export PARLEY_DATA_DIR=${PARLEY_DATA_DIR:-$PWD/$RUN/data}
export PARLEY_LOG_LEVEL=${PARLEY_LOG_LEVEL:-info}

stop() {
  [ -d "$RUN/pids" ] || { echo "no cluster running"; return 0; }
  for f in "$RUN"/pids/*; do
    [ -e "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=0
    for f in "$RUN"/pids/*; do [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  rm -rf "$RUN/pids"
  echo "cluster stopped"
}

if [ "${1:-start}" = stop ]; then stop; exit 0; fi
[ -d "$RUN/pids" ] && { echo "a cluster is already running (scripts/cluster.sh stop)"; exit 1; }
mkdir -p "$RUN/pids" "$PARLEY_DATA_DIR"

# The database must exist; create it when psql can reach the server.
if command -v psql >/dev/null && ! psql "$PARLEY_DATABASE_URL" -c 'select 1' >/dev/null 2>&1; then
  psql "${PARLEY_DATABASE_URL%/*}/postgres" -c "CREATE DATABASE \"$DB\"" >/dev/null
fi
node services/cli/bin/parley.js migrate

start_one() { # name role ops-port [edge ports]
  local name=$1 role=$2 ops=$3
  setsid env PARLEY_OPS_PORT=$ops PARLEY_EDGE_ID=$name ${4:+PARLEY_C2S_PORT=$4} ${5:+PARLEY_C2S_TLS_PORT=$5} ${6:+PARLEY_HTTP_PORT=$6} \
    node ${PARLEY_NODE_ARGS:-} services/cli/bin/parley.js start --role "$role" > >(sed -u "s/^/[$name] /") 2>&1 &
  echo $! > "$RUN/pids/$name"
}
start_one session-1 session 9101
start_one session-2 session 9102
start_one presence-1 presence 9111
start_one presence-2 presence 9112
start_one chatroom-1 chatroom 9131
start_one edge-1 edge 9121 5222 5223 5280
start_one edge-2 edge 9122 6222 6223 6280
echo "cluster starting: edges on 5222/5223/5280 and 6222/6223/6280; ops on 9101-9131; stop with: make cluster-stop"
wait
