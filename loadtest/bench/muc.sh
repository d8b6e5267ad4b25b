#!/usr/bin/env bash
# MUC benchmark (issue 8 item 6, docs/benchmarks.md "Chatrooms"): the parley-load `muc` scenario —
# one room of OCCUPANTS users, the first SENDERS of them posting RATE groupchat messages/s each — run
# back to back against each SERVER named on the command line, each on private loopback ports with its
# own state directory, nothing left running afterwards:
#   parley    embedded `parley start` (PGlite), ports 36322/36323/36380
#   ejabberd  Debian's ejabberd 23.01 under `ejabberdctl` with loadtest/bench/muc/ejabberd.yml.in (17222)
#   prosody   Debian's Prosody 0.12 in the foreground with loadtest/bench/muc/prosody.cfg.lua (18222)
#   cluster   Parley cluster mode: 2 edges (37222, 38222), 1 chatroom, 1 session, 1 presence, with a
#             private NATS (14322) and Redis (16479); occupants alternate between the two edges
# Server CPU per 1,000 delivered room messages is utime+stime of the server's whole process tree from
# /proc over the measured window (cluster: every Parley process, the private NATS and Redis; not the
# machine's shared Postgres, whose pooled backends come and go — the room history costs it one
# INSERT+DELETE transaction per posted message, whatever the room size).
# Usage: loadtest/bench/muc.sh [parley] [ejabberd] [prosody] [cluster]    (default: parley ejabberd prosody)
#   env: OCCUPANTS=50 SENDERS=5 RATE=1 DURATION=20 WARMUP=5 DRAIN=15 ARRIVAL=50 SIZE=64 SASL=PLAIN
#        TIMEOUT=60 (seconds per negotiation step, and per room join) OUT=loadtest/results/muc-<time>
#        JOIN_RATE=0 (room joins per second after the last login; 0 sends them all at once)
#        DRY_RUN=1 (check the arguments, print the plan, start nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/loadtest/bench/muc

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
servers=()
for a in "$@"; do
  case $a in
    parley | ejabberd | prosody | cluster) servers+=("$a") ;;
    -h | --help) usage; exit 0 ;;
    *) echo "muc.sh: unknown server '$a' (parley, ejabberd, prosody, cluster; --help)" >&2; exit 2 ;;
  esac
