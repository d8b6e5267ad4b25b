#!/usr/bin/env bash
# Idle-connection memory (issue #13 item 4): an embedded server on spare ports, USERS accounts
# logged in over STARTTLS + SCRAM and then silent; parley-load's idle scenario reports the server's
# RSS before and with every connection open, and RSS per connection.
# STORE=postgres (default) keeps PGlite's own memory out of the per-connection figure by using the
# machine's Postgres (database parley_idle); STORE=pglite measures the newcomer's setup.
# Usage: loadtest/bench/idle.sh   (env: USERS=10000 ARRIVAL=200 DURATION=30 STORE=postgres|pglite)
# SERVER_NODE_FLAGS: node options for the server (e.g. "--max-semi-space-size=1").
# PROBE=1: preload loadtest/bench/memprobe.cjs and record heap, external memory and RSS after two forced full
#   GCs, once before the logins and once 5–10 s into the measured window (every session open), in $OUT/memprobe.jsonl.
# SNAPSHOT=1 (with PROBE=1): also write a V8 heap snapshot at both points into $OUT (loadtest/bench/heap-diff.mjs).
# STOP_OPEN=1 (with PROBE=1): after the second probe, stop the server (SIGTERM) with every session still open
#   and report how long the stop took and how many clean-ups failed (a 10,000-session stop, issue #13).
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-10000} ARRIVAL=${ARRIVAL:-200} DURATION=${DURATION:-30} STORE=${STORE:-postgres}
OUT=${OUT:-loadtest/results/idle-$(date +%Y%m%d-%H%M%S)}
export PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-idle.XXXXXX)
export PARLEY_C2S_PORT=${PORT:-47222} PARLEY_C2S_TLS_PORT=$((${PORT:-47222} + 1)) PARLEY_HTTP_PORT=$((${PORT:-47222} + 58)) PARLEY_BIND_ADDRESS=127.0.0.1
# Spare ports for every listener, so a run does not collide with another server on the machine.
export PARLEY_S2S_PORT=$((${PORT:-47222} + 47)) PARLEY_S2S_TLS_PORT=$((${PORT:-47222} + 48)) PARLEY_ADMIN_PORT=0 PARLEY_COMPONENT_PORT=0
export PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=${ITERATIONS:-4096}
# One generator address opens every connection: exempt it from the per-address limits (docs/security.md).
export PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1
if [ "$STORE" = postgres ]; then
  DB=${DB:-parley_idle}
  psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "DROP DATABASE IF EXISTS \"$DB\"" -c "CREATE DATABASE \"$DB\"" >/dev/null
  export PARLEY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
fi
npm run -s build >/dev/null
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
FLAGS=${SERVER_NODE_FLAGS:-}
if [ "${PROBE:-0}" = 1 ]; then
  export MEMPROBE_OUT=$OUT/memprobe.jsonl
  FLAGS="$FLAGS --expose-gc -r ./loadtest/bench/memprobe.cjs"
  [ "${SNAPSHOT:-0}" = 1 ] && FLAGS="$FLAGS --heapsnapshot-signal=SIGUSR1 --diagnostic-dir=$OUT"
fi
# shellcheck disable=SC2086  # FLAGS is a list of options
node $FLAGS services/cli/bin/parley.js start 2> >(tee "$OUT/server.log" >&2) &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 150); do [ -S "$PARLEY_DATA_DIR/admin.sock" ] && break; sleep 0.2; done
node services/cli/bin/parley.js user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
probes() { if [ -f "$MEMPROBE_OUT" ]; then wc -l <"$MEMPROBE_OUT"; else echo 0; fi; }
# One probe (and snapshot): forced GCs, then wait for the probe's line (a snapshot of a large heap takes a while).
probe() {
  local lines=$(($(probes) + 1))
  kill -USR2 "$PID"
  for _ in $(seq 1 600); do [ "$(probes)" -ge "$lines" ] && break; sleep 0.1; done
  if [ "${SNAPSHOT:-0}" = 1 ]; then
    local snaps=$(($(ls "$OUT"/*.heapsnapshot 2>/dev/null | wc -l) + 1))
    kill -USR1 "$PID"
    for _ in $(seq 1 1200); do [ "$(ls "$OUT"/*.heapsnapshot 2>/dev/null | wc -l)" -ge "$snaps" ] && break; sleep 0.5; done
    sleep 5 # the file appears when writing starts
  fi
}
load() {
  node loadtest/bin/parley-load.js idle --label "parley-embedded-$STORE" --port "$PARLEY_C2S_PORT" --domain localhost \
    --transport starttls --sasl SCRAM-SHA-256 --users "$USERS" --arrival-rate "$ARRIVAL" --warmup 5 \
    --duration "$DURATION" --server-pid "$PID" --out "$OUT"
}
if [ "${PROBE:-0}" != 1 ]; then
  load
  exit 0
fi
sleep 2
probe
load | tee "$OUT/load.log" &
LOAD=$!
# The measured window starts after every session is online and the 5 s warm-up (progress lines say "measure").
until grep -q ' measure ' "$OUT/load.log" 2>/dev/null; do
  kill -0 $LOAD 2>/dev/null || { echo "idle.sh: the load ended before its measured window" >&2; exit 1; }
  sleep 1
done
sleep 5
probe
if [ "${STOP_OPEN:-0}" = 1 ]; then
  t0=$(date +%s.%N)
  kill -TERM "$PID"
  (sleep 120 && kill -KILL "$PID" 2>/dev/null && echo "idle.sh: the stop did not finish within 120 s: killed") &
  GUARD=$!
  wait "$PID" 2>/dev/null || true
  kill "$GUARD" 2>/dev/null || true
  echo "stop with sessions open: $(echo "$(date +%s.%N) - $t0" | bc) s; clean-up failures logged: $(grep -c 'cleanup failed' "$OUT/server.log" || true); $(grep -c 'still busy at shutdown' "$OUT/server.log" || true) 'actors still busy'"
fi
wait $LOAD || true
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const [a, b] = [lines[0], lines[lines.length - 1]];
  const n = Number(process.argv[2]), mb = (x) => (x / 1048576).toFixed(1), kb = (x) => (x / 1024 / n).toFixed(1);
  for (const [k, f] of [["RSS", (p) => p.vmrssKB * 1024], ["heapUsed", (p) => p.heapUsed], ["heapTotal", (p) => p.heapTotal], ["external", (p) => p.external], ["arrayBuffers", (p) => p.arrayBuffers]])
    console.log(`${k.padEnd(12)} ${mb(f(a)).padStart(8)} MB before  ${mb(f(b)).padStart(8)} MB with sessions  ${kb(f(b) - f(a)).padStart(7)} KiB per session (of ${n})`);
' "$MEMPROBE_OUT" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).maxOnline)' "$OUT/result.json" 2>/dev/null || echo "$USERS")"
