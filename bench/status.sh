#!/usr/bin/env bash
# Wall time of `supha status` beside `supervisorctl status` on the same real supervisord
# (20 programs, 10 running): medians of N runs each, and their ratio.
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
echo "{\"project-name\":\"bench\",\"supervisor\":{\"server-url\":\"unix://$DIR/supervisor.sock\"}}" > "$DIR/config.json"

median_ms() { # command... -> median wall ms over N runs
  local -a t=()
  for _ in $(seq "$N"); do
    local s e
    # 3 is the expected answer here (10 programs are not running); any other failure is not timed.
    local rc=0
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || rc=$?; e=$(date +%s%N)
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "$* failed (exit $rc): not timing a failure" >&2; exit 1; }
    t+=($(((e - s) / 1000)))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
ours=$(median_ms node dist/src/cli/supha.js status --config "$DIR/config.json")
theirs=$(median_ms supervisorctl -c "$DIR/supervisord.conf" status)
echo "supha status:         median ${ours} ms (N=$N)"
echo "supervisorctl status: median ${theirs} ms (N=$N)"
awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "ratio supha/supervisorctl: %.2f\n", a/b}'
