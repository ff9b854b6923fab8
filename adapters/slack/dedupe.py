"""A short-lived memory of what this process has already answered.

Slack may deliver one question more than once: it retries an event it
thinks was not acknowledged (same `event_id`, with `X-Slack-Retry-Num`), and
a mention in a DM, or with `message.channels` subscribed, also arrives as a
`message` event (another `event_id`, the same channel and `ts`). The handlers
ask `first(...)` with every key of an event; only the first delivery gets
True. Entries expire after `ttl` seconds (Slack retries within minutes), and
the cache never holds more than `max_size` keys.

`Dedupe` is per process. With the interaction log on, `SharedDedupe` also
claims the keys in the log's database (a unique key, insert-if-absent), so
replicas behind a load balancer sharing one database answer an event once,
whichever replica a retry or the second of the `app_mention`/`message` pair
reaches. With `ROLE_DIFF_LOG=off` only the in-memory dedupe remains.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

logger = logging.getLogger("role_diff.slack")


class Dedupe:
    def __init__(self, ttl: float = 600.0, max_size: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first(self, *keys: Hashable | None) -> bool:
        """True if none of the keys was seen within `ttl`; marks them all as seen either way."""
        now = self._clock()
        self._expire(now)
        wanted = [k for k in keys if k is not None]
        fresh = not any(k in self._seen for k in wanted)
        for key in wanted:
            self._seen[key] = now
            self._seen.move_to_end(key)
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return fresh

    def _expire(self, now: float) -> None:
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if now - at < self.ttl:
                break
            del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)

    async def first_async(self, *keys: Hashable | None) -> bool:
        return self.first(*keys)


class SharedDedupe:
    """The in-memory `Dedupe` first (cheap, and exact within this process), then
    a claim of the same keys in a shared database through `claim(keys) -> bool`
    (run off the event loop). If the database cannot be asked, the event is
    answered (a possible duplicate beats silence), counted and logged."""

    def __init__(self, claim: Callable[[list[str]], bool], local: Dedupe | None = None, prefix: str = "slack") -> None:
        self.local = local or Dedupe()
        self._claim = claim
        self.prefix = prefix
        self.failures = 0

    def keys(self, keys: Sequence[Hashable | None]) -> list[str]:
        out = []
        for key in keys:
            if key is None:
                continue
            parts = key if isinstance(key, tuple) else (key,)
            out.append(":".join([self.prefix, *(str(p) for p in parts)])[:200])
        return out

    def first(self, *keys: Hashable | None) -> bool:
        if not self.local.first(*keys):
            return False
        return self._shared(self.keys(keys))

    async def first_async(self, *keys: Hashable | None) -> bool:
        if not self.local.first(*keys):
            return False
        return await asyncio.to_thread(self._shared, self.keys(keys))

    def _shared(self, keys: list[str]) -> bool:
        if not keys:
            return True
        try:
            return self._claim(keys)
        except Exception as exc:
            self.failures += 1
            from bot.log import db_problem

            logger.warning("slack: could not check the shared dedupe (answering anyway): %s", db_problem(exc))
            return True

    def __len__(self) -> int:
        return len(self.local)
