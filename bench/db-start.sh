#!/usr/bin/env bash
# The baseline for `mcpctl db start` on a fresh HOME: what a person would type to get a private
# scram-sha-256 cluster from the installed binaries — initdb --no-sync, then pg_ctl start on a
# port with a private socket folder. As root, the server's programs run as postgres (runuser).
# Usage: db-start.sh <base folder> <port> <bin folder>
set -euo pipefail
base=$1 port=$2 bin=$3
as() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$base/sock"
umask 077
head -c 30 /dev/urandom | base64 | tr -d '/+=\n' > "$base/pw"
if [[ $(id -u) == 0 ]]; then chown postgres "$base" "$base/sock" "$base/pw"; fi
as "$bin/initdb" -D "$base/data" -U postgres --pwfile "$base/pw" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions >/dev/null
as "$bin/pg_ctl" -D "$base/data" -l "$base/server.log" -w -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$base/sock" start >/dev/null
