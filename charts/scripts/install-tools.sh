#!/usr/bin/env bash
# Installs the pinned tools that charts/scripts/check.sh needs into <repo>/.tools (git-ignored),
# through the one tool installer, bin/lib/tools.sh (Go module proxy, PyPI). What is already there
# at the pinned version is kept, so a warm run installs nothing.
#
#   bash charts/scripts/install-tools.sh          # install, print the tool directory
#   bash charts/scripts/install-tools.sh --env    # install, print "export PATH=..." for eval
#
# Tools: helm, kubeconform, ShellCheck, hadolint and the Python libraries (bin/lib/tools.sh);
# compose-config (charts/tests/compose-config: compose-go, the loader of `docker compose`, built
# from this repository); the Kubernetes JSON schemas of kubernetes-validate for the minor of
# KUBERNETES_VERSION. Every version comes from versions.env at the repository root.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=bin/lib/tools.sh
source "$repo/bin/lib/tools.sh"
# kubernetes-validate ships one schema folder per minor (v1.N.0 for any v1.N.x); it is written
# under the platform's full version, the folder name kubeconform derives from -kubernetes-version.
kube_version="v${KUBERNETES_VERSION#v}"
schema_version="$(echo "$kube_version" | sed -E 's/^(v[0-9]+\.[0-9]+)\..*/\1/').0"
tools="$TOOLS_DIR"
bin="$TOOLS_BIN"
stamps="$TOOLS_STAMPS"

log() { echo "install-tools: $*" >&2; }

tools_install helm kubeconform shellcheck hadolint python

# compose-config is built from this repository (its go.sum pins compose-go).
src="$repo/charts/tests/compose-config"
want="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
if [[ ! -x "$bin/compose-config" || "$(cat "$stamps/compose-config" 2>/dev/null)" != "$want" ]]; then
  log "building compose-config (compose-go)"
  (cd "$src" && go build -o "$bin/compose-config" .) >&2
  echo "$want" >"$stamps/compose-config"
fi

venv="$tools/venv"

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
