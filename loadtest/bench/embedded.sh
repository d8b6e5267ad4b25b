#!/usr/bin/env bash
# Embedded-mode benchmark: start `parley start` on spare ports with a fresh data directory,
# provision USERS accounts, run the parley-load chat scenario against it with the server's pid
# (CPU time per 1,000 delivered messages), then stop the server.
# Usage: loadtest/bench/embedded.sh   (env: USERS=200 RATE=1 DURATION=50 ARRIVAL=50 SIZE=64 TRANSPORT=starttls SASL=SCRAM-SHA-256)
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-200} RATE=${RATE:-1} DURATION=${DURATION:-50} ARRIVAL=${ARRIVAL:-50} SIZE=${SIZE:-64}
TRANSPORT=${TRANSPORT:-starttls} SASL=${SASL:-SCRAM-SHA-256}
OUT=${OUT:-loadtest/results/embedded-$(date +%Y%m%d-%H%M%S)}
export PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-bench.XXXXXX)
export PARLEY_C2S_PORT=${PORT:-35222} PARLEY_C2S_TLS_PORT=$((${PORT:-35222} + 1)) PARLEY_HTTP_PORT=$((${PORT:-35222} + 58)) PARLEY_BIND_ADDRESS=127.0.0.1
export PARLEY_S2S_PORT=$((${PORT:-35222} + 47)) PARLEY_S2S_TLS_PORT=$((${PORT:-35222} + 48)) PARLEY_ADMIN_PORT=0 PARLEY_COMPONENT_PORT=$((${PORT:-35222} + 49))
export PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=${ITERATIONS:-4096}
# The generator logs every user in from 127.0.0.1: exempt it from the per-address connection limits
# (docs/security.md), which would otherwise refuse most logins of an arrival burst; this measures chat.
export PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1
npm run -s build >/dev/null
# SERVER_NODE_FLAGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
node ${SERVER_NODE_FLAGS:-} services/cli/bin/parley.js start &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
# Up to 60 s: PGlite starts slowly on a busy machine.
for _ in $(seq 1 300); do [ -S "$PARLEY_DATA_DIR/admin.sock" ] && break; sleep 0.2; done
node services/cli/bin/parley.js user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
node loadtest/bin/parley-load.js chat --label parley-embedded --port "$PARLEY_C2S_PORT" --domain localhost \
  --transport "$TRANSPORT" --sasl "$SASL" --users "$USERS" --arrival-rate "$ARRIVAL" --msg-rate "$RATE" \
  --msg-size "$SIZE" --warmup 5 --duration "$DURATION" --server-pid "$PID" --out "$OUT"
