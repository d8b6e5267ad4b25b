#!/usr/bin/env bash
# Cluster-mode benchmark: the local cluster of scripts/cluster.sh (2 edges, 2 session, 2 presence
# over NATS, Redis and Postgres), the same chat scenario as embedded.sh spread over both edges,
# with every Parley process's pid so CPU per 1,000 messages covers the whole cluster.
# Usage: loadtest/bench/cluster.sh   (env: USERS=1000 RATE=1 DURATION=30 ARRIVAL=100 SIZE=64)
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-1000} RATE=${RATE:-1} DURATION=${DURATION:-30} ARRIVAL=${ARRIVAL:-100} SIZE=${SIZE:-64}
OUT=${OUT:-loadtest/results/cluster-$(date +%Y%m%d-%H%M%S)}
export PARLEY_CLUSTER_NAME=bench PARLEY_CLUSTER_DB=parley_bench PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=4096
# The generator logs every user in from 127.0.0.1: exempt it from the per-address connection limits
# (docs/security.md), which would otherwise refuse most logins of an arrival burst; this measures chat.
export PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1
export PARLEY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley_bench PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-cbench.XXXXXX)
npm run -s build >/dev/null
bash scripts/cluster.sh > "${OUT}.log" 2>&1 &
trap 'bash scripts/cluster.sh stop >/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 100); do curl -sf localhost:9122/readyz >/dev/null 2>&1 && curl -sf localhost:9121/readyz >/dev/null 2>&1 && break; sleep 0.3; done
node services/cli/bin/parley.js user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
pids=(); for f in .cluster/pids/*; do pids+=(--server-pid "$(cat "$f")"); done
# Issue #13 item 2: the cluster's cost includes the servers it runs on. The NATS and Redis servers and
# the Postgres backends of the bench database (the processes' pools, open by now) are counted too;
# INFRA=0 counts the Parley processes only. (They are shared: run this on a quiet machine.)
if [ "${INFRA:-1}" = 1 ]; then
  for p in $(pidof nats-server redis-server) $(psql -Atc "select pid from pg_stat_activity where datname='parley_bench'" "$PARLEY_DATABASE_URL"); do pids+=(--server-pid "$p"); done
fi
node loadtest/bin/parley-load.js chat --label parley-cluster --host 127.0.0.1 --port 5222,6222 --domain localhost \
  --transport starttls --sasl SCRAM-SHA-256 --users "$USERS" --arrival-rate "$ARRIVAL" --msg-rate "$RATE" \
  --msg-size "$SIZE" --warmup 5 --duration "$DURATION" "${pids[@]}" --out "$OUT"
