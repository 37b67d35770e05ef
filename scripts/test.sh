#!/usr/bin/env bash
# The whole check: set-up, lint and format, type check (the build), every test on real parts.
# Ends with node's test runner summary and a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

echo "== lint (biome)"
npx --no-install biome check src test bench
lint=$?
echo "== import cycles"
node scripts/cycles.mjs src test bench || lint=1
echo "== type check"
npx --no-install tsc -p tsconfig.json --noEmit
types=$?

echo "== tests"
shopt -s globstar nullglob
files=(dist/test/**/*.test.js)
tap=$(mktemp)
node --test --test-concurrency=2 --test-timeout=300000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}"
tests=$?
# A reduced chaos run: 20 faults with a fixed seed on two namespace hosts (scripts/chaos.sh).
echo "== chaos (20 faults, seed 20261202)"
./scripts/chaos.sh --rounds 20 --seed 20261202 | tail -15
chaos=${PIPESTATUS[0]}
passed=$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')
rm -f "$tap"
passed=${passed:-0}
failed=${failed:-0}
[ $lint -eq 0 ] || { echo "lint failed"; failed=$((failed + 1)); }
[ $types -eq 0 ] || { echo "type check failed"; failed=$((failed + 1)); }
[ $tests -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
[ "$chaos" -eq 0 ] || { echo "chaos failed"; failed=$((failed + 1)); }
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
