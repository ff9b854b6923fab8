"""A connection dropped while the bot replies: the real discord.py client against the
fake Discord, which cuts the connection after the request arrived (the client sees
`aiohttp.ServerDisconnectedError`). The reply is retried with backoff and arrives;
when every attempt is dropped, one warning line says so and the bot goes on. No
"Ignoring exception in on_message" (an ERROR: the conftest guard fails the test)."""

from __future__ import annotations

import logging

import pytest

from adapters.discord import retry
from tests.discord.fake import CHANNEL_ID, FakeDiscord

QUESTION = "what is the difference between a data scientist and an ml engineer"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BASE_DELAY", 0.05)


def warnings(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.name == "role_diff.discord" and r.levelno == logging.WARNING]


async def test_a_reply_dropped_mid_send_is_retried_and_arrives(fake: FakeDiscord, start_bot, discord_logs) -> None:
    await start_bot()
    fake.drops[f"POST /channels/{CHANNEL_ID}/messages"] = 2
    await fake.user_message("{bot} " + QUESTION)
    await fake.wait_for(lambda: len(fake.posted(CHANNEL_ID)) == 3, timeout=10)
    assert len(fake.dropped) == 2
    first, _, delivered = fake.posted(CHANNEL_ID)
    assert delivered.body == first.body  # the same reply, sent again
    # with the same nonce, enforced: Discord would not create it twice had a dropped attempt got through
    assert {c.body["nonce"] for c in fake.posted(CHANNEL_ID)} == {first.body["nonce"]}
    assert first.body["enforce_nonce"] is True
    assert delivered.body["embeds"][0]["title"] == "Data scientist vs ML engineer, the core difference"
    assert warnings(discord_logs) == []
    assert not [r for r in discord_logs if r.exc_info]


async def test_when_every_attempt_is_dropped_one_line_says_so(fake: FakeDiscord, start_bot, discord_logs) -> None:
    await start_bot()
    fake.drops[f"POST /channels/{CHANNEL_ID}/messages"] = retry.ATTEMPTS
    await fake.user_message("{bot} " + QUESTION)
    await fake.wait_for(lambda: any("gave up" in w for w in warnings(discord_logs)), timeout=10)
    assert len(fake.dropped) == retry.ATTEMPTS
    (line,) = warnings(discord_logs)
    assert line.startswith(f"could not reply in channel {CHANNEL_ID}: channel message: gave up after 3 attempts: ")
    assert "ServerDisconnectedError" in line
    assert not [r for r in discord_logs if r.exc_info]
    # and the bot goes on: the next question is answered
    await fake.user_message("{bot} " + QUESTION)
    await fake.wait_for(lambda: len(fake.posted(CHANNEL_ID)) == retry.ATTEMPTS + 1, timeout=10)


async def test_a_dropped_interaction_response_is_retried(fake: FakeDiscord, start_bot, discord_logs) -> None:
    await start_bot()
    fake.drops["POST /interactions/"] = 1
    call = await fake.interact(fake.slash(QUESTION), timeout=10)
    assert call.body["data"]["embeds"][0]["title"] == "Data scientist vs ML engineer, the core difference"
    assert len(fake.dropped) == 1
    assert warnings(discord_logs) == []
