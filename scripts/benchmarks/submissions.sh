#!/usr/bin/env bash
# Submission throughput and latency: the same signed inline `/query`, sent by wrk at a fixed number of connections,
# to `querygate serve` and to a minimal Slack Bolt (Python) app doing the same request-path work (bolt_app.py),
# taking turns, on the same PostgreSQL server. Prints each one's figures and their ratios; asserts nothing.
#
# Run by scripts/benchmark (`scripts/benchmark submissions`), which starts a throwaway server (PG*, PORTAL_DB_*) and
# sets QUERYGATE to a release build. SUBMISSION_SECONDS (10), SUBMISSION_ROUNDS (3) and SUBMISSION_CONNECTIONS (16) change the run.
#
# Neither app reaches Slack: QueryGate's outbox points at a closed port, so its approval posts fail at once and wait
# for their retry; Bolt's app asks Slack nothing. What is measured is the request path, as Slack would see it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SUBMISSION_SECONDS:-10}
rounds=${SUBMISSION_ROUNDS:-3}
connections=${SUBMISSION_CONNECTIONS:-16}
log() { printf 'benchmark: %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- The Bolt app's virtual environment (pinned, so that runs compare) ---------------------------------------------
venv=${BENCHMARK_VENV:-$here/../../.build/benchmark-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import slack_bolt, aiohttp, asyncpg' 2>/dev/null; then
  log "installing Slack Bolt for Python into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q slack_bolt==1.30.0 slack_sdk==3.48.0 aiohttp==3.14.5 asyncpg==0.32.0
fi

# --- Two databases on the throwaway server, and QueryGate's sample organisation -------------------------------------
# Autovacuum off on this throwaway server: one app's inserts would otherwise start it during the other's run, at a
# moment that differs from run to run (seen: 1,400 against 1,780 submissions/s for the same QueryGate).
psql -XAtq -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
createdb querygate_benchmark
createdb bolt_benchmark
createdb benchmark_target
export PORTAL_DB_NAME=querygate_benchmark
export BENCHMARK_PG_HOST=$PGHOST BENCHMARK_PG_PORT=$PGPORT BENCHMARK_PG_USER=$PGUSER BENCHMARK_PG_PASSWORD=$PGPASSWORD
export QUERYGATE_LOG_LEVEL=error
"$QUERYGATE" migrate >/dev/null
"$QUERYGATE" pods add --name bench --channel C0BENCH001 >/dev/null
"$QUERYGATE" users add --email dev@bench.invalid --name "Bench Developer" --role developer --pod bench --slack-id U0BENCH001 >/dev/null
"$QUERYGATE" users add --email lead@bench.invalid --name "Bench Lead" --role manager --pod bench --slack-id U0BENCH002 >/dev/null
"$QUERYGATE" instances add --name bench --type postgresql --credentials-env-prefix BENCHMARK_PG >/dev/null
"$QUERYGATE" databases add --instance bench --name benchmark_target >/dev/null

# --- The request, signed as Slack signs it --------------------------------------------------------------------------
secret=$(hex 16)
text='bench/benchmark_target Checking last week'"'"'s orders ```SELECT id, status FROM orders WHERE placed_at > now() - interval '"'"'7 days'"'"'```'
export SUBMISSION_BODY
SUBMISSION_BODY=$(TEXT="$text" python3 -c '
import os, urllib.parse
print(urllib.parse.urlencode({"token": "unused", "team_id": "T0BENCH001", "team_domain": "bench", "channel_id": "C0BENCH001",
    "channel_name": "bench", "user_id": "U0BENCH001", "user_name": "dev", "command": "/query", "text": os.environ["TEXT"],
    "api_app_id": "A0BENCH001", "response_url": "https://hooks.slack.com/commands/T0BENCH001/1/x", "trigger_id": "1.2.3"}))')
export SUBMISSION_TIMESTAMP SUBMISSION_SIGNATURE
SUBMISSION_TIMESTAMP=$(date +%s)
# Slack's scheme: v0= and the hex HMAC-SHA256, keyed by the signing secret, of "v0:<timestamp>:<body>".
SUBMISSION_SIGNATURE=$(SECRET="$secret" python3 -c '
import hashlib, hmac, os
base = "v0:%s:%s" % (os.environ["SUBMISSION_TIMESTAMP"], os.environ["SUBMISSION_BODY"])
print("v0=" + hmac.new(os.environ["SECRET"].encode(), base.encode(), hashlib.sha256).hexdigest())')

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

wait_for() {  # URL, what
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  log "$2 did not start"; exit 1
}

# One signed request by hand, to show what each answers, then a warm-up and the measured run.
measure() {  # name URL
  local answer
  answer=$(curl -s -X POST "$2" -H 'Content-Type: application/x-www-form-urlencoded' \
    -H "X-Slack-Request-Timestamp: $SUBMISSION_TIMESTAMP" -H "X-Slack-Signature: $SUBMISSION_SIGNATURE" --data "$SUBMISSION_BODY")
  log "$1 answers: ${answer:0:160}"
  wrk -t2 -c"$connections" -d3s -s "$here/submit.lua" "$2" >/dev/null
  wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/submit.lua" "$2" | grep '^RESULT' | sed "s/^RESULT/$1/"
}

bolt_port=$(free_port)
SLACK_SIGNING_SECRET=$secret BOLT_DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bolt_benchmark" \
  "$venv/bin/python" "$here/bolt_app.py" "$bolt_port" >/dev/null 2>&1 &
pids+=($!)
querygate_port=$(free_port)
QUERYGATE_HOST=127.0.0.1 QUERYGATE_PORT=$querygate_port SLACK_SIGNING_SECRET=$secret SLACK_BOT_TOKEN=xoxb-benchmark-$(hex 8) \
  SLACK_API_URL="http://127.0.0.1:$(free_port)/api" JWT_SECRET=$(hex 32) JWT_REFRESH_SECRET=$(hex 32) \
  "$QUERYGATE" serve >/dev/null 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$bolt_port/" "the Bolt app"
wait_for "http://127.0.0.1:$querygate_port/healthz" "querygate serve"

# Both wait, idle, while the other is measured; they take turns, because a shared machine's speed drifts by a
# third from one minute to the next, and each round's ratio is read from two runs a few seconds apart.
runs=()
for round in $(seq 1 "$rounds"); do
  runs+=("$(measure bolt "http://127.0.0.1:$bolt_port/slack/commands")")
  runs+=("$(measure querygate "http://127.0.0.1:$querygate_port/slack/commands")")
done

recorded_bolt=$(psql -XAtq -d bolt_benchmark -c 'SELECT count(*) FROM requests')
recorded_querygate=$(psql -XAtq -d querygate_benchmark -c 'SELECT count(*) FROM query_requests')

python3 - "$connections" "$recorded_bolt" "$recorded_querygate" "${runs[@]}" <<'PY'
import statistics, sys
connections, recorded_bolt, recorded_querygate, *lines = sys.argv[1:]
def parse(line):
    name, *fields = line.split()
    return name, {key: float(value) for key, value in (field.split("=") for field in fields)}
runs = [parse(line) for line in lines]
def rate(run): return run["requests"] / run["seconds"]
print(f"submissions at {connections} connections (wrk -t2), the same signed /query, {len(runs) // 2} rounds:")
for index in range(0, len(runs), 2):
    (_, bolt), (_, qg) = runs[index], runs[index + 1]
    for name, run in (("Bolt (Python)", bolt), ("QueryGate", qg)):
        print(f"  {name:14} {rate(run):7.0f} req/s  p50 {run['p50'] / 1000:6.1f} ms  p90 {run['p90'] / 1000:6.1f} ms  "
              f"p99 {run['p99'] / 1000:6.1f} ms  max {run['max'] / 1000:6.1f} ms  errors {int(run['errors'])}")
    print(f"    round {index // 2 + 1}: QueryGate / Bolt throughput {rate(qg) / rate(bolt):.2f}×, p99 {qg['p99'] / bolt['p99']:.2f}×")
bolts = [run for name, run in runs if name == "bolt"]
qgs = [run for name, run in runs if name == "querygate"]
ratio = statistics.median(rate(q) / rate(b) for b, q in zip(bolts, qgs))
print(f"  median of the rounds: QueryGate / Bolt throughput {ratio:.2f}× (target ≥ 2×); QueryGate p99 "
      f"{statistics.median(q['p99'] for q in qgs) / 1000:.1f} ms (target < 20 ms), Bolt p99 {statistics.median(b['p99'] for b in bolts) / 1000:.1f} ms")
print(f"  rows recorded in all: Bolt {recorded_bolt}, QueryGate {recorded_querygate} (with the warm-ups'; each request made one row)")
PY
