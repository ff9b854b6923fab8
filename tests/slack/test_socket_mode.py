"""Socket Mode end to end: bolt's aiohttp Socket Mode handler opens a connection with
apps.connections.open, receives envelopes from the fake's websocket and acks them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.slack import blocks as bk
from adapters.slack.app import create_bot
from adapters.slack.handlers import SlackBot
from adapters.slack.settings import SlackSettings
from bot.service import RoleDiff
from tests.slack.fake import (
    APP_TOKEN,
    CHANNEL,
    FakeSlack,
    block_action,
    command_fields,
    event_callback,
    mention,
    message,
)

QUESTION = "what skills does a data scientist need"


@dataclass
class SocketBot:
    handler: Any
    bot: SlackBot
    fake: FakeSlack


@pytest.fixture
async def socket_bot(fake: FakeSlack, service: RoleDiff) -> AsyncIterator[SocketBot]:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    settings = SlackSettings(bot_token=fake.bot_token, app_token=APP_TOKEN, api_url=fake.api_url)
    app, bot = create_bot(service, settings)
    handler = AsyncSocketModeHandler(app, settings.app_token)
    await handler.connect_async()
    await fake.connected()
    try:
        yield SocketBot(handler, bot, fake)
    finally:
        await bot.drain()
        await handler.close_async()


async def test_connects_with_the_app_token(socket_bot: SocketBot) -> None:
    (opened,) = socket_bot.fake.of("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_slash_command_envelope_is_acked_with_the_answer(socket_bot: SocketBot) -> None:
    fake = socket_bot.fake
    fields = command_fields(QUESTION, response_url=fake.response_url("sm"))
    envelope_id = await fake.send_envelope("slash_commands", fields, accepts_response_payload=True)
    ack = await fake.ack(envelope_id)
    payload = ack["payload"]
    assert payload["response_type"] == "ephemeral"
    assert payload["blocks"][0]["type"] == "header"
    assert payload["text"] and "rd_fb_up:" in str(payload["blocks"])
    assert bk.SHARE in str(payload["blocks"])
    await socket_bot.bot.drain()
    assert not fake.of("chat.postMessage") and not fake.of("response_url")


async def test_events_are_acked_and_answered_once(socket_bot: SocketBot) -> None:
    fake = socket_bot.fake
    body = event_callback(mention(QUESTION, ts="1700001000.000001"), event_id="Ev0SOCKET")
    first = await fake.send_envelope("events_api", body, accepts_response_payload=False)
    retry = await fake.send_envelope("events_api", body, accepts_response_payload=False, retry_attempt=1)
    dm = event_callback(message(QUESTION, ts="1700001000.000002"))
    third = await fake.send_envelope("events_api", dm, accepts_response_payload=False)
    for envelope_id in (first, retry, third):
        assert (await fake.ack(envelope_id)) == {"envelope_id": envelope_id}
    await socket_bot.bot.drain()
    posts = fake.bodies("chat.postMessage")
    assert [(p["channel"], p.get("thread_ts")) for p in posts] == [
        (CHANNEL, "1700001000.000001"),
        ("D0ALICE", None),
    ]


async def test_button_click_over_socket_mode(socket_bot: SocketBot) -> None:
    fake = socket_bot.fake
    payload = block_action("rd_show:skills", "skills", response_url=fake.response_url("smb"))
    envelope_id = await fake.send_envelope("interactive", payload, accepts_response_payload=False)
    assert (await fake.ack(envelope_id))["envelope_id"] == envelope_id
    await socket_bot.bot.drain()
    await fake.wait_for(lambda: bool(fake.of("response_url")))
    (shown,) = fake.bodies("response_url")
    assert shown["response_type"] == "ephemeral" and shown["blocks"][0]["type"] == "header"
