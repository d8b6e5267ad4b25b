#!/usr/bin/env bash
# Cross-checks parley-load against tsung: the same `chat` scenario, driven by each tool, against
# Debian's ejabberd and Prosody on loopback (alternative ports, nothing left running afterwards).
# Usage: loadtest/compare/run.sh            (USERS=200 DURATION=60 by default)
# Results: $PARLEY_COMPARE_DIR/results (default /tmp/parley-compare/results) and a Markdown table on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export PARLEY_COMPARE_DIR="${PARLEY_COMPARE_DIR:-/tmp/parley-compare}"
DIR="$PARLEY_COMPARE_DIR"
USERS="${USERS:-200}"
DURATION="${DURATION:-60}"   # seconds of chat per user (1 message per second each)
ARRIVAL="${ARRIVAL:-20}"     # connections per second
SIZE="${SIZE:-64}"
RESULTS="$DIR/results"
LOAD=(node --import tsx "$ROOT/loadtest/src/main.ts")

PROSODY_CFG="$HERE/prosody/prosody.cfg.lua"
EJ="$DIR/ejabberd"
EJCTL=(ejabberdctl --config-dir "$EJ" --config "$EJ/ejabberd.yml" --ctl-config "$EJ/ejabberdctl.cfg" --logs "$EJ/logs" --spool "$EJ/spool")
PROSODY_PID=""

cleanup() {
  if [ -n "$PROSODY_PID" ]; then kill "$PROSODY_PID" 2>/dev/null || true; wait "$PROSODY_PID" 2>/dev/null || true; fi
  if [ -f "$EJ/ejabberd.yml" ]; then "${EJCTL[@]}" stop >/dev/null 2>&1 || true; "${EJCTL[@]}" stopped >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

bash "$HERE/install.sh"
rm -rf "$DIR/prosody" "$EJ"
mkdir -p "$DIR/certs" "$DIR/prosody/data" "$DIR/prosody/certs" "$EJ/certs" "$EJ/spool" "$EJ/logs" "$RESULTS"
chmod 755 "$DIR"
if [ ! -f "$DIR/certs/localhost.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,DNS:conference.localhost" \
    -keyout "$DIR/certs/localhost.key" -out "$DIR/certs/localhost.crt" 2>/dev/null
fi
cp "$DIR/certs/localhost.key" "$DIR/certs/localhost.crt" "$DIR/prosody/certs/"
cat "$DIR/certs/localhost.key" "$DIR/certs/localhost.crt" > "$EJ/certs/localhost.pem"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run_pair NAME PORT PID: tsung then parley-load against one server, each with the server's CPU sampled.
run_pair() {
  local name=$1 port=$2 pid=$3 before after ramp=$(( (USERS + ARRIVAL - 1) / ARRIVAL + 1 ))
  # Sending starts ramp + 2 s from now (tsung's own start-up included), after the last login.
  sed -e "s/@HOST@/127.0.0.1/; s/@PORT@/$port/; s/@DOMAIN@/localhost/; s/@USERS@/$USERS/g" \
      -e "s/@ARRIVAL@/$ARRIVAL/; s/@RAMP@/$ramp/g; s/@MESSAGES@/$DURATION/; s/@SIZE@/$SIZE/" \
      -e "s/@THINK@/1/g; s/@LINGER@/5/; s/@START@/$(( $(date +%s%3N) + (ramp + 2) * 1000 ))/g" \
      "$ROOT/loadtest/tsung/chat.xml.in" > "$RESULTS/tsung-$name.xml"
  echo "== tsung against $name (port $port)"
  before=$(cpu_ticks "$pid")
  ( cd "$RESULTS" && /usr/bin/time -f '%U %S' -o "$RESULTS/tsung-$name.time" \
      tsung -f "$RESULTS/tsung-$name.xml" -l "$RESULTS/tsung-$name" start ) > "$RESULTS/tsung-$name.out" 2>&1
  after=$(cpu_ticks "$pid")
  echo "$before $after $(getconf CLK_TCK)" > "$RESULTS/tsung-$name.servercpu"
  echo "== parley-load against $name (port $port)"
  "${LOAD[@]}" chat --label "$name" --host 127.0.0.1 --port "$port" --domain localhost --transport starttls \
    --sasl PLAIN --users "$USERS" --arrival-rate "$ARRIVAL" --msg-rate 1 --msg-size "$SIZE" \
    --warmup 5 --duration "$((DURATION - 10))" --server-pid "$pid" --out "$RESULTS/parley-load-$name" --quiet \
    > "$RESULTS/parley-load-$name.txt"
}

# --- Prosody (15222 STARTTLS, 15223 direct TLS, 15280 WebSocket)
for i in $(seq 1 "$USERS"); do prosodyctl --config "$PROSODY_CFG" register "user$i" localhost "pass$i" >/dev/null 2>&1; done
prosody --config "$PROSODY_CFG" > "$DIR/prosody/stdout.log" 2>&1 &
PROSODY_PID=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/15222) 2>/dev/null && break; sleep 0.2; done
run_pair prosody 15222 "$PROSODY_PID"
kill "$PROSODY_PID"; wait "$PROSODY_PID" 2>/dev/null || true; PROSODY_PID=""

# --- ejabberd (16222 STARTTLS, 16223 direct TLS, 16280 WebSocket + HTTP API for provisioning)
sed "s|@DIR@|$EJ|g" "$HERE/ejabberd/ejabberd.yml.in" > "$EJ/ejabberd.yml"
cp "$HERE/ejabberd/ejabberdctl.cfg" "$EJ/"
touch "$EJ/inetrc"
chown -R ejabberd: "$EJ"
chmod 600 "$EJ/certs/localhost.pem"
"${EJCTL[@]}" start
"${EJCTL[@]}" started
for i in $(seq 1 "$USERS"); do
  curl -fsS -X POST http://127.0.0.1:16280/api/register \
    -d "{\"user\":\"user$i\",\"host\":\"localhost\",\"password\":\"pass$i\"}" >/dev/null
done
EJPID=$(pgrep -u ejabberd -f "beam.smp.*parley_compare" | head -1)
run_pair ejabberd 16222 "$EJPID"
"${EJCTL[@]}" stop >/dev/null; "${EJCTL[@]}" stopped >/dev/null || true

node "$HERE/summarize.mjs" "$RESULTS" prosody ejabberd | tee "$RESULTS/summary.md"
