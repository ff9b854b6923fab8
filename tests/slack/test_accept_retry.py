"""asyncio retries a failed accept (out of descriptors) once a second, and may
schedule the retry twice (CPython issue 151615); a retry that runs after the
server closed its socket raises 'Invalid file descriptor: -1' from
`_start_serving`. The server's exception handler drops exactly that report."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.slack.http import _guard_accept
from bot.throttle import Throttle


def _context(loop: asyncio.AbstractEventLoop, callback: object, exc: BaseException) -> dict[str, object]:
    handle = asyncio.TimerHandle(loop.time(), callback, (), loop)  # type: ignore[arg-type]
    return {"message": f"Exception in callback {handle!r}", "exception": exc, "handle": handle}


def test_a_stale_accept_retry_is_not_reported_but_other_errors_are(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        _guard_accept(loop, Throttle(logging.getLogger("role_diff.test"), 60.0))
        stale = _context(loop, loop._start_serving, ValueError("Invalid file descriptor: -1"))  # type: ignore[attr-defined]
        with caplog.at_level(logging.DEBUG):
            loop.call_exception_handler(stale)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("accept retry ran after the server stopped" in r.getMessage() for r in caplog.records)
        caplog.clear()

        def other() -> None:
            pass

        with caplog.at_level(logging.DEBUG):
            loop.call_exception_handler(_context(loop, other, ValueError("Invalid file descriptor: -1")))
            loop.call_exception_handler(_context(loop, loop._start_serving, RuntimeError("boom")))  # type: ignore[attr-defined]
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 2
    finally:
        loop.close()
