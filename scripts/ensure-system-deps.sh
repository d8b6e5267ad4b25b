#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, if they are missing (tests/matrix, docs/clients.md):
#   python3-slixmpp, python3-aioxmpp — XMPP client libraries, run with /usr/bin/python3 (python3-aiohttp:
#   slixmpp's XEP-0363 upload client);
#   chromium — the headless browser for Converse.js and the admin console (never a browser downloaded by npm);
#   python3-icu — ICU's spoof checker, the reference libs/confusables is generated from and tested against;
#   profanity, tmux — the terminal client, driven through a tmux pane;
#   promtool (from Debian's prometheus package) — checks and unit-tests the alert rules in ops/.
#   prosody, ejabberd — private instances (own config, data directory, ports, Erlang node name; never
#   the system services) that the federation tests federate with (tests/s2s-prosody.test.ts,
#   tests/s2s-ejabberd.test.ts);
#   redis-server, nats-server, postgresql and openssl — tests/cluster starts private ones (a Redis it
#   kills, TLS-only servers with a test CA) next to the machine's shared servers, never instead of them.
# promtool is unpacked from the package into .tools/bin rather than installed: installing
# `prometheus` would also start a Prometheus server on port 9090 (the admin console's port) on
# machines whose init system starts services.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
/usr/bin/python3 -c 'import aioxmpp' 2>/dev/null || missing+=(python3-aioxmpp)
/usr/bin/python3 -c 'import aiohttp' 2>/dev/null || missing+=(python3-aiohttp)
/usr/bin/python3 -c 'import icu' 2>/dev/null || missing+=(python3-icu)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v profanity >/dev/null || missing+=(profanity)
command -v tmux >/dev/null || missing+=(tmux)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nats-server >/dev/null || missing+=(nats-server)
command -v openssl >/dev/null || missing+=(openssl)
command -v prosody >/dev/null || missing+=(prosody)
command -v ejabberdctl >/dev/null || missing+=(ejabberd)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
need_promtool=0
command -v promtool >/dev/null || [ -x .tools/bin/promtool ] || need_promtool=1
[ ${#missing[@]} -eq 0 ] && [ $need_promtool -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "run as root or install: apt-get install ${missing[*]} prometheus (for promtool)" >&2; exit 1
  fi
else SUDO=; fi
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages start system servers on 5222/5269 where an init system runs services: the tests
  # start their own, and a system one would hold the XMPP ports.
  for svc in prosody ejabberd; do
    if [[ " ${missing[*]} " == *" $svc "* ]] && command -v systemctl >/dev/null && systemctl is-active --quiet $svc 2>/dev/null; then
      $SUDO systemctl disable --now $svc
    fi
  done
fi
if [ $need_promtool -eq 1 ]; then
  echo "unpacking promtool from Debian's prometheus package into .tools/bin"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  chmod 777 "$tmp" # apt-get download runs as the _apt user where it can
  (cd "$tmp" && apt-get download -qq prometheus)
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p .tools/bin
  install -m 0755 "$tmp/x/usr/bin/promtool" .tools/bin/promtool
  .tools/bin/promtool --version | head -n1
fi
