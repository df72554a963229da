#!/usr/bin/env bash
# Installs the `docker compose` CLI plugin (Compose v2+, module github.com/docker/compose/v5 at
# COMPOSE_VERSION from versions.env), built from the Go module proxy: Debian bookworm packages
# only the old Python docker-compose v1, which is a different program. The binary goes to
# $TWIST_CACHE/docker-config/cli-plugins/docker-compose (default ~/.cache/twist/...), built once
# per machine and version; point DOCKER_CONFIG at $TWIST_CACHE/docker-config to use it.
#
#   scripts/images/install-compose.sh          build if missing; prints "export DOCKER_CONFIG=..."
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
config="$cache/docker-config"
plugin="$config/cli-plugins/docker-compose"
stamp="$config/cli-plugins/.docker-compose-version"

if [[ ! -x "$plugin" || "$(cat "$stamp" 2>/dev/null)" != "$COMPOSE_VERSION" ]]; then
  command -v go >/dev/null || { echo "install-compose.sh: Go $GO_VERSION is needed" >&2; exit 1; }
  echo "install-compose.sh: building docker compose $COMPOSE_VERSION from the Go module proxy" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # A scratch main module: `go install pkg@version` refuses compose's go.mod (it has exclude
  # directives), so they are copied here, where they apply.
  (
    cd "$work"
    go mod init twist.local/compose >/dev/null 2>&1
    cat >>go.mod <<MOD
exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
MOD
    GOTOOLCHAIN=local GOFLAGS=-mod=mod go get "github.com/docker/compose/v5@$COMPOSE_VERSION" >&2
    mkdir -p "$(dirname "$plugin")"
    GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$plugin.tmp" \
      -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
      github.com/docker/compose/v5/cmd >&2
  )
  mv "$plugin.tmp" "$plugin"
  echo "$COMPOSE_VERSION" >"$stamp"
fi
# the CLI reads its plugins from $DOCKER_CONFIG/cli-plugins; a config.json keeps it from
# falling back to ~/.docker for credentials it does not have
[[ -f "$config/config.json" ]] || echo '{}' >"$config/config.json"
echo "export DOCKER_CONFIG=$config"
