#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for the test suite.
#
#   scripts/pg_cluster.sh bindir            print the directory holding initdb, pg_ctl and postgres
#                                           (exit 1 if there is none)
#   scripts/pg_cluster.sh run [--] CMD...   start a cluster, run CMD with DATABASE_URL pointing at
#                                           it, then stop and delete the cluster (also on failure
#                                           or Ctrl-C); exits with CMD's status
#   scripts/pg_cluster.sh start             start a cluster and leave it running; prints shell
#                                           exports on stdout: eval "$(scripts/pg_cluster.sh start)"
#   scripts/pg_cluster.sh stop [DIR]        stop and delete a cluster made by `start`
#                                           (DIR defaults to $PGCLUSTER_DIR)
#   scripts/pg_cluster.sh restart DIR [S]   restart its server (fast shutdown: every connection
#                                           is closed), down for S seconds (default 0), on the
#                                           same port; its data stays
#   e.g.  eval "$(scripts/pg_cluster.sh start)"; psql -c 'select 1'; scripts/pg_cluster.sh stop
#
# The cluster lives in a fresh temporary directory (data/, socket/, postgres.log), listens on a
# free TCP port on 127.0.0.1 and on a unix socket inside that directory, uses trust
# authentication with the superuser "postgres", and runs with fsync off: it is for tests only.
# initdb and pg_ctl refuse to run as root, so when we are root they run as an unprivileged
# system user (PGCLUSTER_USER, default "postgres" if it exists, else a dedicated
# "communityblog-pg" user is created) which owns the temporary directory.
#
# Environment:
#   PG_BINDIR        directory with initdb/pg_ctl/postgres (default: found on PATH, then the
#                    newest /usr/lib/postgresql/*/bin)
#   PGCLUSTER_BASE   where the temporary directory is made (default /tmp)
#   PGCLUSTER_USER   OS user to run the server as when we are root
#   PGCLUSTER_DB     database created in the cluster (default communityblog)
#   PGCLUSTER_PORT   TCP port (default: a free one)
set -euo pipefail

