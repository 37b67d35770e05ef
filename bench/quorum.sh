#!/usr/bin/env bash
# Builds and runs the quorum benchmark (root: it makes network namespaces and runs etcd).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
node dist/bench/quorum.js "${1:-20}"
