#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, if they are missing:
#   python3-slixmpp — a real XMPP client library for the conversation tests;
#   chromium — the headless browser the admin console test drives (playwright-core never downloads one).
set -euo pipefail
missing=()
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "run as root or install: apt-get install ${missing[*]}" >&2; exit 1
  fi
else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
