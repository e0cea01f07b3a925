#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a cluster in a temporary folder, owned by a
# non-root user, listening on a free loopback port, with a password (so the tests exercise
# password handling) and TLS on a self-signed certificate for 127.0.0.1 (FOLDER/server.crt, so
# the tests exercise sslmode), stopped and removed by `stop`.
#
#   .ci/postgres.sh start FOLDER   install postgresql (and openssl) if missing, start; prints the server's URL
#   .ci/postgres.sh stop FOLDER    stop the server and remove FOLDER
set -euo pipefail
command="${1:?start or stop}"
folder="${2:?a folder for the cluster}"

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

# Runs a command as the cluster's owner: this user, or `postgres` when this is root (initdb
# refuses to run as root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    if ! bin_dir >/dev/null; then
        echo "==> installing postgresql from Debian's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -q >&2
        $sudo apt-get install -y -q --no-install-recommends postgresql >&2
    fi
    if ! command -v openssl >/dev/null 2>&1; then
        echo "==> installing openssl from Debian's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -q >&2
        $sudo apt-get install -y -q --no-install-recommends openssl >&2
    fi
    bin=$(bin_dir) || { echo "error: PostgreSQL's initdb was not found after installing postgresql" >&2; exit 1; }
    mkdir -p "$folder"
    # The server's certificate: self-signed, for the address the tests connect to; it is its
    # own authority, so it is also what `sslrootcert` names for verify-ca and verify-full.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$folder/server.key" -out "$folder/server.crt" >"$folder/openssl.log" 2>&1 \
        || { cat "$folder/openssl.log" >&2; exit 1; }
    chmod 600 "$folder/server.key"
    chmod 644 "$folder/server.crt"
    [ "$(id -u)" -eq 0 ] && chown postgres "$folder" "$folder/server.key" "$folder/server.crt"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" > "$folder/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$folder/pwfile"
    as_owner "$bin/initdb" -D "$folder/data" -U kling --pwfile="$folder/pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 \
        || { cat "$folder/initdb.log" >&2; exit 1; }
    rm -f "$folder/pwfile"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # A throwaway cluster, deleted when the tests end: it skips fsync. Each test case creates
    # and drops a database of its own, and with fsync each of those waited seconds for a
    # checkpoint on a busy 2-core machine, holding a thread the other tests needed.
    as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $folder -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$folder/server.crt -c ssl_key_file=$folder/server.key" start >&2 \
        || { cat "$folder/server.log" >&2; exit 1; }
    echo "postgres://kling:$password@127.0.0.1:$port/postgres"
    ;;
stop)
    if bin=$(bin_dir) && [ -d "$folder/data" ]; then
        as_owner "$bin/pg_ctl" -D "$folder/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$folder"
    ;;
*)
    echo "usage: $0 start|stop FOLDER" >&2
    exit 64
    ;;
esac
