#!/usr/bin/env bash
# The whole story on two hosts (network namespaces on this machine), built from the shipped
# mutual-standby examples: conf/node-a.json and node-b.json, keepalived/node-a.conf and
# node-b.conf, supervisor/supervisord.conf.example and supha-listener.conf,
# conf/rsyncd.conf.example, their paths moved under a temp folder per host. Each host runs
# supervisord, keepalived, rsync --daemon and supha agent; node-a also Nginx with the seed's
# blue/green layout. Steps: the sets run on their preferred hosts; `supzcli stop` on A reaches B;
# A is cut off and B takes over; A comes back; a blue/green switch under load; a broken release
# rolled back by itself; the status page's screenshot. Ends with a summary table.
# Usage: scripts/demo.sh [--no-screenshot] [--screenshot PATH]   (as root, on Debian 12)
# Leaves nothing behind, also when interrupted (Ctrl-C, SIGTERM): the namespaces, every process
# in them and the temp folder go; only the screenshot stays (default /tmp/supha-demo-status.png).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 2; }
./scripts/setup.sh >/dev/null
DEMO=$(mktemp -d /tmp/supha-demo.XXXXXX)
PREFIX="sd$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
child=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null || true
  fi
  # A demo killed hard leaves its namespaces: end what runs in them (all started here), delete them.
  for ns in $(ip netns list | awk -v p="$PREFIX-" 'index($1, p) == 1 {print $1}'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$DEMO"
  left=$(ip netns list | awk -v p="$PREFIX-" 'index($1, p) == 1 {print $1}')
  if [ -n "$left" ] || [ -e "$DEMO" ]; then
    echo "demo: left behind: ${left} ${DEMO}" >&2
    rc=1
  else
    echo "left behind: nothing (namespaces $PREFIX-*, their processes and $DEMO are gone)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# TMPDIR: every temp folder the demo's helpers (and Chromium) make is inside $DEMO.
TMPDIR="$DEMO" node dist/test/demo/main.js --dir "$DEMO" --prefix "$PREFIX" "$@" &
child=$!
wait "$child"
