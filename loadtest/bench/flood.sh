#!/usr/bin/env bash
# Flood isolation benchmark (docs/benchmarks.md, docs/security.md): one embedded server; the flood
# scenario first with no flooder (baseline), then with FLOODERS users sending as fast as they can.
# Prints the other users' p99 latency in both runs and their ratio (target ≤ 1.5).
# The stanza-rate limits are raised (LIMITS=off, the default here) so the flooder really floods and
# what is measured is fairness, not the limit; LIMITS=on keeps every default limit.
# Usage: loadtest/bench/flood.sh   (env: USERS=40 RATE=2 DURATION=20 FLOODERS=1 LIMITS=off)
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-40} RATE=${RATE:-2} DURATION=${DURATION:-20} FLOODERS=${FLOODERS:-1} LIMITS=${LIMITS:-off}
OUT=${OUT:-loadtest/results/flood-$(date +%Y%m%d-%H%M%S)}
export PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-flood.XXXXXX)
export PARLEY_C2S_PORT=${PORT:-36222} PARLEY_C2S_TLS_PORT=36223 PARLEY_HTTP_PORT=36280 PARLEY_ADMIN_PORT=36290 PARLEY_BIND_ADDRESS=127.0.0.1
export PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=4096 PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1
if [ "$LIMITS" = off ]; then export PARLEY_LIMIT_STANZAS_PER_SEC=1000000 PARLEY_LIMIT_ACCOUNT_STANZAS_PER_SEC=1000000; fi
node --import tsx services/cli/src/main.ts start &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 300); do [ -S "$PARLEY_DATA_DIR/admin.sock" ] && break; sleep 0.2; done
node --import tsx services/cli/src/main.ts user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
run() { # $1 = flooders, $2 = output directory
  node --import tsx loadtest/src/main.ts flood --flooders "$1" --label "flooders=$1" --port "$PARLEY_C2S_PORT" --domain localhost \
    --users "$USERS" --arrival-rate 50 --msg-rate "$RATE" --warmup 3 --duration "$DURATION" --drain 10 --server-pid "$PID" \
    --out "$2" --no-html --quiet
}
in_total() { curl -s "http://127.0.0.1:$PARLEY_HTTP_PORT/metrics" | awk '/^parley_edge_stanzas_total\{kind="message",direction="in"\}/ {print $2}'; }
run 0 "$OUT/baseline"
before=$(in_total)
run "$FLOODERS" "$OUT/flood"
after=$(in_total)
node -e '
const [b, f, inBefore, inAfter, dur] = process.argv.slice(1);
const base = require(b + "/result.json"), flood = require(f + "/result.json");
const r = flood.latencyMs.p99 / base.latencyMs.p99;
console.log(`baseline: p50 ${base.latencyMs.p50.toFixed(2)} ms, p99 ${base.latencyMs.p99.toFixed(2)} ms, ${base.messages.received}/${base.messages.sent} delivered`);
console.log(`flood:    p50 ${flood.latencyMs.p50.toFixed(2)} ms, p99 ${flood.latencyMs.p99.toFixed(2)} ms, ${flood.messages.received}/${flood.messages.sent} delivered`);
console.log(`server accepted ${Math.round((inAfter - inBefore) / dur)} messages/s in the flood run (all senders)`);
console.log(`p99 ratio (flood / baseline): ${r.toFixed(2)}x`);
' "$PWD/$OUT/baseline" "$PWD/$OUT/flood" "$before" "$after" "$((DURATION + 13))"
