#!/usr/bin/env bash
# Starts a 3-broker mock Kafka cluster and the agent beside broker 1, and prints what to try.
# With --real: a real Apache Kafka KRaft cluster and Connect worker instead (JVMs, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
if [ "${1:-}" = "--real" ]; then
  shift
  exec npx tsx scripts/demo-real.ts "$@"
fi
exec npx tsx scripts/demo.ts "$@"
