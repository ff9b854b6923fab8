"""Fixtures: a fake Slack on 127.0.0.1, the real slack-bolt app against it (HTTP mode
served by our aiohttp server, or Socket Mode), and a guard that fails any test on
an ERROR logged by slack_bolt, slack_sdk or role-diff."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack.app import create_bot
from adapters.slack.handlers import SlackBot
from adapters.slack.http import build_web_app, serve
from adapters.slack.settings import SlackSettings
from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import RoleDiff
from tests.logcapture import collect_logs
from tests.slack.fake import SIGNING_SECRET, FakeSlack, command_body, event_callback, signed_headers

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk honours HTTP(S)_PROXY but not NO_PROXY: these tests talk to loopback only."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def slack_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record from slack_bolt, slack_sdk and role_diff; the test fails on any ERROR."""
    with collect_logs("slack_bolt", "slack_sdk", "role_diff") as records:
        yield records


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.close()
    assert not server.unknown, f"requests the fake does not know: {[c.method for c in server.unknown]}"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[InteractionLog]:
    interaction_log = InteractionLog("sqlite:///" + str(tmp_path / "interactions.sqlite3"), enabled=True)
    interaction_log.open()  # the schema is created before the test, not by its first question
    yield interaction_log
    interaction_log.close()


@pytest.fixture
def service(engine: Engine, log: InteractionLog) -> RoleDiff:
    return RoleDiff(engine, log)


@dataclass
class HttpBot:
    """The real bolt app behind role-diff's aiohttp server, and a client that talks like Slack."""

    url: str
    app: Any
    bot: SlackBot
    fake: FakeSlack
    session: aiohttp.ClientSession

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        all_headers = {
            "Content-Type": content_type,
            **(signed_headers(body) if signed is None else signed),
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text(), resp.headers.get("Content-Type", "")

    async def command(self, text: str, **kw: Any) -> tuple[int, str, str]:
        kw.setdefault("response_url", self.fake.response_url("cmd"))
        return await self.post(command_body(text, **kw), "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, headers: dict[str, str] | None = None
    ) -> int:
        body = json.dumps(event_callback(event, event_id=event_id))
        status, _, _ = await self.post(body, "application/json", headers=headers)
        return status

    async def action(self, payload: dict[str, Any]) -> int:
        body = urlencode({"payload": json.dumps(payload)})
        status, _, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status

    async def settle(self) -> None:
        """Wait until every background post of the bot is done."""
        await self.bot.drain()


@pytest.fixture
def http_settings(fake: FakeSlack) -> SlackSettings:
    return SlackSettings(bot_token=fake.bot_token, signing_secret=SIGNING_SECRET, api_url=fake.api_url)


@pytest.fixture
async def http_bot(fake: FakeSlack, service: RoleDiff, http_settings: SlackSettings) -> AsyncIterator[HttpBot]:
    app, bot = create_bot(service, http_settings)
    runner, port = await serve(build_web_app(app), "127.0.0.1", 0)
    session = aiohttp.ClientSession()
    try:
        yield HttpBot(f"http://127.0.0.1:{port}/slack/events", app, bot, fake, session)
    finally:
        await session.close()
        await bot.drain()
        await runner.cleanup()
