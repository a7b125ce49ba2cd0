#!/usr/bin/env bash
# Submission throughput and latency: the same signed inline `/query`, sent by wrk at a fixed number of connections,
# to `querygate serve` and to a minimal Slack Bolt (Python) app doing the same request-path work (bolt_app.py),
# taking turns, on the same PostgreSQL server. Prints each one's figures and their ratios; asserts nothing.
#
# Run by scripts/benchmark (`scripts/benchmark submissions`), which starts a throwaway server (PG*, PORTAL_DB_*) and
# sets QUERYGATE to a release build. SUBMISSION_SECONDS (10), SUBMISSION_ROUNDS (3) and SUBMISSION_CONNECTIONS (16) change the run.
#
# Bolt's app asks Slack nothing. QueryGate's outbox posts each request to its pod's channel, through a stand-in for
# Slack's Web API (slack_api.py) that keeps Slack's limit of about one message a second on a channel and answers the
# rest 429, as Slack would: the approval messages wait and the worker sleeps, so what is measured is the request
# path, as Slack would see it. After the rounds the limit is lifted, and the outbox's own pace is timed on its backlog.
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

# CPU time in milliseconds a process (or, with several, all of them) has used so far, from /proc.
tick_ms=$((1000 / $(getconf CLK_TCK)))
cpu_ms() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo $((total * tick_ms)); }

# One signed request by hand, to show what each answers, then a warm-up and the measured run, with the CPU time the
# app, the PostgreSQL server and the Slack stand-in used during it.
measure() {  # name URL app-pid
  local answer
  answer=$(curl -s -X POST "$2" -H 'Content-Type: application/x-www-form-urlencoded' \
    -H "X-Slack-Request-Timestamp: $SUBMISSION_TIMESTAMP" -H "X-Slack-Signature: $SUBMISSION_SIGNATURE" --data "$SUBMISSION_BODY")
  log "$1 answers: ${answer:0:160}"
  wrk -t2 -c"$connections" -d3s -s "$here/submit.lua" "$2" >/dev/null
  local app0 pg0 slack0 result
  app0=$(cpu_ms "$3"); pg0=$(cpu_ms $(pgrep -x postgres)); slack0=$(cpu_ms "$slack_pid")
  result=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$here/submit.lua" "$2" | grep '^RESULT' | sed "s/^RESULT/$1/")
  echo "$result app_cpu=$(( $(cpu_ms "$3") - app0 )) pg_cpu=$(( $(cpu_ms $(pgrep -x postgres)) - pg0 )) slack_cpu=$(( $(cpu_ms "$slack_pid") - slack0 ))"
}

slack_port=$(free_port)
"$venv/bin/python" "$here/slack_api.py" "$slack_port" >/dev/null 2>&1 &
slack_pid=$!
pids+=($!)
bolt_port=$(free_port)
SLACK_SIGNING_SECRET=$secret BOLT_DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bolt_benchmark" \
  "$venv/bin/python" "$here/bolt_app.py" "$bolt_port" >/dev/null 2>&1 &
bolt_pid=$!
pids+=($!)
querygate_port=$(free_port)
QUERYGATE_HOST=127.0.0.1 QUERYGATE_PORT=$querygate_port SLACK_SIGNING_SECRET=$secret SLACK_BOT_TOKEN=xoxb-benchmark-$(hex 8) \
  SLACK_API_URL="http://127.0.0.1:$slack_port/api" JWT_SECRET=$(hex 32) JWT_REFRESH_SECRET=$(hex 32) \
  "$QUERYGATE" serve >/dev/null 2>&1 &
querygate_pid=$!
pids+=($!)
wait_for "http://127.0.0.1:$slack_port/benchmark/counts" "the Slack stand-in"
wait_for "http://127.0.0.1:$bolt_port/" "the Bolt app"
wait_for "http://127.0.0.1:$querygate_port/healthz" "querygate serve"

