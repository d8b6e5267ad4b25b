#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, if they are missing (tests/matrix, docs/clients.md):
#   python3-slixmpp, python3-aioxmpp — XMPP client libraries, run with /usr/bin/python3;
#   chromium — the headless browser that runs Converse.js (never a browser downloaded by npm);
#   profanity, tmux — the terminal client, driven through a tmux pane.
set -euo pipefail
missing=()
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
/usr/bin/python3 -c 'import aioxmpp' 2>/dev/null || missing+=(python3-aioxmpp)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v profanity >/dev/null || missing+=(profanity)
command -v tmux >/dev/null || missing+=(tmux)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "run as root or install: apt-get install ${missing[*]}" >&2; exit 1
  fi
else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
