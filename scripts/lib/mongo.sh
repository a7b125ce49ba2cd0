# Source it (after cluster.sh); then call `start_mongo_test_server`, which exports QUERYGATE_TEST_MONGO_URI and
# stops the server when the calling script exits.
#
# No MongoDB server can be installed here, so the MongoDB tests run the real driver (libmongoc) against a
# wire-protocol test server: MockupDB answering the protocol, mongomock storing the data (Tests/MongoTestServer).
# Its Python packages live in a virtual environment under .build, rebuilt when requirements.txt changes.

start_mongo_test_server() {
  local here=Tests/MongoTestServer venv=.build/mongo-test-server-venv
  if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt" 2>/dev/null; then
    log "installing the MongoDB test server's Python packages into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/requirements.txt"
  fi
  mongo_port_file=$(mktemp -u /tmp/querygate-mongo.XXXXXX)
  local port
  port=$("$here/start.sh" "$venv" "$mongo_port_file")
  trap 'status=$?; stop_mongo_test_server; stop_cluster "$status"' EXIT
  log "MongoDB wire-protocol test server (MockupDB + mongomock) on 127.0.0.1:$port"
  export QUERYGATE_TEST_MONGO_URI="mongodb://127.0.0.1:$port/?serverSelectionTimeoutMS=5000"
}

stop_mongo_test_server() {
  [ -f "$mongo_port_file.pid" ] && kill "$(cat "$mongo_port_file.pid")" 2>/dev/null || true
  rm -f "$mongo_port_file" "$mongo_port_file.pid" "$mongo_port_file.log"
}
