#!/usr/bin/env bash
# Random faults on two network-namespace hosts (real supervisord, keepalived, rsync daemon and
# agent on each; mutual standby; Nginx blue/green on the first), with a checker of the
# invariants. Usage: scripts/chaos.sh [--rounds N] [--seed S] [--window-ms MS] [--failover-ms MS]
# Last line: "chaos: F faults, double-run D ms, none-run N ms, confs lost L, bad upstream U, seed S".
# Needs root (network namespaces). Exit 0 only when D, N, L and U are 0.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/test/chaos/main.js ] && [ -z "$(find src test -newer dist/test/chaos/main.js -name '*.ts' | head -1)" ] ||
  npx --no-install tsc -p tsconfig.json
exec node dist/test/chaos/main.js "$@"