PROG=${0##*/}
DB_NAME=${PGCLUSTER_DB:-communityblog}
DB_SUPERUSER=postgres
DEDICATED_USER=communityblog-pg

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- finding the server binaries --------------------------------------------------------------

has_server_binaries() { [[ -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_bindir() {
    local candidate dir
    if [[ -n ${PG_BINDIR:-} ]]; then
        has_server_binaries "$PG_BINDIR" || { log "PG_BINDIR=$PG_BINDIR lacks initdb/pg_ctl/postgres"; return 1; }
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    if candidate=$(command -v initdb 2>/dev/null); then
        # Resolve symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) so
        # that pg_ctl and postgres are taken from the same installation.
        dir=$(dirname "$(readlink -f "$candidate")")
        if has_server_binaries "$dir"; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    # Debian/Ubuntu (/usr/lib/postgresql/N/bin), RHEL (/usr/pgsql-N/bin), source builds;
    # newest version first.
    while IFS= read -r dir; do
        if [[ -n $dir ]] && has_server_binaries "$dir"; then
            printf '%s\n' "$dir"
            return 0
        fi
    done < <(
        shopt -s nullglob
        printf '%s\n' /usr/lib/postgresql/*/bin /usr/pgsql-*/bin | sort -V -r
        printf '%s\n' /usr/local/pgsql/bin
    )
    return 1
}

# --- running things as the cluster's OS user --------------------------------------------------

PG_OS_USER=""   # empty: run as ourselves

choose_os_user() {
    if [[ $(id -u) -ne 0 ]]; then
        PG_OS_USER=""
        return
    fi
    if [[ -n ${PGCLUSTER_USER:-} ]]; then
        PG_OS_USER=$PGCLUSTER_USER
        id -u "$PG_OS_USER" >/dev/null 2>&1 || die "PGCLUSTER_USER=$PG_OS_USER does not exist"
    elif id -u postgres >/dev/null 2>&1; then
        PG_OS_USER=postgres
    else
        PG_OS_USER=$DEDICATED_USER
        if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
            log "creating system user $PG_OS_USER to run PostgreSQL (initdb refuses to run as root)"
            if command -v useradd >/dev/null 2>&1; then
                useradd --system --no-create-home --home-dir /nonexistent \
                    --shell /usr/sbin/nologin "$PG_OS_USER" \
                    || die "could not create user $PG_OS_USER"
            elif command -v adduser >/dev/null 2>&1; then
                adduser --system --no-create-home --disabled-login "$PG_OS_USER" >/dev/null \
                    || die "could not create user $PG_OS_USER"
            else
                die "running as root and no unprivileged user to run PostgreSQL as; set PGCLUSTER_USER"
            fi
        fi
    fi
    [[ $(id -u "$PG_OS_USER") -ne 0 ]] || die "PostgreSQL cannot run as a uid-0 user ($PG_OS_USER)"
}

# as_pg CMD ARGS...: run CMD as the cluster's OS user (from the cluster directory, so that a
# current directory the user cannot read does not matter).
as_pg() {
    if [[ -z $PG_OS_USER ]]; then
        (cd "$CLUSTER_DIR" && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd "$CLUSTER_DIR" && runuser -u "$PG_OS_USER" -- "$@")
    else
        # shellcheck disable=SC2016  # $0/$@ are expanded by the inner shell
        (cd "$CLUSTER_DIR" && su -s /bin/sh "$PG_OS_USER" -c 'exec "$0" "$@"' -- "$@")
    fi
}

free_port() {
    if [[ -n ${PGCLUSTER_PORT:-} ]]; then
        printf '%s\n' "$PGCLUSTER_PORT"
        return
    fi
    local py
    py=$(command -v python3 || command -v python) || die "python3 is needed to find a free port (or set PGCLUSTER_PORT)"
    "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# --- cluster lifecycle ------------------------------------------------------------------------

BINDIR=""
CLUSTER_DIR=""
PORT=""

cluster_running() {
    [[ -n $CLUSTER_DIR && -f $CLUSTER_DIR/data/postmaster.pid ]] || return 1
    as_pg "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" status >/dev/null 2>&1
}

show_log_tail() {
    if [[ -f $CLUSTER_DIR/postgres.log ]]; then
        log "last lines of $CLUSTER_DIR/postgres.log:"
        tail -n 40 "$CLUSTER_DIR/postgres.log" >&2 || true
    fi
}

start_cluster() {
    BINDIR=$(find_bindir) || die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
    choose_os_user

    local base=${PGCLUSTER_BASE:-/tmp}
    CLUSTER_DIR=$(mktemp -d "$base/communityblog-pg.XXXXXX") || die "cannot create a directory in $base"
    if [[ -n $PG_OS_USER ]]; then
        chown "$PG_OS_USER" "$CLUSTER_DIR"
        as_pg test -w "$CLUSTER_DIR" 2>/dev/null \
            || die "user $PG_OS_USER cannot write to $CLUSTER_DIR (set PGCLUSTER_BASE to a directory it can reach)"
    fi
    chmod 700 "$CLUSTER_DIR"
    as_pg mkdir -m 700 "$CLUSTER_DIR/socket"

    log "initdb ($("$BINDIR/postgres" --version)) in $CLUSTER_DIR${PG_OS_USER:+ as OS user $PG_OS_USER}"
    if ! as_pg "$BINDIR/initdb" -D "$CLUSTER_DIR/data" --username="$DB_SUPERUSER" --auth=trust \
        --encoding=UTF8 --no-locale --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1; then
        cat "$CLUSTER_DIR/initdb.log" >&2
        die "initdb failed"
    fi

    # Test-only settings: durability off, local connections only.
    as_pg tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null <<EOF

# --- added by $PROG: throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$CLUSTER_DIR/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
logging_collector = off
log_min_messages = warning
EOF

    local attempt
    for attempt in 1 2 3 4 5; do
        PORT=$(free_port)
        if as_pg "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/postgres.log" \
            -o "-p $PORT" -w -t 60 start >/dev/null; then
            break
        fi
        if [[ -n ${PGCLUSTER_PORT:-} || $attempt -eq 5 ]]; then
            show_log_tail
            die "PostgreSQL did not start"
        fi
        log "start on port $PORT failed (port taken?): retrying on another port"
    done

    local createdb=$BINDIR/createdb
    [[ -x $createdb ]] || createdb=$(command -v createdb) || die "createdb not found"
    if ! "$createdb" -h "$CLUSTER_DIR/socket" -p "$PORT" -U "$DB_SUPERUSER" "$DB_NAME"; then
        show_log_tail
        die "could not create database $DB_NAME"
    fi
    DATABASE_URL="postgres://$DB_SUPERUSER@127.0.0.1:$PORT/$DB_NAME"
    printf '%s\n' "$DATABASE_URL" | as_pg tee "$CLUSTER_DIR/database_url" >/dev/null
    log "PostgreSQL is up: $DATABASE_URL (socket dir $CLUSTER_DIR/socket)"
}

stop_cluster() {
    [[ -n $CLUSTER_DIR && -d $CLUSTER_DIR ]] || return 0
    if cluster_running; then
        if ! as_pg "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
            local pid
            pid=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid" 2>/dev/null || true)
            if [[ $pid =~ ^[0-9]+$ ]]; then
                log "pg_ctl stop failed: killing postmaster $pid"
                kill -KILL "$pid" 2>/dev/null || true
                sleep 1
            fi
        fi
    fi
    rm -rf -- "$CLUSTER_DIR"
    log "stopped and removed $CLUSTER_DIR"
    CLUSTER_DIR=""
}

# --- commands ---------------------------------------------------------------------------------

cmd_run() {
    [[ ${1:-} == -- ]] && shift
    [[ $# -gt 0 ]] || die "usage: $PROG run [--] COMMAND [ARGS...]"
    local rc=0
    trap 'rc=$?; trap - EXIT; stop_cluster; exit "$rc"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    start_cluster
    DATABASE_URL=$DATABASE_URL "$@" || rc=$?
    exit "$rc"
}

cmd_start() {
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then stop_cluster; fi' EXIT
    start_cluster
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export PGCLUSTER_DIR=%q\n' "$CLUSTER_DIR"
    # For psql and friends:
    printf 'export PGHOST=%q PGPORT=%q PGUSER=%q PGDATABASE=%q\n' \
        "$CLUSTER_DIR/socket" "$PORT" "$DB_SUPERUSER" "$DB_NAME"
    log "stop it with: $0 stop $CLUSTER_DIR"
}

cmd_stop() {
    CLUSTER_DIR=${1:-${PGCLUSTER_DIR:-}}
    [[ -n $CLUSTER_DIR ]] || die "usage: $PROG stop DIR (or set PGCLUSTER_DIR)"
    [[ -d $CLUSTER_DIR ]] || { log "$CLUSTER_DIR does not exist: nothing to do"; return 0; }
    # Only delete what looks like one of our clusters.
    [[ ${CLUSTER_DIR##*/} == communityblog-pg.* && -e $CLUSTER_DIR/data/PG_VERSION ]] \
        || die "$CLUSTER_DIR does not look like a cluster made by $PROG"
    BINDIR=$(find_bindir) || die "PostgreSQL server binaries not found"
    if [[ $(id -u) -eq 0 ]]; then
        PG_OS_USER=$(stat -c %U "$CLUSTER_DIR/data")
    fi
    stop_cluster
}

cmd_restart() {
    CLUSTER_DIR=${1:-${PGCLUSTER_DIR:-}}
    [[ -n $CLUSTER_DIR && -e $CLUSTER_DIR/data/PG_VERSION ]] \
        || die "usage: $PROG restart DIR (a cluster made by $PROG start)"
    BINDIR=$(find_bindir) || die "PostgreSQL server binaries not found"
    if [[ $(id -u) -eq 0 ]]; then
        PG_OS_USER=$(stat -c %U "$CLUSTER_DIR/data")
    fi
    local port
    port=$(sed -n 4p "$CLUSTER_DIR/data/postmaster.pid")  # the port it listens on
    as_pg "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w -t 60 stop >/dev/null \
        || { show_log_tail; die "PostgreSQL did not stop"; }
    sleep "${2:-0}"
    as_pg "$BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/postgres.log" -o "-p $port" \
        -w -t 60 start >/dev/null || { show_log_tail; die "PostgreSQL did not start again"; }
    log "restarted the server of $CLUSTER_DIR"
}

case ${1:-} in
    bindir) find_bindir ;;
    run) shift; cmd_run "$@" ;;
    start) cmd_start ;;
    stop) shift; cmd_stop "$@" ;;
    restart) shift; cmd_restart "$@" ;;
    -h|--help|help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
    *) die "usage: $PROG {bindir|run [--] CMD...|start|stop [DIR]|restart [DIR]|help}" ;;
esac
