#!/usr/bin/env bash
# The whole test suite: type check, lint, build, then every tap test (unit and integration
# against the mock cluster) with coverage floors from .taprc.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm run --silent lint
npm run --silent build
npx tap "$@"
