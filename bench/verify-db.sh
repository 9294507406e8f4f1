#!/usr/bin/env bash
# The old way of verifying the database, for `npm run bench`: one psql per check, one after
# the other, stopping at the first failure, and a CREATE/DROP DATABASE for createdb and
# another for the dynamic-database check. (Without the old scripts' defects: the password
# travels in PGPASSWORD, not argv, and the server's version is checked, not psql's.)
# Needs: PGHOST PGPORT PGUSER PGPASSWORD POSTGRES_DB POSTGRES_TEST_DB [MIGRATIONS_DIR] [POOL_SIZE]
set -euo pipefail
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
db=${POSTGRES_DB:?} test_db=${POSTGRES_TEST_DB:?} pool=${POOL_SIZE:-10}
scratch="temp_test_db_$$"

# reachable
pg_isready -q -d "$db"
# version (the server's)
[ "$(q -d "$db" -c 'SHOW server_version_num')" -ge 140000 ]
# auth
q -d "$db" -c 'SELECT current_user' >/dev/null
# databases
q -d "$db" -c 'SELECT 1' >/dev/null
q -d "$test_db" -c 'SELECT 1' >/dev/null
# createdb
q -d "$db" -c "CREATE DATABASE $scratch"
q -d "$db" -c "DROP DATABASE $scratch"
# dynamic-db
q -d "$db" -c "CREATE DATABASE ${scratch}_dyn"
q -d "${scratch}_dyn" -c 'CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY, note text); INSERT INTO s.t VALUES (1, $$ok$$);' >/dev/null
[ "$(q -d "${scratch}_dyn" -c 'SELECT note FROM s.t WHERE id = 1')" = ok ]
q -d "$db" -c "DROP DATABASE ${scratch}_dyn"
# schema: every migration file applied with its checksum, in both databases
for d in "$db" "$test_db"; do
  applied=$(q -d "$d" -F ' ' -c 'SELECT version, checksum FROM registry.schema_migrations')
  for f in "${MIGRATIONS_DIR:-migrations}"/*.sql; do
    [ -e "$f" ] || continue
    v=$(basename "$f" .sql)
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    grep -qx "$v $sum" <<<"$applied"
  done
done
# pgvector (warn only)
q -d "$db" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'" >/dev/null
# pool: pool-size connections at once, five queries each
pids=()
for i in $(seq 1 "$pool"); do
  q -d "$db" -c "SELECT $i" -c "SELECT $i" -c "SELECT $i" -c "SELECT $i" -c "SELECT $i" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "all checks passed"
