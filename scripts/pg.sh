#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (and for trying the
# PostgreSQL store by hand): a new cluster in DIR, listening on a unix socket in
# DIR only (no TCP port to collide with), trust authentication, stopped and
# deleted by `stop`.
#
#   scripts/pg.sh start DIR    prints the server's URL, e.g.
#                              postgresql://postgres@localhost:5432/postgres?host=DIR
#   scripts/pg.sh stop DIR
#
# initdb refuses to run as root: as root, the cluster belongs to the `postgres`
# user (created by Debian's postgresql package).
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}
port=${ES_PG_PORT:-5432}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
    echo "pg.sh: PostgreSQL's server programs are not installed (Debian package postgresql)" >&2
    exit 1
fi

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case $cmd in
start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$dir"
        chmod 755 "$dir"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { echo "pg.sh: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses='' -k $dir -p $port -c fsync=on -c max_connections=200" start >/dev/null ||
        { echo "pg.sh: the server did not start:" >&2; tail -5 "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@localhost:$port/postgres?host=$dir"
    ;;
stop)
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
