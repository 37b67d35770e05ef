#!/usr/bin/env bash
# Builds and runs the 500-program scale benchmark (root: it makes a network namespace).
#   bench/scale.sh [ROUNDS (3)] [IDLE_SECONDS (25)]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
node dist/bench/scale.js "${1:-3}" "${2:-25}"
