"""Retrying what the network drops.

discord.py retries rate limits (429) and some 5xx by itself, but a connection
that drops while a reply is being sent (`aiohttp.ServerDisconnectedError`,
a reset, a timeout) escapes from `channel.send` and the reply is lost. Here
such transient network errors are retried with exponential backoff (0.5 s,
then 1 s, with a little jitter); when the last attempt fails too, the caller
gets `GaveUp` and logs one line. Errors Discord answered (`discord.HTTPException`:
403, 404, ...) are not retried here: retrying would not change the answer.

A retry after a drop cannot post a channel message twice: every attempt
carries the same nonce and discord.py sets `enforce_nonce`, so Discord
returns the message it already created. An interaction response that did
arrive is refused the second time ("already acknowledged"), one warning.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from bot.clikit import describe

logger = logging.getLogger("role_diff.discord")

T = TypeVar("T")
ATTEMPTS = 3
BASE_DELAY = 0.5  # seconds; doubled after each failed attempt
TRANSIENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectionError,  # ServerDisconnectedError, ClientOSError (resets), connection refused
    aiohttp.ClientPayloadError,
    ConnectionError,
    TimeoutError,
)


class GaveUp(Exception):
    """Every attempt failed with a transient network error."""

    def __init__(self, what: str, attempts: int, last: BaseException) -> None:
        self.what = what
        self.attempts = attempts
        self.last = last
        super().__init__(f"{what}: gave up after {attempts} attempts: {describe(last)}")


async def with_retries(
    what: str, call: Callable[[], Awaitable[T]], *, attempts: int | None = None, base_delay: float | None = None
) -> T:
    """Await `call()`, again after a transient network error, at most `attempts` times."""
    tries = ATTEMPTS if attempts is None else attempts
    delay = BASE_DELAY if base_delay is None else base_delay
    for attempt in range(1, tries + 1):
        try:
            return await call()
        except TRANSIENT as exc:
            if attempt >= tries:
                raise GaveUp(what, tries, exc) from exc
            wait = delay * 2 ** (attempt - 1) * (1 + random.random() / 5)
            logger.debug("%s failed (%s); retrying in %.2f s", what, describe(exc), wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
