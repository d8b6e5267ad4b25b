#!/usr/bin/env bash
# Installs the reference servers and tsung from Debian, then stops any service the packages auto-started
# so that nothing is left listening on the standard XMPP ports (5222/5223/5269/5280).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for p in ejabberd prosody tsung; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}" ca-certificates
fi
service ejabberd stop >/dev/null 2>&1 || true
service prosody stop >/dev/null 2>&1 || true
# Without an init system the packages' postinst may still have launched daemons: stop them by pid file.
for f in /run/prosody/prosody.pid /run/ejabberd/ejabberd.pid; do
  if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
done
echo "installed: $(dpkg-query -W -f='${Package} ${Version}\n' ejabberd prosody tsung | tr '\n' ';')"
