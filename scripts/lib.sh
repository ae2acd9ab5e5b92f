# Shared by scripts/run and scripts/test: a private PostgreSQL server, started as an unprivileged user.
# shellcheck shell=bash

PG_SUPERUSER=supportchat

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(pg_config --bindir 2>/dev/null)" "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  echo "No PostgreSQL server binaries found (initdb, pg_ctl). Either install PostgreSQL (apt-get install postgresql), or set Database__ConnectionString to a PostgreSQL server you have." >&2
  return 1
}

# PostgreSQL refuses to run as root: root runs it as the 'postgres' user, or a system user made for it.
pg_os_user() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id supportchat-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin supportchat-pg
  echo supportchat-pg
}

as_pg_user() {
  local user; user=$(pg_os_user)
  if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# pg_start DATADIR PORT: initialises DATADIR on first use (password in DATADIR.password), starts the server on
# 127.0.0.1:PORT only, and makes sure the database 'supportchat' exists. Reuses a server already running there.
pg_start() {
  local datadir=$1 port=$2 bindir pwfile user
  bindir=$(pg_bindir) || return 1
  pwfile="$datadir.password"
  user=$(pg_os_user)
  if [ ! -s "$datadir/PG_VERSION" ]; then
    mkdir -p "$datadir"
    [ -s "$pwfile" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$pwfile")
    [ "$(id -u)" = 0 ] && chown "$user" "$datadir"
    chmod 700 "$datadir"
    local tmppw; tmppw=$(mktemp); cp "$pwfile" "$tmppw"; [ "$(id -u)" = 0 ] && chown "$user" "$tmppw"
    as_pg_user "$bindir/initdb" -D "$datadir" -U "$PG_SUPERUSER" --pwfile="$tmppw" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$datadir.initdb.log" 2>&1 \
      || { rm -f "$tmppw"; echo "initdb failed, see $datadir.initdb.log" >&2; return 1; }
    rm -f "$tmppw"
  fi
  if ! as_pg_user "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    as_pg_user "$bindir/pg_ctl" -D "$datadir" -w -t 60 -l "$datadir/server.log" \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=${PG_FSYNC:-on}" start >/dev/null \
      || { echo "PostgreSQL did not start, see $datadir/server.log" >&2; return 1; }
  fi
  PGPASSWORD=$(cat "$pwfile") "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres -tAq \
    -c "SELECT 1 FROM pg_database WHERE datname = 'supportchat'" | grep -q 1 \
    || PGPASSWORD=$(cat "$pwfile") "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" supportchat
}

pg_stop() {
  local datadir=$1 bindir
  bindir=$(pg_bindir 2>/dev/null) || return 0
  [ -s "$datadir/postmaster.pid" ] && as_pg_user "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1
  return 0
}

# pg_connection_string DATADIR PORT DATABASE
pg_connection_string() {
  echo "Host=127.0.0.1;Port=$2;Database=$3;Username=$PG_SUPERUSER;Password=$(cat "$1.password")"
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    # Below the kernel's ephemeral range (32768-60999 by default): a port a client connection has just used may still be
    # in TIME_WAIT, free to connect to but not to listen on (seen after a 10,000-socket load run).
    port=$(( 20000 + RANDOM % 12000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "no free port found" >&2; return 1
}