# Both wait, idle, while the other is measured; they take turns, because a shared machine's speed drifts by a
# third from one minute to the next, and each round's ratio is read from two runs a few seconds apart.
runs=()
for round in $(seq 1 "$rounds"); do
  runs+=("$(measure bolt "http://127.0.0.1:$bolt_port/slack/commands" "$bolt_pid")")
  runs+=("$(measure querygate "http://127.0.0.1:$querygate_port/slack/commands" "$querygate_pid")")
done

recorded_bolt=$(psql -XAtq -d bolt_benchmark -c 'SELECT count(*) FROM requests')
recorded_querygate=$(psql -XAtq -d querygate_benchmark -c 'SELECT count(*) FROM query_requests')
# Rows written by one transaction share its xmin: how many submissions went together (SubmissionBatcher).
querygate_transactions=$(psql -XAtq -d querygate_benchmark -c 'SELECT count(DISTINCT xmin::text) FROM query_requests')
outbox() { psql -XAtq -d querygate_benchmark -c "SELECT count(*) FILTER (WHERE status = 'pending') || ' pending, ' ||
  count(*) FILTER (WHERE status = 'sent') || ' sent, ' || count(*) FILTER (WHERE status = 'failed') || ' failed' FROM slack_notifications"; }
slack_said=$(curl -s "http://127.0.0.1:$slack_port/benchmark/counts")
outbox_after_runs=$(outbox)

# The outbox's own pace: Slack's limit lifted, the backlog delivered for up to DRAIN_SECONDS (30).
pending() { psql -XAtq -d querygate_benchmark -c "SELECT count(*) FROM slack_notifications WHERE status = 'pending'"; }
backlog=$(pending)
curl -s -X POST "http://127.0.0.1:$slack_port/benchmark/unlimited" >/dev/null
drain_started=$(date +%s.%N)
deadline=$(( $(date +%s) + ${DRAIN_SECONDS:-30} ))
while [ "$(pending)" -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
drained=$(( backlog - $(pending) ))
drain_seconds=$(python3 -c "import time; print(f'{time.time() - $drain_started:.1f}')")

python3 - "$connections" "$recorded_bolt" "$recorded_querygate" "$querygate_transactions" "$slack_said" "$outbox_after_runs" "$backlog" "$drained" "$drain_seconds" \
  "${runs[@]}" <<'PY'
import json, statistics, sys
connections, recorded_bolt, recorded_querygate, querygate_transactions, slack_said, outbox_after_runs, backlog, drained, drain_seconds, *lines = sys.argv[1:]
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
    for name, run in (("Bolt (Python)", bolt), ("QueryGate", qg)):
        per = lambda key: run[key] / run["requests"]
        print(f"    CPU per request, {name}: the app {per('app_cpu'):.2f} ms, PostgreSQL {per('pg_cpu'):.2f} ms"
              + (f", the Slack stand-in {per('slack_cpu'):.2f} ms" if name == "QueryGate" else ""))
bolts = [run for name, run in runs if name == "bolt"]
qgs = [run for name, run in runs if name == "querygate"]
ratio = statistics.median(rate(q) / rate(b) for b, q in zip(bolts, qgs))
print(f"  median of the rounds: QueryGate / Bolt throughput {ratio:.2f}× (target ≥ 2×); QueryGate p99 "
      f"{statistics.median(q['p99'] for q in qgs) / 1000:.1f} ms (target < 20 ms), Bolt p99 {statistics.median(b['p99'] for b in bolts) / 1000:.1f} ms")
print(f"  rows recorded in all: Bolt {recorded_bolt}, QueryGate {recorded_querygate} (with the warm-ups'; each request made one row)")
print(f"  QueryGate recorded its submissions in {querygate_transactions} transactions, "
      f"{int(recorded_querygate) / max(int(querygate_transactions), 1):.1f} per transaction (submissions that queue go together)")
said = json.loads(slack_said)
print(f"  QueryGate's outbox meanwhile: Slack took {said['posted']} approval messages and answered {said['rate_limited']} times 429 "
      f"(one channel, ~1 message/s); outbox rows after the runs: {outbox_after_runs}")
print(f"  the outbox's own pace, Slack's limit lifted: {drained} of {backlog} waiting rows delivered in {drain_seconds} s, "
      f"{int(drained) / max(float(drain_seconds), 0.1):.0f} deliveries/s")
PY
