"""Two Slack HTTP-mode replicas behind a (pretend) load balancer, sharing one
PostgreSQL interaction log: an event and its retries, or the app_mention/message
pair of one message, are answered once whichever replica each delivery reaches."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.app import create_bot
from adapters.slack.dedupe import Dedupe, SharedDedupe
from adapters.slack.http import build_web_app, serve
from adapters.slack.settings import SlackSettings
from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import RoleDiff
from tests.slack.conftest import HttpBot
from tests.slack.fake import BOT_USER, CHANNEL, FakeSlack, event_callback, mention, message

QUESTION = "what is the difference between a data scientist and an ml engineer"


@pytest.fixture
async def replicas(
    fake: FakeSlack, engine: Engine, http_settings: SlackSettings, pg_url: str, tmp_path: Path
) -> AsyncIterator[list[HttpBot]]:
    bots: list[HttpBot] = []
    cleanups = []
    session = aiohttp.ClientSession()
    logs = [InteractionLog(pg_url, salt="shared", salt_file=tmp_path / f"salt{i}") for i in range(2)]
    try:
        for log in logs:
            app, bot = create_bot(RoleDiff(engine, log), http_settings)
            runner, port = await serve(build_web_app(app), "127.0.0.1", 0)
            cleanups.append((bot, runner))
            bots.append(HttpBot(f"http://127.0.0.1:{port}/slack/events", app, bot, fake, session))
        yield bots
    finally:
        await session.close()
        for bot, runner in cleanups:
            await bot.drain()
            await runner.cleanup()
        for log in logs:
            log.close()


async def test_a_retry_reaching_the_other_replica_is_not_answered_again(replicas: list[HttpBot]) -> None:
    a, b = replicas
    assert all(isinstance(r.bot.dedupe, SharedDedupe) for r in replicas)
    event = mention(QUESTION, ts="1700000500.000001")
    assert await a.event(event, event_id="Ev0REPLICA") == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert await b.event(event, event_id="Ev0REPLICA", headers=retry) == 200
    # the same message as a `message` event, with its own event id, to the other replica again
    text = f"<@{BOT_USER}> {QUESTION}"
    assert await b.event(message(text, ts="1700000500.000001", channel=CHANNEL), event_id="Ev0PAIR") == 200
    for r in replicas:
        await r.settle()
    posts = a.fake.bodies("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == "1700000500.000001"
    # only the replica that answered asked the engine, so one question is logged
    logs = [r.bot.service.log for r in replicas]
    for log in logs:
        assert log.flush()
    assert sum(log.stats()["written"] for log in logs) == 1
    assert len(logs[0].rows("questions")) == 1


async def test_simultaneous_deliveries_to_both_replicas_answer_once(replicas: list[HttpBot]) -> None:
    for n in range(5):
        ts = f"1700000600.00000{n}"
        body = json.dumps(event_callback(mention(QUESTION, ts=ts), event_id=f"Ev0SAME{n}"))
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        statuses = await asyncio.gather(
            replicas[0].post(body, "application/json"), replicas[1].post(body, "application/json", headers=retry)
        )
        assert [s[0] for s in statuses] == [200, 200]
    for r in replicas:
        await r.settle()
    posts = replicas[0].fake.bodies("chat.postMessage")
    assert sorted(p["thread_ts"] for p in posts) == [f"1700000600.00000{n}" for n in range(5)]


async def test_with_the_log_off_the_memory_dedupe_remains(
    fake: FakeSlack, http_settings: SlackSettings, engine: Engine
) -> None:
    _, bot = create_bot(RoleDiff(engine, InteractionLog("", enabled=False)), http_settings)
    assert type(bot.dedupe) is Dedupe


async def test_shared_dedupe_answers_when_the_database_cannot_be_asked(slack_logs) -> None:
    def broken(keys: list[str]) -> bool:
        raise OSError("unable to open database file")

    dedupe = SharedDedupe(broken)
    assert await dedupe.first_async(("event", "E1")) is True  # answered rather than dropped
    assert await dedupe.first_async(("event", "E1")) is False  # the memory still dedupes in this process
    assert dedupe.failures == 1
    assert any("could not check the shared dedupe" in r.getMessage() for r in slack_logs)
