# Shared by scripts/test and scripts/benchmark: install what is missing, and run a throwaway PostgreSQL server.
# Source it; then call `install_missing PACKAGES…` and `start_cluster`, which exports PORTAL_DB_* and PG* for it and
# removes it when the calling script exits.

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# Installs the Debian packages the project needs when they are missing (as root; anyone else is told what to run).
install_missing() {
  local missing=()
  command -v pg_config >/dev/null 2>&1 || missing+=(libpq-dev)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  pkg-config --exists libmongoc-1.0 2>/dev/null || missing+=(libmongoc-dev)
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  # Debian's postgresql package would create and start a system-wide cluster; the scripts bring their own.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Where the cluster's files go: memory (/dev/shm) when it has room, unless QUERYGATE_PG_PARENT names a folder. The
# tests create and drop a database each, some 500 a run; on this machine's disk a CREATE DATABASE took 170-250 ms of
# file creation, in memory 13-25 ms, which was most of what the test phase spent waiting. A tmpfs reports its size
# cap as free space, not the memory there is, so the memory left is checked too.
cluster_parent() {
  if [ -n "${QUERYGATE_PG_PARENT:-}" ]; then
    echo "$QUERYGATE_PG_PARENT"
    return
  fi
  local free_kb available_kb
  free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
  available_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null)
  if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "${free_kb:-0}" -gt $((4 * 1024 * 1024)) ] \
    && [ "${available_kb:-0}" -gt $((8 * 1024 * 1024)) ]; then
    echo /dev/shm
  else
    echo /tmp
  fi
}

# A run killed outright (SIGKILL, the OOM killer) cannot remove its cluster, and in memory the files would stay
# until a reboot: remove those whose server is gone. One still starting (no pid file yet) is left alone for an hour.
remove_abandoned_clusters() {
  local dir pid
  for dir in /dev/shm/querygate-pg.*; do
    [ -d "$dir" ] || continue
    if [ -f "$dir/data/postmaster.pid" ]; then
      pid=$(head -n 1 "$dir/data/postmaster.pid")
      [ -n "$pid" ] && [ -d "/proc/$pid" ] && continue
    elif [ -z "$(find "$dir" -maxdepth 0 -mmin +60 2>/dev/null)" ]; then
      continue
    fi
    rm -rf "$dir" 2>/dev/null || true
  done
}

# Starts a cluster on a free loopback port, as `postgres` when we are root (PostgreSQL refuses to run as root),
# with a random scram password.
start_cluster() {
  bindir=$(pg_config --bindir)
  [ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  remove_abandoned_clusters
  workdir=$(mktemp -d "$(cluster_parent)/querygate-pg.XXXXXX")
  as_server=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$workdir"
    as_server=(runuser -u postgres --)
  fi
  chmod 700 "$workdir"
  trap stop_cluster EXIT

  local password port
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s\n' "$password" > "$workdir/pwfile"
  [ -z "${as_server[*]}" ] || chown postgres "$workdir/pwfile"
  "${as_server[@]}" "$bindir/initdb" -D "$workdir/data" -U postgres --auth=scram-sha-256 --pwfile="$workdir/pwfile" \
    -E UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 || { cat "$workdir/initdb.log" >&2; exit 1; }

  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Durability is worth nothing for a cluster that is deleted in a minute; speed is.
  "${as_server[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 60 \
    -o "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c max_connections=1000 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $workdir)"

  export PORTAL_DB_HOST=127.0.0.1 PORTAL_DB_PORT=$port PORTAL_DB_USER=postgres PORTAL_DB_PASSWORD=$password
  export PORTAL_DB_NAME=postgres PORTAL_DB_SSLMODE=disable
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=$password
}

# Takes the exit status of the script when a trap that does more passes it on (mongo.sh's does).
stop_cluster() {
  local status=${1:-$?}
  # When the tests failed, the server's own complaints (too many clients, a deadlock…) say what they could not.
  if [ "$status" != 0 ] && [ -f "$workdir/server.log" ]; then
    grep -E ' (FATAL|PANIC): ' "$workdir/server.log" | sed -E 's/^[^]]*] //' | sort | uniq -c | sort -rn | head -n 10 >&2 || true
  fi
  "${as_server[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
