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


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def discord_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record from the discord and role_diff loggers; the test fails on any ERROR."""
    handler = _Collect()
    loggers = [logging.getLogger("discord"), logging.getLogger("role_diff")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    errors = [f"{r.name}: {r.getMessage()}" for r in handler.records if r.levelno >= logging.ERROR]
    assert not errors, "ERROR logged during the test:\n" + "\n".join(errors)


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
