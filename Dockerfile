# syntax=docker/dockerfile:1
# kafka-healthz image: Node 24 LTS on distroless (no shell, no package manager), production
# dependencies only, non-root, and nothing written at run time, so it runs with a read-only root
# filesystem. test/deploy/dockerfile.test.ts lints this file and replays its steps without Docker.

ARG NODE_MAJOR=24

# Compile TypeScript with the dev dependencies; only dist/ leaves this stage.
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script to build; fewer moving parts.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies alone, from the same lock file.
FROM node:${NODE_MAJOR}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Then what no package needs at run time: tests, docs, examples, benchmarks, type declarations,
# TypeScript sources, source maps and markdown (licence files stay). 25.0 MB of node_modules in
# 3,264 files become 9.5 MB in 1,296 (BENCHMARKS.md, "Image").
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules -type d '(' -name test -o -name tests -o -name __tests__ -o -name docs -o -name benchmarks -o -name example -o -name examples -o -name .github ')' -prune -exec rm -rf {} + \
 && find node_modules -type f '(' -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' ')' ! -iname 'licen[cs]e*' -delete

FROM gcr.io/distroless/nodejs24-debian12:nonroot
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kafka-healthz" \
      org.opencontainers.image.description="Sidecar that turns Kafka broker and Kafka Connect health into HTTP 200/503 probes, Prometheus metrics and a status page" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/kafka-healthz/kafka-healthz" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs24-debian12:nonroot"
WORKDIR /app
# package.json: the version the agent reports (--version, build_info) is read from it.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
ENV NODE_ENV=production
# V8's young generation capped at 1 MiB per semi-space. Node 24 otherwise grows it with the
# allocation rate, up to 64 MiB per semi-space: under flapping checks the agent reached 194-220
# MiB RSS with 13 MiB of live heap, 103 MiB of it new space (BENCHMARKS.md, "Footprint"). The cap
# costs no measurable CPU on a 1.15 MB Connect body that changes every run. A pod sets its own
# NODE_OPTIONS to override it; the old space already follows the container's memory limit.
ENV NODE_OPTIONS="--max-semi-space-size=1"
# Numeric, so Kubernetes can verify runAsNonRoot without a passwd lookup.
USER 65532:65532
EXPOSE 18090
# Docker and Compose only (Kubernetes ignores HEALTHCHECK and uses the pod's probes): asks the
# running agent for /ping; the image has no curl, and re-running the checks would load the broker.
# Docker runs it with the container's environment but not its arguments: ping reads only
# HEALTHZ_HOST/HEALTHZ_PORT (defaults 0.0.0.0:18090), whatever configures the agent itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "/app/dist/cli.js", "ping"]
# Exec form: node is PID 1's only process and gets SIGTERM directly, so the drain runs.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
