#!/usr/bin/env bash
# Starts a 3-broker mock Kafka cluster and the agent beside broker 1, and prints what to try.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
exec npx tsx scripts/demo.ts "$@"
