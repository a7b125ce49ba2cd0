"""The baseline for QueryGate's submission benchmark: a minimal Slack Bolt (Python) app doing the work of QueryGate's
request path for an inline `/query`: it verifies Slack's signature (Bolt does), parses the command's text, writes
the request and an audit row in one transaction, and answers ephemerally with the request's number.

It runs on Bolt's own asyncio server (aiohttp) with an asyncpg pool, which is how a small team would write it.
It asks Slack nothing: `authorize` answers for the one workspace, so Bolt calls no `auth.test`.

    SLACK_SIGNING_SECRET=… BOLT_DATABASE_URL=postgresql://… python bolt_app.py PORT
"""
import os
import re
import sys

import asyncpg
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id bigserial PRIMARY KEY, slack_user_id text NOT NULL, channel_id text NOT NULL, instance text NOT NULL,
    database text NOT NULL, reason text NOT NULL, query_text text NOT NULL, status text NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS audit_logs (
    id bigserial PRIMARY KEY, action text NOT NULL, request_id bigint REFERENCES requests (id), actor text NOT NULL,
    details jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
"""
# `/query <instance>/<database> <reason> ```<query>```` as QueryGate reads it.
COMMAND = re.compile(r"^\s*([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)\s+(.+?)\s*```(.+?)```\s*$", re.S)

pool = None


async def authorize(enterprise_id, team_id, logger):
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-benchmark", bot_user_id="UBOT", bot_id="BBOT")


app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], authorize=authorize)


@app.command("/query")
async def query(ack, command):
    match = COMMAND.match(command.get("text", ""))
    if not match:
        await ack(text="Usage: /query <instance>/<database> <reason> ```<query>```", response_type="ephemeral")
        return
    instance, database, reason, text = match.groups()
    async with pool.acquire() as connection:
        async with connection.transaction():
            request_id = await connection.fetchval(
                "INSERT INTO requests (slack_user_id, channel_id, instance, database, reason, query_text) "
                "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                command["user_id"], command["channel_id"], instance, database, reason, text)
            await connection.execute(
                "INSERT INTO audit_logs (action, request_id, actor, details) VALUES ('request.submitted', $1, $2, $3::jsonb)",
                request_id, command["user_id"], '{"via": "slack"}')
    await ack(text=f"Request #{request_id} is waiting for approval.", response_type="ephemeral")


async def open_pool(_):
    global pool
    pool = await asyncpg.create_pool(os.environ["BOLT_DATABASE_URL"], min_size=4, max_size=16)
    async with pool.acquire() as connection:
        await connection.execute(SCHEMA)


if __name__ == "__main__":
    # Bolt's `app.start` with the pool opened on the server's own event loop.
    from aiohttp import web
    server = app.web_app(path="/slack/commands", port=int(sys.argv[1]))
    server.on_startup.append(open_pool)
    web.run_app(server, host="127.0.0.1", port=int(sys.argv[1]), print=None)
