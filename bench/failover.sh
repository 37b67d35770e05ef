#!/usr/bin/env bash
# Builds and runs the failover benchmark (root: it makes network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
node dist/bench/failover.js "${1:-5}"
