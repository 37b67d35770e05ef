#!/usr/bin/env bash
# One agent, a service set of 500 programs and 200 blue/green nodes, for N minutes: takeovers,
# switches and releases in a loop, the agent's RSS, CPU and open fds sampled every second.
# Usage: scripts/soak.sh [--minutes N (10)] [--max-slope MB/min (1)] [--max-fd-growth N (5)] [--samples FILE]
# Prints the curve summary; exit 0 only when every step was clean and RSS and fds stayed in bounds.
# Needs root (a network namespace). See bench/soak.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/soak.js ] && [ -z "$(find src test bench -newer dist/bench/soak.js -name '*.ts' | head -1)" ] ||
  npx --no-install tsc -p tsconfig.json
exec node dist/bench/soak.js "$@"
