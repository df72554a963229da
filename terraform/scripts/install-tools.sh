#!/usr/bin/env bash
# Installs the tools terraform/ needs, at pinned versions, from the Go module proxy only
# (the Terraform registry and release downloads are not reachable on project machines), through
# the one tool installer, bin/lib/tools.sh.
#
#   .tools/bin/terraform (repository root)            Terraform CLI, built from source
#   terraform/.tools/plugins/registry.terraform.io/cloudflare/cloudflare/<v>/<os_arch>/
#                                                     the Cloudflare provider for init
#   terraform/.tools/terraformrc                      CLI config: provider from that mirror
#
# Idempotent: a pinned binary that is already present is not rebuilt. Prints the lines to
# eval for the environment (`eval "$(terraform/scripts/install-tools.sh --env)"`).
#
# The versions come from versions.env at the repository root (TERRAFORM_TEST_VERSION,
# CLOUDFLARE_PROVIDER_VERSION, CLOUDFLARE_PROVIDER_GO_VERSION). Why these versions:
# - Terraform 1.8.x is the newest release whose module builds with `go install`: from 1.9
#   on, hashicorp/terraform's go.mod replaces its backends with nested modules that are
#   not in the module zip, so `go install` and any wrapper module fail. 1.8 has
#   `terraform test` with mock_provider (>= 1.7). Deploys use >= 1.11 (use_lockfile).
# - Cloudflare provider CLOUDFLARE_PROVIDER_VERSION. The proxy refuses every v5 version (the repository's
#   go.mod has no /v5 suffix, so its v5 tags are not module versions). The script tries
#   the exact pseudo-version of the v5.22.0 tag once; when refused, it builds the
#   schema-only provider in tools/schema-provider (the v5.22.0 schema from the provider's
#   docs; refuses plan/apply) so validate and mocked tests still run. README.md explains.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" # terraform/
# shellcheck source=bin/lib/tools.sh
source "$here/../bin/lib/tools.sh"
# `terraform test` runs with the newest release that builds from the Go module proxy; the
# deploy workflows' plan/apply use TERRAFORM_VERSION (setup-terraform).
tools="$here/.tools"
want_env=false
[[ "${1:-}" == "--env" ]] && want_env=true

log() { echo "install-tools: $*" >&2; }

go_bin="$(tools_go_cmd)"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
platform="$("$go_bin" env GOOS)_$("$go_bin" env GOARCH)"

mkdir -p "$tools"

# ---- Terraform CLI ------------------------------------------------------------
tools_install terraform
log "terraform $TERRAFORM_TEST_VERSION at .tools/bin/terraform"

# ---- Cloudflare provider into a filesystem mirror -------------------------------------
pdir="$tools/plugins/registry.terraform.io/cloudflare/cloudflare/$CLOUDFLARE_PROVIDER_VERSION/$platform"
pbin="$pdir/terraform-provider-cloudflare_v$CLOUDFLARE_PROVIDER_VERSION"
kind_file="$tools/cloudflare-provider.kind"
# The schema-only build is keyed on its sources, so a schema.json change rebuilds it.
schema_src="$here/tools/schema-provider"
schema_key="schema-only $(cat "$schema_src"/go.mod "$schema_src"/go.sum "$schema_src"/main.go "$schema_src"/schema.json | sha256sum | cut -c1-16)"

if [[ -x "$pbin" && -f "$kind_file" ]] && { [[ "$(cat "$kind_file")" == "real" ]] || [[ "$(cat "$kind_file")" == "$schema_key" ]]; }; then
  log "cloudflare provider $CLOUDFLARE_PROVIDER_VERSION present ($(cat "$kind_file"))"
else
  mkdir -p "$pdir"
  tmpbin="$(mktemp -d)"
  trap 'rm -rf "$tmpbin"' EXIT
  log "trying the real cloudflare provider $CLOUDFLARE_PROVIDER_VERSION from the Go module proxy"
  if tools_go_build "$tmpbin" github.com/cloudflare/terraform-provider-cloudflare "$CLOUDFLARE_PROVIDER_GO_VERSION" "" 2>"$tmpbin/err"; then
    mv "$tmpbin/terraform-provider-cloudflare" "$pbin"
    echo real >"$kind_file"
    log "real provider installed"
  else
    log "the proxy does not serve it ($(grep -m1 -o '[0-9][0-9][0-9] [A-Za-z ]*' "$tmpbin/err" || echo 'see go output')); building the schema-only provider"
    start=$SECONDS
    (cd "$schema_src" && "$go_bin" build -trimpath -o "$pbin" .)
    echo "$schema_key" >"$kind_file"
    log "schema-only provider built in $((SECONDS - start))s"
  fi
fi

# ---- CLI config: the mirror for cloudflare/cloudflare, nothing from the network --------
cat >"$tools/terraformrc" <<RC
# Written by terraform/scripts/install-tools.sh. The Cloudflare provider comes from the
# local mirror; other providers may still come from the registry where it is reachable.
provider_installation {
  filesystem_mirror {
    path    = "$tools/plugins"
    include = ["registry.terraform.io/cloudflare/cloudflare"]
  }
  direct {
    exclude = ["registry.terraform.io/cloudflare/cloudflare"]
  }
}
RC

if $want_env; then
  echo "export PATH=\"$TOOLS_BIN:\$PATH\""
  echo "export TF_CLI_CONFIG_FILE=\"$tools/terraformrc\""
  echo "export CHECKPOINT_DISABLE=1"
fi
