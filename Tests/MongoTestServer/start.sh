#!/usr/bin/env bash
# Start the QueryGate MongoDB wire-protocol test server in the background.
# Usage: start.sh VENV_DIR PORT_FILE [LOG_FILE [SERVER_ARGS...]]  (e.g. --verbose)
#   Prints the chosen port on stdout once the server is listening.
#   The server's pid is written to PORT_FILE.pid.
# Stop:  kill "$(cat PORT_FILE.pid)"   (SIGTERM: clean exit, PORT_FILE removed)
set -euo pipefail
venv=${1:?usage: start.sh VENV_DIR PORT_FILE [LOG_FILE]}
port_file=${2:?usage: start.sh VENV_DIR PORT_FILE [LOG_FILE]}
log_file=${3:-$port_file.log}
shift $(( $# < 3 ? $# : 3 ))   # the rest goes to server.py
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rm -f "$port_file"
nohup "$venv/bin/python" "$here/server.py" --port-file "$port_file" "$@" \
  >"$log_file" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$port_file.pid"

for _ in $(seq 100); do            # bounded wait: 100 x 0.1 s = 10 s
  if [[ -s $port_file ]]; then cat "$port_file"; exit 0; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "test server exited early; log:" >&2; cat "$log_file" >&2; exit 1
  fi
  sleep 0.1
done
echo "test server did not write $port_file within 10 s; log:" >&2
cat "$log_file" >&2
kill "$pid" 2>/dev/null || true
exit 1
