#!/usr/bin/env bash
# The whole test suite: type check, lint, build, then every tap test (unit, and integration
# against the mock cluster and the Connect stand-in) with coverage floors from .taprc, then the
# short soak, then the tests against real Apache Kafka and Kafka Connect (test/real) — on this
# machine's Node, and the tap suite again on Node 24, the image's Node (from the npm package node@24).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm run --silent lint
npm run --silent build
npx tap "$@"
# The short soak (npm run soak runs it for 10 minutes), alone, so nothing else competes for CPU.
npx tap --disable-coverage test/soak/soak.test.ts
# Real Kafka KRaft clusters and Connect workers (JVMs from the jars setup.sh fetched), once, on
# this Node only: one file at a time, each starting its own cluster per Kafka version. They test
# the built CLI in its own process, so they add nothing to coverage. Under CI=true a missing JVM
# or jar fails them; elsewhere they skip and say why.
npx tap --disable-coverage --jobs=1 --timeout=900 test/real/*.test.ts

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" != "24" ]; then
  node24=.cache/node24/node_modules/.bin/node
  if [ ! -x "$node24" ]; then
    npm install --prefix .cache/node24 --no-audit --no-fund --loglevel=error node@24 >/dev/null
  fi
  echo "# again on Node $("$node24" --version)"
  PATH="$PWD/.cache/node24/node_modules/.bin:$PATH" "$node24" node_modules/.bin/tap "$@"
fi
