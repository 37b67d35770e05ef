#!/usr/bin/env bash
# Shows supha working on this machine with nothing else to set up: a real supervisord in a temp
# dir, supha driving it. Each part of supha adds a section in scripts/demo.d/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
ROOT=$(pwd)
DEMO=$(mktemp -d /tmp/supha-demo.XXXXXX)
export ROOT DEMO
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  # Wait for them (supervisord stops its children first), at most 15 s.
  for pid in "${pids[@]:-}"; do
    for _ in $(seq 150); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$DEMO"
}
trap cleanup EXIT
supha() { node "$ROOT/dist/src/cli/supha.js" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export -f supha say

# A supervisord of our own, with a registry (conf.d) of two demo programs.
. "$ROOT/scripts/lib/supervisord.sh"
mkdir -p "$DEMO/state"
write_supervisord_conf "$DEMO"
for name in billing mailer; do
  printf '[program:%s]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\n' "$name" > "$DEMO/conf.d/$name.conf"
done
supervisord -n -c "$DEMO/supervisord.conf" >"$DEMO/supervisord.out" 2>&1 & pids+=($!)
SUPERVISORD_PID=${pids[-1]}
export SUPERVISORD_PID
for _ in $(seq 50); do [ -S "$DEMO/supervisor.sock" ] && break; sleep 0.1; done

cat > "$DEMO/config.json" <<JSON
{
  "project-name": "demo",
  "state-dir": "$DEMO/state",
  "runtime-dir": "$DEMO/runtime",
  "supervisor": { "server-url": "unix://$DEMO/supervisor.sock", "registry-dirs": ["$DEMO/conf.d"] }
}
JSON
export SUPHA_CONFIG="$DEMO/config.json"

say "supha config check"
supha config check

say "a broken config is refused with every problem named (exit 2)"
echo '{"project-name":"demo","supervisor":{"timeout-ms":"10","regstry-dirs":[]},"nginx":{"upstream-conf-path":3}}' > "$DEMO/broken.json"
supha config check --config "$DEMO/broken.json" || echo "(exit $?)"

say "supha status (the supervisorctl layout), then --json"
supervisorctl -c "$DEMO/supervisord.conf" start billing >/dev/null
supha status
supha status --json

for part in "$ROOT"/scripts/demo.d/*.sh; do
  [ -e "$part" ] || continue
  # shellcheck source=/dev/null
  source "$part"
done

say "done"
