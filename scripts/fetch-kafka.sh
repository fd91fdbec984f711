#!/usr/bin/env bash
# Copies the jars of Apache Kafka VERSION (broker/controller, Kafka Connect worker, their
# dependencies and a logging backend) from Maven Central into .cache/kafka/VERSION/jars, for the
# tests in test/real. Idempotent: a folder whose .complete marker (written last) matches this
# script and test/real/pom.xml is left alone.
# Usage: scripts/fetch-kafka.sh 4.3.1 [3.9.2 ...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
  echo "usage: $0 KAFKA_VERSION..." >&2
  exit 2
fi

# The marker holds a digest of what decides the folder's content, so a changed pom refetches.
recipe=$(cat test/real/pom.xml scripts/fetch-kafka.sh | sha256sum | cut -d' ' -f1)

for version in "$@"; do
  dest=".cache/kafka/$version"
  if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$recipe" ]; then continue; fi
  case "$version" in
    3.*) profile=reload4j ;;
    *) profile=log4j2 ;;
  esac
  # Maven Central has connect-test-plugins for 3.9.0 only and connect-basic-auth-extension for
  # 3.9.0 and 3.9.1, not later 3.9.x: take the nearest published one (both only talk connect-api).
  case "$version" in
    3.9.*) plugins=3.9.0; basicauth=3.9.1 ;;
    *) plugins="$version"; basicauth="$version" ;;
  esac
  echo "fetching Apache Kafka $version jars from Maven Central into $dest/jars..." >&2
  rm -rf "$dest"
  mkdir -p "$dest"
  # A partial download leaves no marker, so the next run starts over.
  if ! mvn -q -B -f test/real/pom.xml -P "$profile" -Dkafka.version="$version" -Dtest-plugins.version="$plugins" -Dbasic-auth.version="$basicauth" -DincludeScope=runtime \
    dependency:copy-dependencies -DoutputDirectory="$PWD/$dest/jars" >"$dest/mvn.log" 2>&1; then
    cat "$dest/mvn.log" >&2
    echo "fetch-kafka: mvn could not resolve Apache Kafka $version" >&2
    exit 1
  fi
  for jar in "kafka_2.13-$version.jar" "connect-runtime-$version.jar" "connect-test-plugins-$plugins.jar" "connect-basic-auth-extension-$basicauth.jar"; do
    if [ ! -f "$dest/jars/$jar" ]; then
      echo "fetch-kafka: $jar missing after the download" >&2
      exit 1
    fi
  done
  echo "$recipe" >"$dest/.complete"
done
