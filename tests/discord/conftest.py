"""Fixtures: a fake Discord on 127.0.0.1, the real discord.py bot against it,
and a guard that fails any test on an ERROR logged by discord.py or role-diff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.bot import RoleDiffBot, create_bot, endpoints
from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import RoleDiff
from tests.discord.fake import FakeDiscord
from tests.logcapture import collect_logs


@pytest.fixture(autouse=True)
def discord_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record from the discord and role_diff loggers; the test fails on any ERROR."""
    with collect_logs("discord", "role_diff") as records:
        yield records


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        with endpoints(server.api_url, server.gateway_url):  # restored afterwards: they are process-wide
            yield server
    finally:
        await server.close()
    assert not server.unknown, f"requests the fake does not know: {[(c.method, c.path) for c in server.unknown]}"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[InteractionLog]:
    interaction_log = InteractionLog("sqlite:///" + str(tmp_path / "interactions.sqlite3"), enabled=True)
    interaction_log.open()  # the schema is created before the test, not by its first question
    yield interaction_log
    interaction_log.close()


@pytest.fixture
def service(engine: Engine, log: InteractionLog) -> RoleDiff:
    return RoleDiff(engine, log)


StartBot = Callable[..., Awaitable[RoleDiffBot]]


@pytest.fixture
async def start_bot(fake: FakeDiscord, service: RoleDiff, tmp_path: Path) -> AsyncIterator[StartBot]:
    """Start the real bot against the fake; waits until it is ready. Bots are closed afterwards."""
    running: list[tuple[RoleDiffBot, asyncio.Task[None]]] = []

    async def start(**options: Any) -> RoleDiffBot:
        options.setdefault("state_dir", tmp_path / "state")
        options.setdefault("guild_ready_timeout", 0.01)
        bot = create_bot(options.pop("service", service), **options)
        task = asyncio.create_task(bot.start(fake.token))
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # raises what start() raised
            raise AssertionError("the bot did not become ready within 10 s")
        return bot

    async def stop_all() -> None:
        for bot, task in running:
            await bot.close()
            await asyncio.wait_for(task, 5)

    start.stop_all = stop_all  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        await stop_all()
        running.clear()
