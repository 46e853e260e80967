#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests of the postgres backend
# (docs/postgres.md). Installs PostgreSQL when it is missing (as root, with
# apt-get), makes a cluster in a temp folder owned by an unprivileged user,
# starts it on a unix socket in that folder and on 127.0.0.1 at a free
# port, and creates the database octorelease_test.
#
#   scripts/pg-test.sh CMD [ARG...]   run CMD with OCTORELEASE_TEST_PG_DSN set,
#                                     stop the server, exit with CMD's status
#   scripts/pg-test.sh start          start one and print the lines to export
#                                     (and how to stop it); it keeps running
#   scripts/pg-test.sh stop DIR       stop a server `start` left running
#
# Knobs: PG_BINDIR (the folder of initdb and pg_ctl; default the newest
# /usr/lib/postgresql/<ver>/bin, else initdb on PATH), PG_TEST_USER (the
# unprivileged user that owns the cluster when run as root; default
# octorelease-pg, created if missing).
set -euo pipefail

PG_TEST_USER=${PG_TEST_USER:-octorelease-pg}

log() { echo "pg-test: $*" >&2; }

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] && { echo "$PG_BINDIR"; return 0; }
		log "PG_BINDIR=$PG_BINDIR has no initdb"
		return 1
	fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
		return 0
	fi
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	return 1
}

install_postgres() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		log "PostgreSQL is not installed: install it (e.g. apt-get install postgresql), or set PG_BINDIR"
		return 1
	fi
	log "installing PostgreSQL (apt-get install postgresql)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q postgresql >&2
}

# as_pg runs a command as the cluster's owner: the unprivileged user when
# run as root (the server refuses to run as root), else the caller.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u "$PG_TEST_USER" -- "$@"
		else
			su -s /bin/sh "$PG_TEST_USER" -c "$(printf '%q ' "$@")"
		fi
	else
		"$@"
	fi
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	log "no free port found"
	return 1
}

# start_server makes and starts a cluster; it sets DIR, PORT, DSN, BINDIR.
start_server() {
	BINDIR=$(find_bindir) || { install_postgres && BINDIR=$(find_bindir); } || return 1
	if [ "$(id -u)" = 0 ] && ! id "$PG_TEST_USER" >/dev/null 2>&1; then
		useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PG_TEST_USER" 2>/dev/null ||
			useradd -r -M -d /nonexistent "$PG_TEST_USER"
	fi
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/octorelease-pg.XXXXXX")
	chmod 755 "$DIR"
	if [ "$(id -u)" = 0 ]; then
		chown "$PG_TEST_USER" "$DIR"
	fi
	# Local (unix socket) connections are trusted: the socket lives in a
	# folder of its own. TCP connections need a password (scram), so the
	# tests can check what a failed login prints.
	as_pg "$BINDIR/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 || {
		cat "$DIR/initdb.log" >&2
		return 1
	}
	local tries
	for tries in 1 2 3 4 5; do
		PORT=$(free_port)
		if as_pg "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/data/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c max_connections=500 -c shared_buffers=64MB" \
			start >/dev/null; then
			break
		fi
		tail -n 5 "$DIR/data/server.log" >&2 || true
		[ "$tries" = 5 ] && return 1
	done
	as_pg "$BINDIR/psql" -X -q -h "$DIR" -p "$PORT" -U postgres -d postgres \
		-c "CREATE DATABASE octorelease_test" >/dev/null
	DSN="host=$DIR port=$PORT user=postgres dbname=octorelease_test sslmode=disable"
	log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on $DIR (socket) and 127.0.0.1:$PORT"
}

stop_server() {
	local dir=$1
	[ -d "$dir/data" ] || return 0
	local bindir
	bindir=$(find_bindir) || return 0
	as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}

case "${1:-}" in
"")
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
start)
	start_server
	echo "export OCTORELEASE_TEST_PG_DSN='$DSN'"
	echo "# stop it with: $0 stop $DIR"
	;;
stop)
	[ -n "${2:-}" ] || { log "usage: $0 stop DIR"; exit 2; }
	stop_server "$2"
	;;
*)
	DIR=
	trap '[ -n "$DIR" ] && stop_server "$DIR"' EXIT
	start_server
	export OCTORELEASE_TEST_PG_DSN="$DSN"
	set +e
	"$@"
	status=$?
	set -e
	exit "$status"
	;;
esac
