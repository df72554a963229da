#!/usr/bin/env bash
# Builds Alertmanager (+ amtool) and, with --server, the Prometheus server from the Go module
# proxy at the versions in versions.env, into the same per-machine cache as
# scripts/cluster/build-k8s.sh (outside the repository, keyed by version, complete when .done
# exists, so a second run builds nothing):
#
#   $TWIST_CACHE/alertmanager/<ALERTMANAGER_VERSION>/     alertmanager amtool
#   $TWIST_CACHE/prometheus/<PROMETHEUS_MODULE_VERSION>/  prometheus   (--server only)
#
# The Prometheus server is the same module version promtool is built from
# (observability/scripts/install-tools.sh), so most of its packages come from Go's build cache
# when promtool was built on the machine. Without the `builtinassets` build tag the server has no
# web UI assets; its HTTP API (/api/v1/*, /-/ready), scraping, rules and alerting are complete.
# Used by install-tools.sh (amtool for `amtool check-config` in bin/test observability) and by
# scripts/rehearsal/alerting.sh (both servers, as processes beside the rehearsal cluster).
# Prints the directories.
#
#   bash observability/scripts/build-alerting.sh [--server]
#   bash observability/scripts/build-alerting.sh --check   # exit 1 when Alertmanager or the
#                                                          # server is missing; builds nothing
# (bin/test starts `--server` in the background on a new machine; a lock makes a second caller wait.)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
log() { echo "build-alerting: $(date -u +%H:%M:%S) $*" >&2; }
if [[ "${1:-}" == --check ]]; then
  [[ -f "$cache/alertmanager/$ALERTMANAGER_VERSION/.done" && -f "$cache/prometheus/$PROMETHEUS_MODULE_VERSION/.done" ]]
  exit
fi
command -v go >/dev/null || { log "go is required"; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/.build-alerting.lock"
flock 9
# the same flags as promtool's `go install` (tools_go_build in bin/lib/tools.sh), so the build cache is shared
export GOFLAGS="-mod=mod -buildvcs=false"

# build DIR MODULE VERSION NAME=PACKAGE...: a throw-away main module requiring MODULE@VERSION (the
# upstream go.mod's replace directives do not apply to a dependency), each PACKAGE built as NAME
build() {
  local dir="$1" mod="$2" ver="$3" started work spec moddir
  shift 3
  [[ -f "$dir/.done" ]] && { echo "$dir"; return 0; }
  started=$(date +%s)
  work="$(mktemp -d)"
  log "building $mod $ver into $dir"
  (cd "$work" && go mod init twist.local/build >/dev/null 2>&1 && go mod edit -require="$mod@$ver")
  moddir="$(cd "$work" && go mod download -json "$mod@$ver" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  if [[ -f "$moddir/ui/web.go" ]] && grep -q '^//go:embed app/dist' "$moddir/ui/web.go"; then
    # Alertmanager's web UI (ui/app/dist) is built by npm + Elm in its release process and is not
    # in the module zip, so `//go:embed app/dist` finds nothing. The build uses a copy of the
    # module whose ui/web.go lacks that one line (go.mod replace to the copy; Go refuses -overlay
    # inside GOMODCACHE): the UI serves nothing; the API (/api/v2), routing, grouping,
    # inhibition and every notifier are the released code, unchanged.
    cp -r "$moddir" "$work/src" && chmod -R u+w "$work/src"
    sed -i '/^\/\/go:embed app\/dist/d' "$work/src/ui/web.go"
    (cd "$work" && go mod edit -replace="$mod=./src")
  fi
  mkdir -p "$dir"
  for spec in "$@"; do
    # version.Version etc. as the upstream Makefile sets them (shown by --version and build_info)
    (cd "$work" && go build -trimpath -ldflags "-s -w \
      -X github.com/prometheus/common/version.Version=${ver#v} \
      -X github.com/prometheus/common/version.Branch=module-proxy \
      -X github.com/prometheus/common/version.BuildUser=twist" -o "$dir/${spec%%=*}" "${spec#*=}")
  done
  rm -rf "$work"
  echo "built in $(( $(date +%s) - started ))s on $(date -u +%FT%TZ)" >"$dir/.done"
  log "$mod $ver built in $(( $(date +%s) - started ))s"
  echo "$dir"
}

build "$cache/alertmanager/$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager "$ALERTMANAGER_VERSION" \
  alertmanager=github.com/prometheus/alertmanager/cmd/alertmanager \
  amtool=github.com/prometheus/alertmanager/cmd/amtool
if [[ "${1:-}" == --server ]]; then
  build "$cache/prometheus/$PROMETHEUS_MODULE_VERSION" github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION" \
    prometheus=github.com/prometheus/prometheus/cmd/prometheus
fi
