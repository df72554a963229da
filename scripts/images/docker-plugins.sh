#!/usr/bin/env bash
# Installs the Docker CLI plugins the stack needs, built from the Go module proxy where no Docker
# package ships them (Debian bookworm packages only the old Python docker-compose v1, a different
# program, and no buildx):
#   docker compose   github.com/docker/compose/v5 at COMPOSE_VERSION (versions.env)
#   docker buildx    github.com/docker/buildx at BUILDX_VERSION; compose builds through it (without
#                    it compose falls back to the classic builder: no RUN --mount, no $BUILDPLATFORM)
# into $TWIST_CACHE/docker-config/cli-plugins (default ~/.cache/twist/...), built once per machine
# and version, so a fresh clone on the same machine is warm.
#
#   scripts/images/docker-plugins.sh          build what is missing; prints "export DOCKER_CONFIG=..."
#   scripts/images/docker-plugins.sh --check  exit 1 when a plugin is missing, build nothing
# (bin/test starts it in the background on a new machine; a lock makes a second caller wait.)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
config="$cache/docker-config"
plugins="$config/cli-plugins"
mkdir -p "$plugins"
check_only=false
[[ "${1:-}" == --check ]] && check_only=true
$check_only || { exec 9>"$config/.build.lock"; flock 9; }

# build NAME VERSION MODULE PACKAGE VERSION_VARIABLE [excludes]
build() {
  local name="$1" version="$2" module="$3" package="$4" variable="$5" excludes="${6:-}"
  if [[ -x "$plugins/docker-$name" && "$(cat "$plugins/.docker-$name-version" 2>/dev/null)" == "$version" ]]; then
    return 0
  fi
  if $check_only; then exit 1; fi
  command -v go >/dev/null || { echo "docker-plugins.sh: Go $GO_VERSION is needed" >&2; exit 1; }
  echo "docker-plugins.sh: building docker $name $version from the Go module proxy (once per machine)" >&2
  local work
  work="$(mktemp -d)"
  # A scratch main module: `go install pkg@version` refuses a go.mod with exclude directives
  # (compose has some), so they are copied here, where they apply.
  (
    cd "$work"
    go mod init twist.local/plugin >/dev/null 2>&1
    [[ -z "$excludes" ]] || printf 'exclude (\n%s\n)\n' "$excludes" >>go.mod
    GOTOOLCHAIN=local GOFLAGS=-mod=mod go get "$module@$version" >&2
    GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$plugins/docker-$name.tmp" \
      -ldflags "-s -w -X $variable=$version" "$package" >&2
  ) || { rm -rf "$work"; exit 1; }
  rm -rf "$work"
  mv "$plugins/docker-$name.tmp" "$plugins/docker-$name"
  echo "$version" >"$plugins/.docker-$name-version"
}

build compose "$COMPOSE_VERSION" github.com/docker/compose/v5 github.com/docker/compose/v5/cmd \
  github.com/docker/compose/v5/internal.Version \
  $'\tgithub.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc\n\tgithub.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2'
build buildx "$BUILDX_VERSION" github.com/docker/buildx github.com/docker/buildx/cmd/buildx \
  github.com/docker/buildx/version.Version

$check_only && exit 0
# a config.json keeps the CLI from falling back to ~/.docker for settings it does not have
[[ -f "$config/config.json" ]] || echo '{}' >"$config/config.json"
echo "export DOCKER_CONFIG=$config"
