#!/usr/bin/env bash
# Builds the Kubernetes components of the rehearsal cluster from the Go module proxy, at the
# versions in versions.env, into a per-machine cache OUTSIDE the repository, keyed by version:
#
#   $TWIST_CACHE/k8s/<KUBERNETES_VERSION>/  kube-apiserver kube-controller-manager kube-scheduler
#                                           kubelet kube-proxy kubectl
#   $TWIST_CACHE/etcd/<ETCD_VERSION>/       etcd
#   $TWIST_CACHE/coredns/<COREDNS_VERSION>/ coredns
#   $TWIST_CACHE/rclone/<RCLONE_VERSION>/   rclone   (the S3 server of the backup rehearsal)
#
# TWIST_CACHE defaults to ~/.cache/twist. A directory is complete when its .done stamp exists,
# so a second run (or a fresh clone on the same machine) builds nothing. Prints the directories.
# Why from source: no image registry or GitHub download is reachable on this machine kind, and
# k3s is not a Go module (docs/rehearsal.md). Cold: ~25-30 min on 2 busy cores.
#
#   bash scripts/cluster/build-k8s.sh          # build what is missing
#   bash scripts/cluster/build-k8s.sh --check  # exit 1 when something is missing, build nothing
#
# bin/test starts it in the background at low priority when the rehearsal is among its parts and
# something is missing (a new machine), so the build uses CPU the earlier parts leave idle; a lock
# makes a second caller wait for the first instead of building the same thing twice.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
log() { echo "build-k8s: $(date -u +%H:%M:%S) $*" >&2; }
check_only=false
[[ "${1:-}" == --check ]] && check_only=true
missing=0
command -v go >/dev/null || { log "go is required"; exit 1; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod
if ! $check_only; then
  mkdir -p "$cache"
  exec 9>"$cache/.build-k8s.lock"
  flock 9
fi

# scratch DIR MODULE VERSION: a throw-away main module that requires MODULE@VERSION. The upstream
# go.mod's replace directives do not apply to a dependency, which is what lets `go build` work.
scratch() {
  local dir="$1" mod="$2" ver="$3"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init twist.local/build >/dev/null 2>&1 && go mod edit -require="$mod@$ver")
}

k8s_dir="$cache/k8s/$KUBERNETES_VERSION"
if [[ ! -f "$k8s_dir/.done" ]] && $check_only; then
  missing=1
elif [[ ! -f "$k8s_dir/.done" ]]; then
  log "building Kubernetes $KUBERNETES_VERSION into $k8s_dir"
  started=$(date +%s)
  work="$cache/build/k8s-$KUBERNETES_VERSION"
  scratch "$work" k8s.io/kubernetes "$KUBERNETES_VERSION"
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  # kubernetes' own go.mod replaces each staging module by ./staging/src/k8s.io/<name>; the proxy
  # serves the same module at v0.<minor>.<patch>.
  staging_ver="v0.${KUBERNETES_VERSION#v1.}"
  replaces=()
  while read -r m; do replaces+=("-replace=$m=$m@$staging_ver"); done < <(
    sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\) => \./staging/.*#\1#p' "$gomod" | sort -u)
  [[ ${#replaces[@]} -gt 10 ]] || { log "no staging replaces found in $gomod"; exit 1; }
  (cd "$work" && go mod edit "${replaces[@]}")
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  mkdir -p "$k8s_dir.tmp"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    t=$(date +%s)
    (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$k8s_dir.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd")
    log "  $cmd built in $(( $(date +%s) - t ))s"
  done
  rm -rf "$k8s_dir" && mv "$k8s_dir.tmp" "$k8s_dir"
  echo "built in $(( $(date +%s) - started ))s on $(date -u +%FT%TZ)" >"$k8s_dir/.done"
  log "Kubernetes $KUBERNETES_VERSION built in $(( $(date +%s) - started ))s"
fi

# one_binary NAME MODULE VERSION MAIN [LDFLAGS]: builds NAME from MODULE@VERSION with MAIN as the
# main package's source: only the parts of the program the cluster uses are compiled (upstream's
# own main imports every plugin or backend; the ones named below are upstream's, unchanged). The
# main source is part of the cache key (in .done), so changing it rebuilds.
one_binary() {
  local name="$1" mod="$2" ver="$3" main="$4" dir="$cache/$1/$3" key
  key="main $(printf '%s' "$main" | sha256sum | cut -c1-16)"
  [[ -f "$dir/.done" ]] && grep -qx "$key" "$dir/.done" && return 0
  if $check_only; then missing=1; return 0; fi
  local started work
  started=$(date +%s); work="$cache/build/$name-$ver"
  log "building $name $ver"
  scratch "$work" "$mod" "$ver"
  printf '%s\n' "$main" >"$work/main.go"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$work" && go build -trimpath -ldflags "-s -w ${5:-}" -o "$dir/$name" .)
  printf 'built in %ss on %s\n%s\n' "$(( $(date +%s) - started ))" "$(date -u +%FT%TZ)" "$key" >"$dir/.done"
  log "$name $ver built in $(( $(date +%s) - started ))s"
}

one_binary etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" '// etcd: upstream main, unchanged.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }'

# CoreDNS with the plugins the cluster's Corefile names (scripts/cluster/local.sh) and no others:
# the supported way to choose plugins at compile time (https://coredns.io/manual/toc/#plugins,
# "compile-time" plugin selection); upstream's full set adds the cloud DNS SDKs to the build.
one_binary coredns github.com/coredns/coredns "$COREDNS_VERSION" '// CoreDNS for the rehearsal cluster.
package main

import (
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() { coremain.Run() }'

# rclone with the S3 and local backends and the commands the backup CronJob, the restore Job and
# the rehearsal's S3 server run (charts/twist-data/templates/backup.yaml, including the `serve http`
# that shows the backup's outcome to Prometheus, and scripts/rehearsal/backup.sh);
# upstream's main imports every backend (about 70) and command.
one_binary rclone github.com/rclone/rclone "$RCLONE_VERSION" '// rclone for the backup rehearsal.
package main

import (
	_ "github.com/rclone/rclone/backend/local"
	_ "github.com/rclone/rclone/backend/s3"
	"github.com/rclone/rclone/cmd"
	_ "github.com/rclone/rclone/cmd/copy"
	_ "github.com/rclone/rclone/cmd/copyto"
	_ "github.com/rclone/rclone/cmd/delete"
	_ "github.com/rclone/rclone/cmd/lsf"
	_ "github.com/rclone/rclone/cmd/lsl"
	_ "github.com/rclone/rclone/cmd/serve"
	_ "github.com/rclone/rclone/cmd/serve/http"
	_ "github.com/rclone/rclone/cmd/serve/s3"
	_ "github.com/rclone/rclone/cmd/version"
)

func main() { cmd.Main() }' "-X github.com/rclone/rclone/fs.Version=$RCLONE_VERSION"

if $check_only; then exit "$missing"; fi
rm -rf "$cache/build"
echo "$k8s_dir"
echo "$cache/etcd/$ETCD_VERSION"
echo "$cache/coredns/$COREDNS_VERSION"
echo "$cache/rclone/$RCLONE_VERSION"
