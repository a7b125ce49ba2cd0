-- wrk: the same signed `/query` submission again and again. The signature covers the body and a timestamp taken
-- when the run starts, which stays inside Slack's five minutes for the run. The body, timestamp and signature
-- come from the environment (scripts/benchmarks/submissions.sh makes them).
wrk.method = "POST"
wrk.body = os.getenv("SUBMISSION_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Slack-Request-Timestamp"] = os.getenv("SUBMISSION_TIMESTAMP")
wrk.headers["X-Slack-Signature"] = os.getenv("SUBMISSION_SIGNATURE")

-- One line wrk's caller reads: requests, requests per second, and latencies in microseconds.
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d seconds=%.2f p50=%d p90=%d p99=%d max=%d\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
