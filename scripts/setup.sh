#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian/Ubuntu machine, and nothing that
# is already there: librdkafka-dev and a C compiler (for the mock Kafka cluster), openssl (for
# throwaway test certificates), promtool from the prometheus package (checks the alert rules and
# a live /metrics), a Java runtime >= 17 and Maven (real Kafka and Kafka Connect for test/real),
# actionlint (lints .github/workflows; built with Go into .cache/bin when Go is on the machine),
# then the npm packages from package-lock.json and the Kafka jars from Maven Central
# (scripts/fetch-kafka.sh). Node.js >= 20.18 is the one prerequisite.
set -euo pipefail
cd "$(dirname "$0")/.."

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'
}
if ! node_ok; then
  echo "kafka-healthz needs Node.js >= 20.18 (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ] || ! command -v cc >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing librdkafka-dev and a C compiler (mock Kafka cluster), openssl (test certificates) and prometheus (promtool)..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends librdkafka-dev gcc libc6-dev openssl prometheus >/dev/null
fi

# Kafka >= 4.0 needs Java 17 for brokers, controllers and Connect.
java_ok() {
  command -v java >/dev/null 2>&1 &&
    [ "$(java -XshowSettings:properties -version 2>&1 | sed -nE 's/^ *java\.specification\.version = ([0-9]+).*/\1/p')" -ge 17 ] 2>/dev/null
}
if ! java_ok || ! command -v mvn >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing a Java 17 runtime and Maven (real Kafka and Kafka Connect for test/real)..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless maven >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# actionlint, a Go program: built from the Go module proxy into the git-ignored .cache/bin, at the
# version test/deploy/release.test.ts expects. Without Go it is skipped here; the test then skips
# outside CI and fails under CI=true, so a CI machine without it cannot pass silently.
ACTIONLINT_VERSION=v1.7.12
if [ "$(.cache/bin/actionlint -version 2>/dev/null | head -n 1)" != "$ACTIONLINT_VERSION" ]; then
  if command -v go >/dev/null 2>&1; then
    echo "installing actionlint $ACTIONLINT_VERSION into .cache/bin..." >&2
    mkdir -p .cache/bin
    GOBIN="$PWD/.cache/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  else
    echo "no Go toolchain: actionlint not installed (the workflow lint test will skip, or fail under CI=true)" >&2
  fi
fi

# The Kafka versions test/real runs against, one a line.
# shellcheck disable=SC2046
bash scripts/fetch-kafka.sh $(cat test/real/kafka-versions)
