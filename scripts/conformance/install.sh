#!/usr/bin/env bash
# Installs the pinned Schemathesis (PyPI, SCHEMATHESIS_VERSION in versions.env) into
# <repo>/.tools/conformance-venv (git-ignored) and prints the path of its `schemathesis` command.
# A venv already at the pinned version is kept, so a warm run installs nothing.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
source "$repo/versions.env"
venv="$repo/.tools/conformance-venv"
stamp="$venv/.pinned"
want="schemathesis==$SCHEMATHESIS_VERSION"
if [[ ! -x "$venv/bin/schemathesis" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "conformance: installing $want" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$want" >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin/schemathesis"
