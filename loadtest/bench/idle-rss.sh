#!/usr/bin/env bash
# Idle embedded server memory (issue #13 item 4): `parley start` with no client, twice on one fresh data
# directory — the first start (initdb in the process) and a later start — printing VmRSS 15 s, 60 s and
# 300 s after the admin socket appears. Spare ports (28522…); nothing is left running.
# Usage: loadtest/bench/idle-rss.sh   (run `npm run build` first)
set -u
cd "$(dirname "$0")/../.."

D=$(mktemp -d /tmp/parley-idlerss.XXXXXX)
export PARLEY_DATA_DIR=$D PARLEY_C2S_PORT=28522 PARLEY_C2S_TLS_PORT=28523 PARLEY_HTTP_PORT=28580 PARLEY_S2S_PORT=28569 PARLEY_S2S_TLS_PORT=28570 PARLEY_ADMIN_PORT=0 PARLEY_COMPONENT_PORT=0 PARLEY_LOG_LEVEL=warn PARLEY_BIND_ADDRESS=127.0.0.1
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$1/status; }
for run in first later; do
  node services/cli/bin/parley.js start > /tmp/idle-rss-$run.log 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do [ -S "$D/admin.sock" ] && break; sleep 0.2; done
  t0=$(date +%s)
  for at in 15 60 300; do sleep $((at - ($(date +%s) - t0))); echo "$run start: RSS at ${at}s $(rss $pid) (load $(cut -d' ' -f1 /proc/loadavg))"; done
  [ $run = first ] && { kill -TERM $pid; wait $pid; rm -f "$D/admin.sock"; }
done
kill -TERM $pid; wait $pid; rm -rf "$D"
