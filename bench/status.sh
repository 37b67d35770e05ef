#!/usr/bin/env bash
# Wall time of `supha status` beside `supzcli status`, `supervisorctl status` and an empty node
# script (the start-up floor), on the same real supervisord (20 programs, 10 running), the runs
# interleaved: medians of N runs each, and the ratios. The config has a service set and no agent
# runs (supha status asks the control socket too, and says it does not answer).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-21}
DIR=$(mktemp -d /tmp/supha-bench.XXXXXX)
cleanup() { [ -n "${SVPID:-}" ] && kill "$SVPID" 2>/dev/null; sleep 0.3; rm -rf "$DIR"; }
trap cleanup EXIT
. scripts/lib/supervisord.sh
write_supervisord_conf "$DIR"
for i in $(seq -w 1 20); do
  auto=false; [ $((10#$i % 2)) -eq 0 ] && auto=true
  printf '[program:p%s]\ncommand=/bin/sleep 100000\nautostart=%s\nstartsecs=0\n' "$i" "$auto" > "$DIR/conf.d/p$i.conf"
done
supervisord -n -c "$DIR/supervisord.conf" >/dev/null 2>&1 &
SVPID=$!
# Ready when the ten autostart programs run (a condition, not a fixed sleep).
for _ in $(seq 100); do
  [ "$(supervisorctl -c "$DIR/supervisord.conf" status 2>/dev/null | grep -c RUNNING)" -eq 10 ] && break
  sleep 0.1
done
echo "{\"project-name\":\"bench\",\"state-dir\":\"$DIR/state\",\"supervisor\":{\"server-url\":\"unix://$DIR/supervisor.sock\",\"registry-dirs\":[]},\"ha\":{\"service-sets\":{\"app\":{\"vrrp-instance\":\"VI_1\",\"registry\":\"$DIR/conf.d\"}}}}" > "$DIR/config.json"
: > "$DIR/empty.mjs"

# One run's wall time in µs. 3 is the expected answer of a status here (programs not running);
# any other failure is not timed as if it worked.
ms() {
  local s e rc=0
  s=$(date +%s%N); "$@" >/dev/null 2>&1 || rc=$?; e=$(date +%s%N)
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "$* failed (exit $rc): not timing a failure" >&2; exit 1; }
  echo $(((e - s) / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }
a=() b=() c=() d=()
for _ in $(seq "$N"); do
  a+=("$(ms node dist/src/cli/supha.js status --config "$DIR/config.json")") || exit 1
  b+=("$(ms node dist/src/cli/supzcli.js --config "$DIR/config.json" status)") || exit 1
  c+=("$(ms supervisorctl -c "$DIR/supervisord.conf" status)") || exit 1
  d+=("$(ms node "$DIR/empty.mjs")") || exit 1
done
ours=$(printf '%s\n' "${a[@]}" | median)
supz=$(printf '%s\n' "${b[@]}" | median)
theirs=$(printf '%s\n' "${c[@]}" | median)
floor=$(printf '%s\n' "${d[@]}" | median)
echo "supha status:         median ${ours} ms (N=$N)"
echo "supzcli status:       median ${supz} ms (N=$N)"
echo "supervisorctl status: median ${theirs} ms (N=$N)"
echo "node, empty module:   median ${floor} ms (N=$N)"
awk -v a="$ours" -v b="$theirs" -v s="$supz" -v f="$floor" 'BEGIN {printf "ratio supha/supervisorctl: %.2f (goal <= 0.60); supzcli/supervisorctl: %.2f; floor/supervisorctl: %.2f\n", a/b, s/b, f/b}'
