#!/usr/bin/env bash
# Benchmark: `supzcli status` beside `supervisorctl status` on the same real supervisord (five
# running programs, as in the seed's failover log). Runs them interleaved, N rounds (default 31),
# and prints each median wall time and the ratio supzcli/supervisorctl (goal: <= 0.6).
#   bench/supzcli-status.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${1:-31}
[ -f dist/src/cli/supzcli.js ] || npx --no-install tsc -p tsconfig.json

DIR=$(mktemp -d /tmp/supha-bench.XXXXXX)
SV_PID=""
cleanup() {
  if [ -n "$SV_PID" ]; then kill "$SV_PID" 2>/dev/null || true; wait "$SV_PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

. "$(dirname "$0")/../scripts/lib/supervisord.sh"
mkdir -p "$DIR/state"
write_supervisord_conf "$DIR"
for name in BOBB2CServer BondSendStatisticsService ManageBackStageService RechareSuccForSms SmsSendService; do
  printf '[program:%s]\ncommand=/bin/sleep 100000\nautostart=true\nstartsecs=0\n' "$name" >"$DIR/conf.d/$name.conf"
done
cat >"$DIR/config.json" <<JSON
{ "project-name": "bench", "state-dir": "$DIR/state",
  "supervisor": { "server-url": "unix://$DIR/supervisor.sock", "registry-dirs": ["$DIR/conf.d"] } }
JSON
supervisord -n -c "$DIR/supervisord.conf" >"$DIR/supervisord.out" 2>&1 &
SV_PID=$!
for _ in $(seq 100); do
  supervisorctl -c "$DIR/supervisord.conf" status 2>/dev/null | grep -q 'SmsSendService *RUNNING' && break
  sleep 0.1
done

supz=(node "$ROOT/dist/src/cli/supzcli.js" --config "$DIR/config.json" status)
ctl=(supervisorctl -c "$DIR/supervisord.conf" status)
# Both must print the same thing before their times mean anything.
diff <("${supz[@]}" | sed 's/uptime .*//') <("${ctl[@]}" | sed 's/uptime .*//') >/dev/null || { echo "outputs differ" >&2; exit 1; }

# Node's own start-up, for scale: an empty ES module.
: >"$DIR/empty.mjs"
bare=(node "$DIR/empty.mjs")

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
a=() b=() c=()
for _ in $(seq "$ROUNDS"); do
  a+=("$(ms "${supz[@]}")")
  b+=("$(ms "${ctl[@]}")")
  c+=("$(ms "${bare[@]}")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ma=$(median "${a[@]}")
mb=$(median "${b[@]}")
mc=$(median "${c[@]}")
awk -v a="$ma" -v b="$mb" -v c="$mc" -v n="$ROUNDS" 'BEGIN {
  printf "supzcli status       median %7.1f ms  (%d runs)\n", a/1000, n
  printf "supervisorctl status median %7.1f ms  (%d runs)\n", b/1000, n
  printf "node, empty module   median %7.1f ms  (start-up floor: %.2f of supervisorctl)\n", c/1000, c/b
  printf "ratio supzcli/supervisorctl  %.2f  (goal <= 0.60)\n", a/b
}'
