#!/usr/bin/env bash
# The old setup_database.sh flow, done with psql but without its defects, as the benchmark's
# baseline for `mcpctl setup-db`: checks the SERVER's version, never drops anything, generates
# the password (kept while it logs in), passes passwords only through the environment or stdin
# (never argv), keeps it out of the statement log, merges ~/.pgpass instead of restoring a
# backup over it, and writes files atomically with mode 0600.
# Configuration from the environment: POSTGRES_HOST POSTGRES_PORT POSTGRES_USER POSTGRES_DB
# POSTGRES_TEST_DB SETUP_POSTGRES_USER SETUP_POSTGRES_PASSWORD PGPASSFILE; run in the project folder.
set -euo pipefail
umask 077

host=${POSTGRES_HOST:-localhost} port=${POSTGRES_PORT:-5432}
user=${POSTGRES_USER:-mcp_user} db=${POSTGRES_DB:-project_registry} test_db=${POSTGRES_TEST_DB:-test_workflow_mcp}
admin=${SETUP_POSTGRES_USER:-postgres}
pgpass=${PGPASSFILE:-$HOME/.pgpass}
for id in "$user" "$db" "$test_db" "$admin"; do
  [[ $id =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "invalid identifier: $id" >&2; exit 2; }
done

as_admin() { PGPASSWORD=${SETUP_POSTGRES_PASSWORD:-} psql -X -w -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$admin" -d postgres "$@"; }
as_app() { local d=$1; shift; PGPASSWORD=$password psql -X -w -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user" -d "$d" "$@"; }

num=$(as_admin -Atc 'SHOW server_version_num')
(( num >= 140000 )) || { echo "server $num is older than PostgreSQL 14" >&2; exit 1; }

role_exists=$(as_admin -Atc "SELECT count(*) FROM pg_roles WHERE rolname = '$user'")
password=""
if [[ -f .env.local ]]; then password=$(sed -n 's/^POSTGRES_PASSWORD=//p' .env.local | tail -n 1); fi
keep=0
if [[ $role_exists == 1 && -n $password ]] && as_app postgres -Atc 'SELECT 1' >/dev/null 2>&1; then keep=1; fi
if (( keep == 0 )); then password=$(head -c 30 /dev/urandom | base64 | tr '+/' '-_'); fi

{
  echo "SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user')"
  echo '\gexec'
  echo "SELECT format('ALTER ROLE %I LOGIN CREATEDB', '$user') FROM pg_roles WHERE rolname = '$user' AND NOT (rolcanlogin AND rolcreatedb)"
  echo '\gexec'
  if (( keep == 0 )); then
    # The password travels on stdin and the session does not log it.
    echo "BEGIN; SET LOCAL log_statement = 'none'; ALTER ROLE \"$user\" PASSWORD '$password'; COMMIT;"
  fi
  for d in "$db" "$test_db"; do
    echo "SELECT format('CREATE DATABASE %I OWNER %I', '$d', '$user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$d')"
    echo '\gexec'
  done
} | as_admin -f -

registry_sql="CREATE SCHEMA IF NOT EXISTS registry;
CREATE TABLE IF NOT EXISTS registry.system_info (key text PRIMARY KEY, value text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS registry.schema_migrations (version text PRIMARY KEY, description text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
for d in "$db" "$test_db"; do
  applied=""
  if [[ $(as_app "$d" -Atc "SELECT to_regclass('registry.schema_migrations') IS NOT NULL") == t ]]; then
    applied=$(as_app "$d" -Atc "SELECT string_agg(version || ' ' || checksum, ',') FROM registry.schema_migrations")
  fi
  if [[ $applied != *000_registry* ]]; then
    sum=$(printf '%s\n' "$registry_sql" | sha256sum | cut -d' ' -f1)
    printf '%s\nINSERT INTO registry.schema_migrations VALUES (%s, %s, %s);\n' "$registry_sql" "'000_registry'" "'registry schema'" "'$sum'" | as_app "$d" -1 -f -
  fi
  for f in migrations/*.sql; do
    [[ -e $f ]] || continue
    v=$(basename "$f" .sql) sum=$(sha256sum "$f" | cut -d' ' -f1)
    case ",$applied," in
      *",$v $sum,"*) ;;
      *",$v "*) echo "migration changed after it was applied: $f" >&2; exit 1 ;;
      *) { cat "$f"; echo; echo "INSERT INTO registry.schema_migrations VALUES ('$v', '$v', '$sum');"; } | as_app "$d" -1 -f - ;;
    esac
  done
done

# Password file: drop our two entries, add them again, keep every other line; atomic rename.
write_if_changed() { # file, new content on stdin
  local tmp; tmp=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX")
  cat >"$tmp"
  if [[ -f $1 ]] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 600 "$tmp"; mv -f "$tmp" "$1"; fi
}
pghost=$host; [[ $pghost == /* ]] && pghost=localhost
{
  [[ -f $pgpass ]] && grep -v -F -x -e "$pghost:$port:$db:$user:$password" -e "$pghost:$port:$test_db:$user:$password" "$pgpass" |
    awk -F: -v h="$pghost" -v p="$port" -v a="$db" -v b="$test_db" -v u="$user" '!($1 == h && $2 == p && ($3 == a || $3 == b) && $4 == u)' || true
  echo "$pghost:$port:$db:$user:$password"
  echo "$pghost:$port:$test_db:$user:$password"
} | write_if_changed "$pgpass"
{
  [[ -f .env.local ]] && grep -v '^POSTGRES_PASSWORD=' .env.local || true
  echo "POSTGRES_PASSWORD=$password"
} | write_if_changed .env.local
echo "setup done (password kept: $keep)"
