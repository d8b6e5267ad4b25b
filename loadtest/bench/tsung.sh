#!/usr/bin/env bash
# tsung's chat scenario against embedded Parley and Debian's ejabberd, back to back (issue 13 item 3,
# docs/benchmarks.md "Embedded Parley and ejabberd on tsung's chat scenario"): USERS users log in at
# ARRIVAL/s (STARTTLS + SASL PLAIN, bind, session, presence, roster), wait for the common start, then
# each sends MESSAGES stamped chats, one every THINK s, to a random online user
# (loadtest/tsung/chat.xml.in). Each server runs on private loopback ports with its own state directory
# (/tmp/parley-tsung), one after the other, and nothing is left running afterwards:
#   parley            `parley start` (embedded, PGlite) as configured by default: every message archived
#                     (PARLEY_ARCHIVE_DEFAULT_MODE=always, XEP-0313); ports 41222 (c2s), 41280 (HTTP)
#                     or the next free set of 41322, 41422, … (+1 TLS, +47..+49 s2s and components)
#   parley-noarchive  the same with PARLEY_ARCHIVE_DEFAULT_MODE=never (no archive for users without
#                     preferences, as ejabberd's mod_mam default `never`, and ejabberd here has no mod_mam)
#   ejabberd          Debian's ejabberd 23.01 with loadtest/compare/ejabberd/ejabberd.yml.in (no mod_mam),
#                     ports 42222 (c2s) and 42280 (HTTP API, used to create the accounts)
# A Parley name may end in =DIR to run the checkout at DIR instead of this one (A/B of code changes;
# DIR must be built: `npm run build`), e.g. `tsung.sh parley=/tmp/base parley ejabberd`, or in ~VARIANT
# to add the settings in the environment variable VARIANT_<VARIANT> (A/B of settings), e.g.
# `VARIANT_tf="PARLEY_EMBEDDED_DB_OPTIMIZE_WASM=true" tsung.sh parley parley~tf`.
# Server CPU is utime+stime (+ reaped children) of the server's whole process tree, read from
# /proc/<pid>/stat at the message phase's start (the common start time every tsung user waits for) and
# at its end (start + MESSAGES × THINK + DRAIN s): logins and closes fall outside the window. A 1 s
# series of the same counter is kept beside the results (<name>.cpu.tsv) to show the phase.
# Delivered = tsung's xmpp_msg_latency count (each received stamped chat); latency is tsung's mean and
# max of it; offered = USERS × MESSAGES (destination="online" skips a send only when nobody else is on).
# Usage: loadtest/bench/tsung.sh [parley] [parley-noarchive] [ejabberd] [NAME=DIR …]
#   (default: parley ejabberd parley-noarchive)
#   env: USERS=1000 MESSAGES=150 THINK=0.2 ARRIVAL=50 SIZE=64 DRAIN=3 OUT=loadtest/results/tsung-<time>
#        SERVER_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" for the Parley servers)
#        PARLEY_EXTRA_ENV (space-separated NAME=VALUE for the Parley servers)  DRY_RUN=1 (print the plan)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
servers=()
for a in "$@"; do
  case $a in
    -h | --help) usage; exit 0 ;;
    parley | parley-noarchive | ejabberd) servers+=("$a") ;;
    parley~* | parley-noarchive~*)
      v=VARIANT_${a#*~}
      [[ ${a#*~} =~ ^[A-Za-z0-9_]+$ ]] && [ -n "${!v:-}" ] || { echo "tsung.sh: $a needs settings in $v" >&2; exit 2; }
      servers+=("$a") ;;
    parley=* | parley-noarchive=*)
      [ -f "${a#*=}/services/cli/dist/parley.js" ] || { echo "tsung.sh: ${a#*=} has no built Parley (npm run build there)" >&2; exit 2; }
      servers+=("$a") ;;
    *) echo "tsung.sh: unknown server '$a' (parley, parley-noarchive, ejabberd, NAME=DIR; --help)" >&2; exit 2 ;;
  esac
done
[ ${#servers[@]} -gt 0 ] || servers=(parley ejabberd parley-noarchive)

USERS=${USERS:-1000} MESSAGES=${MESSAGES:-150} THINK=${THINK:-0.2} ARRIVAL=${ARRIVAL:-50} SIZE=${SIZE:-64} DRAIN=${DRAIN:-3}
for v in USERS MESSAGES ARRIVAL SIZE DRAIN; do
  [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "tsung.sh: $v must be a positive whole number, not '${!v}'" >&2; exit 2; }
done
[[ $THINK =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v t="$THINK" 'BEGIN { exit !(t > 0) }' ||
  { echo "tsung.sh: THINK must be a positive number of seconds, not '$THINK'" >&2; exit 2; }
[ "$USERS" -ge 2 ] || { echo "tsung.sh: USERS must be at least 2" >&2; exit 2; }
RAMP=$(((USERS + ARRIVAL - 1) / ARRIVAL))
PHASE_MS=$(awk -v m="$MESSAGES" -v t="$THINK" -v d="$DRAIN" 'BEGIN { printf "%d", (m * t + d) * 1000 }')
OUT=${OUT:-loadtest/results/tsung-$(date +%Y%m%d-%H%M%S)}
echo "tsung chat: servers ${servers[*]}; $USERS users at $ARRIVAL/s, $MESSAGES messages each every ${THINK}s" \
  "($(awk -v u="$USERS" -v t="$THINK" 'BEGIN { printf "%.0f", u / t }') msg/s offered), window $((PHASE_MS / 1000))s; results in $OUT"
[ "${DRY_RUN:-0}" = 1 ] && exit 0

DIR=/tmp/parley-tsung
mkdir -p "$OUT" "$DIR"
chmod 755 "$DIR"
OUT=$(cd "$OUT" && pwd)
HZ=$(getconf CLK_TCK)
PARLEY_ENV=(PARLEY_DOMAIN=localhost PARLEY_BIND_ADDRESS=127.0.0.1 PARLEY_LOG_LEVEL=warn PARLEY_SCRAM_ITERATIONS=4096
  PARLEY_ADMIN_PORT=0 PARLEY_LIMIT_EXEMPT_ADDRESSES=127.0.0.1)
# ejabberd's SCRAM iteration count is 4096 too, so PLAIN costs both servers the same PBKDF2 (outside the window).

# shellcheck source=lib.sh
source "$ROOT/loadtest/bench/lib.sh" # children, EJCTL, cleanup (on exit), wait_port

# tree_ticks PID: utime+stime+cutime+cstime (clock ticks) of PID and all its descendants now.
tree_ticks() {
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { keep[root] = 1
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) print p }')
  # shellcheck disable=SC2086
  (cd /proc && cat $(printf '%s/stat ' $pids) 2>/dev/null) | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}

# parley_ports: the first of 41222, 41322, … whose ports (+0 c2s, +1 TLS, +58 HTTP, +47..+49 s2s and
# components) nobody uses, not even as the local end of a connection (these lie in Linux's ephemeral range).
parley_ports() {
  local used base
  used=$(ss -Htan | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  for base in 41222 41322 41422 41522 41622 41722 41822; do
    local clash=0 p
    for p in $base $((base + 1)) $((base + 58)) $((base + 47)) $((base + 48)) $((base + 49)); do
      grep -qx "$p" <<<"$used" && clash=1
    done
    [ $clash = 1 ] || { echo "$base"; return 0; }
  done
  echo "tsung.sh: no free port set in 41222..41899" >&2; return 1
}

sleep_until() { # epoch ms
  local left=$(($1 - $(date +%s%3N)))
  [ "$left" -le 0 ] || sleep "$(awk -v l="$left" 'BEGIN { printf "%.3f", l / 1000 }')"
}

if [ ! -f "$DIR/certs/localhost.crt" ]; then
  mkdir -p "$DIR/certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -addext "subjectAltName=DNS:localhost" \
    -keyout "$DIR/certs/localhost.key" -out "$DIR/certs/localhost.crt" 2>/dev/null
fi

# drive NAME PORT PID: tsung against one server, the server tree's CPU read at the window's ends.
drive() {
  local name=$1 port=$2 pid=$3 start end linger
  # Sending starts 3 s (tsung's start-up) + 2 × RAMP + 2 s from now: after the last login, even when logins
  # run at half the arrival rate (PBKDF2 and TLS handshakes are CPU-bound on both servers). The arrival
  # phase is given 2 × RAMP + 1 s (tsung launches fewer than maxnumber users in a phase cut to the bone)
  # and ends when the last of USERS has arrived.
  start=$(($(date +%s%3N) + (RAMP * 2 + 5) * 1000))
  end=$((start + PHASE_MS))
  linger=$((DRAIN + 5))
  sed -e "s/@HOST@/127.0.0.1/; s/@PORT@/$port/; s/@DOMAIN@/localhost/; s/@USERS@/$USERS/g" \
    -e "s/@ARRIVAL@/$ARRIVAL/; s/@RAMP@/$((2 * RAMP + 1))/g; s/@MESSAGES@/$MESSAGES/; s/@SIZE@/$SIZE/" \
    -e "s/@THINK@/$THINK/g; s/@LINGER@/$linger/; s/@START@/$start/g" \
    "$ROOT/loadtest/tsung/chat.xml.in" > "$OUT/$name.xml"
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/$name.loadavg"
  echo "== $name: tsung on port $port (load average $(cat "$OUT/$name.loadavg"))"
  rm -rf "$OUT/$name.tsung"
  (cd "$OUT" && /usr/bin/time -f '%U %S' -o "$OUT/$name.tsung-time" tsung -f "$OUT/$name.xml" -l "$OUT/$name.tsung" start) \
    > "$OUT/$name.tsung-out" 2>&1 &
  local tsung_pid=$!
  (while kill -0 "$tsung_pid" 2>/dev/null; do echo "$(date +%s%3N) $(tree_ticks "$pid")"; sleep 1; done) > "$OUT/$name.cpu.tsv" &
  local series=$!
  sleep_until "$start"
  local before after
  before=$(tree_ticks "$pid")
  sleep_until "$end"
  after=$(tree_ticks "$pid")
  echo "$start $end $before $after $HZ" > "$OUT/$name.window"
  wait "$tsung_pid" || echo "tsung.sh: tsung exited $? against $name (see $OUT/$name.tsung-out)" >&2
  wait "$series" 2>/dev/null || true
  cut -d' ' -f1-3 /proc/loadavg >> "$OUT/$name.loadavg"
}

run_parley() { # NAME [CHECKOUT]
  local name=$1 checkout=${2:-$ROOT} data env
  data=$(mktemp -d "$DIR/parley-data.XXXXXX")
  local port
  port=$(parley_ports)
  env=("${PARLEY_ENV[@]}" PARLEY_DATA_DIR="$data" PARLEY_C2S_PORT="$port" PARLEY_C2S_TLS_PORT=$((port + 1)) PARLEY_HTTP_PORT=$((port + 58))
    PARLEY_S2S_PORT=$((port + 47)) PARLEY_S2S_TLS_PORT=$((port + 48)) PARLEY_COMPONENT_PORT=$((port + 49)))
  local base=${name%%[=~]*} variant=
  [ "$base" != parley-noarchive ] || env+=(PARLEY_ARCHIVE_DEFAULT_MODE=never)
  [[ $name != *~* ]] || variant=VARIANT_${name#*~}
  # shellcheck disable=SC2206
  env+=(${PARLEY_EXTRA_ENV:-} ${variant:+${!variant}})
  local label=${name//[=\/~]/_}
  # shellcheck disable=SC2086
  env "${env[@]}" node ${SERVER_NODE_FLAGS:-} "$checkout/services/cli/bin/parley.js" start > "$OUT/$label.log" 2>&1 &
  local pid=$!
  children+=("$pid")
  for _ in $(seq 1 300); do [ -S "$data/admin.sock" ] && break; sleep 0.2; done
  env "${env[@]}" node "$checkout/services/cli/bin/parley.js" user bulk --count "$USERS" \
    --user-pattern 'user%d' --password-pattern 'pass%d' >/dev/null
  wait_port "$port"
  drive "$label" "$port" "$pid"
  cleanup
  rm -rf "$data"
}

run_ejabberd() {
  local ej=$DIR/ejabberd src=$ROOT/loadtest/compare/ejabberd
  rm -rf "$ej"
  mkdir -p "$ej/certs" "$ej/spool" "$ej/logs"
  # The cross-check's configuration on this script's ports, without its direct-TLS listener.
  sed -e "s|@DIR@|$ej|g; s/16222/42222/; s/16280/42280/" -e '/- port: 16223/,/access: c2s/d' "$src/ejabberd.yml.in" > "$ej/ejabberd.yml"
  sed 's/^ERLANG_NODE=.*/ERLANG_NODE=parley_tsung@localhost/' "$src/ejabberdctl.cfg" > "$ej/ejabberdctl.cfg"
  touch "$ej/inetrc"
  cat "$DIR/certs/localhost.key" "$DIR/certs/localhost.crt" > "$ej/certs/localhost.pem"
  chown -R ejabberd: "$ej"
  chmod 600 "$ej/certs/localhost.pem"
  EJCTL=(ejabberdctl --config-dir "$ej" --config "$ej/ejabberd.yml" --ctl-config "$ej/ejabberdctl.cfg" --logs "$ej/logs" --spool "$ej/spool")
  "${EJCTL[@]}" start
  "${EJCTL[@]}" started
  wait_port 42280
  seq 1 "$USERS" | xargs -P 4 -I{} curl -fsS -X POST http://127.0.0.1:42280/api/register \
    -d '{"user":"user{}","host":"localhost","password":"pass{}"}' -o /dev/null
  local pid
  pid=$(pgrep -u ejabberd -f 'beam.smp.*parley_tsung' | head -1)
  drive ejabberd 42222 "$pid"
  cleanup
}

bash "$ROOT/loadtest/compare/install.sh" >/dev/null
labels=()
for s in "${servers[@]}"; do
  case $s in
    ejabberd) run_ejabberd ;;
    *=*) run_parley "$s" "${s#*=}" ;;
    *) run_parley "$s" ;;
  esac
  labels+=("${s//[=\/~]/_}")
done
node "$ROOT/loadtest/bench/tsung-summary.mjs" "$OUT" "$USERS" "$MESSAGES" "${labels[@]}" | tee "$OUT/summary.md"