done
[ ${#servers[@]} -gt 0 ] || servers=(parley ejabberd prosody)

OCCUPANTS=${OCCUPANTS:-50} SENDERS=${SENDERS:-5} RATE=${RATE:-1} DURATION=${DURATION:-20} WARMUP=${WARMUP:-5}
DRAIN=${DRAIN:-15} ARRIVAL=${ARRIVAL:-50} SIZE=${SIZE:-64} SASL=${SASL:-PLAIN} TIMEOUT=${TIMEOUT:-60} JOIN_RATE=${JOIN_RATE:-0}
for v in OCCUPANTS SENDERS DURATION WARMUP DRAIN ARRIVAL SIZE TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "muc.sh: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
[[ $RATE =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "muc.sh: RATE must be a number, not '$RATE'" >&2; exit 2; }
[[ $JOIN_RATE =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "muc.sh: JOIN_RATE must be a number, not '$JOIN_RATE'" >&2; exit 2; }
[ "$OCCUPANTS" -ge 2 ] || { echo "muc.sh: OCCUPANTS must be at least 2" >&2; exit 2; }
[ "$SENDERS" -ge 1 ] && [ "$SENDERS" -le "$OCCUPANTS" ] || { echo "muc.sh: SENDERS must be 1..OCCUPANTS" >&2; exit 2; }
OUT=${OUT:-loadtest/results/muc-$(date +%Y%m%d-%H%M%S)}
echo "muc benchmark: servers ${servers[*]}; one room of $OCCUPANTS occupants, $SENDERS senders at $RATE msg/s," \
  "${WARMUP}s warm-up + ${DURATION}s measured; results in $OUT"
[ "${DRY_RUN:-0}" = 1 ] && exit 0

export PARLEY_MUCBENCH_DIR=${PARLEY_MUCBENCH_DIR:-/tmp/parley-mucbench}
DIR=$PARLEY_MUCBENCH_DIR
mkdir -p "$OUT" "$DIR"
chmod 755 "$DIR"
LOAD=(node --import tsx "$ROOT/loadtest/src/main.ts")
PARLEY=(node --import tsx "$ROOT/services/cli/src/main.ts")
# Parley's chatroom limits raised for the benchmark (defaults: admins create rooms, 120 messages/min per
# occupant, 6,000/min per room, 1,000 occupants), and the per-connection limits off for the loopback generator.
# The room's presence bound (PARLEY_MUC_MAX_USERS_PRESENCE, 1,000) keeps its default. The idle timeout is an
# hour (default 600 s): the generator is silent while it waits for its last login, which at ARRIVAL=5 and
# 5,000 users takes 1,000 s.
PARLEY_ENV=(PARLEY_DOMAIN=localhost PARLEY_BIND_ADDRESS=127.0.0.1 PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=4096 PARLEY_IDLE_TIMEOUT=3600
  PARLEY_MUC_CREATORS=local PARLEY_MUC_OCCUPANT_RATE=1000000 PARLEY_MUC_ROOM_RATE=10000000 PARLEY_MUC_MAX_OCCUPANTS=100000
  PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1 PARLEY_LIMIT_STANZAS_PER_SEC=1000000 PARLEY_LIMIT_ACCOUNT_STANZAS_PER_SEC=1000000)

# shellcheck source=lib.sh
source "$ROOT/loadtest/bench/lib.sh" # children, EJCTL, cleanup (on exit), wait_port

# tree_pids PID...: the processes and all their descendants, as --server-pid options.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v roots="$*" '
    { parent[$1] = $2 }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) printf "--server-pid %s ", p
    }'
}

if [ ! -f "$DIR/certs/localhost.crt" ]; then
  mkdir -p "$DIR/certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,DNS:conference.localhost" \
    -keyout "$DIR/certs/localhost.key" -out "$DIR/certs/localhost.crt" 2>/dev/null
fi

# load NAME PORTS PIDOPTS...: the muc scenario against one server; the load average is kept beside it.
load() {
  local name=$1 ports=$2
  shift 2
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/$name.loadavg"
  echo "== $name: parley-load muc (load average $(cat "$OUT/$name.loadavg"))"
  "${LOAD[@]}" muc --label "$name" --host 127.0.0.1 --port "$ports" --domain localhost --transport starttls \
    --sasl "$SASL" --users "$OCCUPANTS" --occupants "$OCCUPANTS" --senders "$SENDERS" --msg-rate "$RATE" \
    --msg-size "$SIZE" --arrival-rate "$ARRIVAL" --warmup "$WARMUP" --duration "$DURATION" --drain "$DRAIN" \
    --timeout "$TIMEOUT" --join-rate "$JOIN_RATE" --no-roster "$@" --out "$OUT/$name" --no-html --quiet | tee "$OUT/$name.txt" ||
    echo "muc.sh: parley-load reported errors against $name (exit $?); the other servers still run" >&2
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/$name.loadavg"
}

run_parley() {
  local data
  data=$(mktemp -d /tmp/parley-mucbench-embedded.XXXXXX)
  env "${PARLEY_ENV[@]}" PARLEY_DATA_DIR="$data" PARLEY_C2S_PORT=36322 PARLEY_C2S_TLS_PORT=36323 PARLEY_HTTP_PORT=36380 \
    PARLEY_ADMIN_PORT=0 "${PARLEY[@]}" start > "$OUT/parley.log" 2>&1 &
  local pid=$!
  children+=("$pid")
  for _ in $(seq 1 300); do [ -S "$data/admin.sock" ] && break; sleep 0.2; done
  env "${PARLEY_ENV[@]}" PARLEY_DATA_DIR="$data" "${PARLEY[@]}" user bulk --count "$OCCUPANTS" \
    --user-pattern 'user%d' --password-pattern 'pass%d' >/dev/null
  wait_port 36322
  # shellcheck disable=SC2046
  load parley 36322 $(tree_pids "$pid")
  cleanup
  rm -rf "$data"
}

run_ejabberd() {
  local ej=$DIR/ejabberd
  rm -rf "$ej"
  mkdir -p "$ej/certs" "$ej/spool" "$ej/logs"
  sed "s|@DIR@|$ej|g" "$HERE/ejabberd.yml.in" > "$ej/ejabberd.yml"
  cp "$HERE/ejabberdctl.cfg" "$ej/"
  touch "$ej/inetrc"
  cat "$DIR/certs/localhost.key" "$DIR/certs/localhost.crt" > "$ej/certs/localhost.pem"
  chown -R ejabberd: "$ej"
  chmod 600 "$ej/certs/localhost.pem"
  EJCTL=(ejabberdctl --config-dir "$ej" --config "$ej/ejabberd.yml" --ctl-config "$ej/ejabberdctl.cfg" --logs "$ej/logs" --spool "$ej/spool")
  "${EJCTL[@]}" start
  "${EJCTL[@]}" started
  wait_port 17280
  # Provisioned through mod_http_api (`register`, the same command as `ejabberdctl register`, without a VM per call).
  for i in $(seq 1 "$OCCUPANTS"); do
    curl -fsS -X POST http://127.0.0.1:17280/api/register \
      -d "{\"user\":\"user$i\",\"host\":\"localhost\",\"password\":\"pass$i\"}" >/dev/null
  done
  local pid
  pid=$(pgrep -u ejabberd -f 'beam.smp.*parley_mucbench' | head -1)
  # shellcheck disable=SC2046
  load ejabberd 17222 $(tree_pids "$pid")
  "${EJCTL[@]}" stop >/dev/null 2>&1 || true
  "${EJCTL[@]}" stopped >/dev/null 2>&1 || true
  EJCTL=()
}

run_prosody() {
  local p=$DIR/prosody cfg=$HERE/prosody.cfg.lua
  rm -rf "$p"
  mkdir -p "$p/data" "$p/certs"
  cp "$DIR/certs/localhost.key" "$DIR/certs/localhost.crt" "$p/certs/"
  seq 1 "$OCCUPANTS" | xargs -P 4 -I{} prosodyctl --config "$cfg" register user{} localhost pass{} >/dev/null 2>&1
  prosody --config "$cfg" > "$OUT/prosody.log" 2>&1 &
  local pid=$!
  children+=("$pid")
  wait_port 18222
  # shellcheck disable=SC2046
  load prosody 18222 $(tree_pids "$pid")
  cleanup
}

run_cluster() {
  local data db=parley_mucbench
  data=$(mktemp -d /tmp/parley-mucbench-cluster.XXXXXX)
  nats-server -a 127.0.0.1 -p 14322 > "$OUT/nats.log" 2>&1 &
  children+=("$!")
  local nats=$!
  redis-server --port 16479 --bind 127.0.0.1 --save '' --appendonly no --dir "$data" > "$OUT/redis.log" 2>&1 &
  children+=("$!")
  local redis=$!
  wait_port 14322
  wait_port 16479
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  local env=("${PARLEY_ENV[@]}" PARLEY_DATA_DIR="$data" PARLEY_NATS_URL=nats://127.0.0.1:14322
    PARLEY_REDIS_URL=redis://127.0.0.1:16479 PARLEY_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" PARLEY_CLUSTER_NAME=mucbench)
  env "${env[@]}" "${PARLEY[@]}" migrate >/dev/null
  local roots=("$nats" "$redis")
  start_one() { # name role ops-port [c2s port]
    env "${env[@]}" PARLEY_OPS_PORT="$3" PARLEY_EDGE_ID="$1" ${4:+PARLEY_C2S_PORT=$4 PARLEY_C2S_TLS_PORT=$(($4 + 1)) PARLEY_HTTP_PORT=$(($4 + 58))} \
      "${PARLEY[@]}" start --role "$2" > "$OUT/cluster-$1.log" 2>&1 &
    children+=("$!")
    roots+=("$!")
  }
  start_one session-1 session 39101
  start_one presence-1 presence 39111
  start_one chatroom-1 chatroom 39131
  start_one edge-1 edge 39121 37222
  start_one edge-2 edge 39122 38222
  for port in 39101 39111 39131 39121 39122; do
    for _ in $(seq 1 300); do curl -sf "127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.3; done
  done
  env "${env[@]}" "${PARLEY[@]}" user bulk --count "$OCCUPANTS" --user-pattern 'user%d' --password-pattern 'pass%d' >/dev/null
  # shellcheck disable=SC2046
  load cluster 37222,38222 $(tree_pids "${roots[@]}")
  cleanup
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null || true
  rm -rf "$data"
}

for s in "${servers[@]}"; do "run_$s"; done
node "$ROOT/loadtest/bench/muc-summary.mjs" "$OUT" "${servers[@]}" | tee "$OUT/summary.md"
