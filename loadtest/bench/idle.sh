#!/usr/bin/env bash
# Idle-connection memory (issue #13 item 4): an embedded server on spare ports, USERS accounts
# logged in over STARTTLS + SCRAM and then silent; parley-load's idle scenario reports the server's
# RSS before and with every connection open, and RSS per connection.
# STORE=postgres (default) keeps PGlite's own memory out of the per-connection figure by using the
# machine's Postgres (database parley_idle); STORE=pglite measures the newcomer's setup.
# Usage: loadtest/bench/idle.sh   (env: USERS=10000 ARRIVAL=200 DURATION=30 STORE=postgres|pglite)
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
node services/cli/bin/parley.js start &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 150); do [ -S "$PARLEY_DATA_DIR/admin.sock" ] && break; sleep 0.2; done
node services/cli/bin/parley.js user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
node loadtest/bin/parley-load.js idle --label "parley-embedded-$STORE" --port "$PARLEY_C2S_PORT" --domain localhost \
  --transport starttls --sasl SCRAM-SHA-256 --users "$USERS" --arrival-rate "$ARRIVAL" --warmup 5 \
  --duration "$DURATION" --server-pid "$PID" --out "$OUT"
