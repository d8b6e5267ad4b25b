#!/usr/bin/env bash
# Cluster-mode benchmark: the local cluster of scripts/cluster.sh (2 edges, 2 session, 2 presence
# over NATS, Redis and Postgres), the same chat scenario as embedded.sh spread over both edges,
# with every Parley process's pid so CPU per 1,000 messages covers the whole cluster.
# Usage: loadtest/bench/cluster.sh   (env: USERS=1000 RATE=1 DURATION=30 ARRIVAL=100 SIZE=64)
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-1000} RATE=${RATE:-1} DURATION=${DURATION:-30} ARRIVAL=${ARRIVAL:-100} SIZE=${SIZE:-64}
OUT=${OUT:-loadtest/results/cluster-$(date +%Y%m%d-%H%M%S)}
export PARLEY_CLUSTER_NAME=bench PARLEY_CLUSTER_DB=${PARLEY_CLUSTER_DB:-parley_bench} PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=4096
# The generator logs every user in from 127.0.0.1: exempt it from the per-address connection limits
# (docs/security.md), which would otherwise refuse most logins of an arrival burst; this measures chat.
export PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1
export PARLEY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PARLEY_CLUSTER_DB PARLEY_DATA_DIR=$(mktemp -d /tmp/parley-cbench.XXXXXX)
npm run -s build >/dev/null
bash scripts/cluster.sh > "${OUT}.log" 2>&1 &
trap 'bash scripts/cluster.sh stop >/dev/null; rm -rf "$PARLEY_DATA_DIR"' EXIT
for _ in $(seq 1 100); do curl -sf localhost:9122/readyz >/dev/null 2>&1 && curl -sf localhost:9121/readyz >/dev/null 2>&1 && break; sleep 0.3; done
node services/cli/bin/parley.js user bulk --count "$USERS" --user-pattern 'user%d' --password-pattern 'pass%d'
pids=(); names=()
for f in .cluster/pids/*; do pids+=(--server-pid "$(cat "$f")"); names+=("$(cat "$f") $(basename "$f")"); done
# Issue #13 item 2: the cluster's cost includes the servers it runs on. The NATS and Redis servers and
# the Postgres backends of the bench database (the processes' pools, open by now) are counted too;
# INFRA=0 counts the Parley processes only. Only the NATS and Redis servers this cluster talks to
# (the ones listening on the ports of PARLEY_NATS_URL and PARLEY_REDIS_URL) are counted: on a machine
# shared with other work, give the bench its own servers there so their CPU is this run's alone.
listener() { ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
if [ "${INFRA:-1}" = 1 ]; then
  nats_port=$(sed -E 's#.*:([0-9]+)/?$#\1#' <<<"${PARLEY_NATS_URL:-nats://127.0.0.1:4222}")
  redis_port=$(sed -E 's#.*:([0-9]+)(/[0-9]*)?$#\1#' <<<"${PARLEY_REDIS_URL:-redis://127.0.0.1:6379}")
  p=$(listener "$nats_port"); pids+=(--server-pid "$p"); names+=("$p nats")
  p=$(listener "$redis_port"); pids+=(--server-pid "$p"); names+=("$p redis")
  for p in $(psql -Atc "select pid from pg_stat_activity where datname='$PARLEY_CLUSTER_DB'" "$PARLEY_DATABASE_URL"); do pids+=(--server-pid "$p"); names+=("$p postgres"); done
fi
printf '%s\n' "${names[@]}" > "${OUT}.pids"
node loadtest/bin/parley-load.js chat --label parley-cluster --host 127.0.0.1 --port 5222,6222 --domain localhost \
  --transport starttls --sasl SCRAM-SHA-256 --users "$USERS" --arrival-rate "$ARRIVAL" --msg-rate "$RATE" \
  --msg-size "$SIZE" --warmup 5 --duration "$DURATION" "${pids[@]}" --out "$OUT"
# CPU per 1,000 delivered by role (edge-1 and edge-2 are "edge", every Postgres backend is "postgres").
node -e '
  const fs = require("node:fs");
  const [out] = process.argv.slice(1);
  const byPid = JSON.parse(fs.readFileSync(out + "/result.json", "utf8")).server?.cpuMsPer1000DeliveredByPid ?? {};
  const roles = new Map();
  for (const line of fs.readFileSync(out + ".pids", "utf8").trim().split("\n")) {
    const [pid, name] = line.split(" ");
    const role = name.replace(/-\d+$/, "");
    roles.set(role, (roles.get(role) ?? 0) + (byPid[pid] ?? 0));
  }
  console.log("CPU ms per 1,000 delivered by role: " + [...roles].map(([r, v]) => `${r} ${v.toFixed(0)}`).join(", "));
' "$OUT"
