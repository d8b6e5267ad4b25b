# Shared by the bench scripts that start servers (muc.sh, tsung.sh); source it after `set -euo pipefail`.
# children: pids the script started, stopped on exit newest first, each gone before the next (edges and
# actors before the NATS and Redis they use). EJCTL: the ejabberdctl command line while ejabberd runs.
children=()
EJCTL=()
cleanup() {
  if [ ${#EJCTL[@]} -gt 0 ]; then "${EJCTL[@]}" stop >/dev/null 2>&1 || true; "${EJCTL[@]}" stopped >/dev/null 2>&1 || true; EJCTL=(); fi
  for ((i = ${#children[@]} - 1; i >= 0; i--)); do
    kill -TERM "${children[i]}" 2>/dev/null || true
    wait "${children[i]}" 2>/dev/null || true
  done
  children=()
}
trap cleanup EXIT

wait_port() { # port [tries]: wait (up to 60 s by default) until something listens on 127.0.0.1:port
  for _ in $(seq 1 "${2:-300}"); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  echo "$(basename "$0"): nothing listens on port $1" >&2; return 1
}
