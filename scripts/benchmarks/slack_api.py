"""Slack's Web API as the submission benchmark's QueryGate meets it: every method answers `ok`, and
`chat.postMessage` keeps Slack's own limit on one channel, about one message a second with short bursts
(https://api.slack.com/methods/chat.postMessage#rate_limiting); past it Slack answers HTTP 429 with a Retry-After.
Sixteen connections submitting into one pod's channel are far past it, in Slack as here: the approval messages
wait in QueryGate's outbox, and its worker sleeps the pause out, as it would against Slack.

    python slack_api.py PORT

`GET /benchmark/counts` answers what was asked (posted, refused with 429, other calls); `POST
/benchmark/unlimited` lifts the limit, so that the benchmark can time the outbox delivering its backlog as fast
as it can.
"""
import sys
import time

from aiohttp import web

BURST = 5            # messages a channel takes at once
PER_SECOND = 1.0     # and then, on average

counts = {"posted": 0, "rate_limited": 0, "other": 0}
buckets = {}         # channel -> (tokens, when they were counted)
unlimited = False


def take(channel):
    """Whether `channel` may take one more message now (a token bucket per channel)."""
    now = time.monotonic()
    tokens, then = buckets.get(channel, (BURST, now))
    tokens = min(BURST, tokens + (now - then) * PER_SECOND)
    if tokens < 1:
        buckets[channel] = (tokens, now)
        return False
    buckets[channel] = (tokens - 1, now)
    return True


async def method(request):
    name = request.match_info["method"]
    if name != "chat.postMessage":
        counts["other"] += 1
        return web.json_response({"ok": True})
    arguments = await request.json()
    channel = arguments.get("channel", "")
    if not unlimited and not take(channel):
        counts["rate_limited"] += 1
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
    counts["posted"] += 1
    ts = "%.6f" % time.time()
    return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": {"text": arguments.get("text", ""), "ts": ts}})


async def lift_limit(_):
    global unlimited
    unlimited = True
    return web.json_response({"ok": True})


async def report(_):
    return web.json_response(counts)


app = web.Application()
app.add_routes([web.post("/api/{method}", method), web.post("/benchmark/unlimited", lift_limit), web.get("/benchmark/counts", report)])

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
