"""A short-lived memory of what this process has already answered.

Slack may deliver one question more than once: it retries an event it
thinks was not acknowledged (same `event_id`, with `X-Slack-Retry-Num`), and
a mention in a DM, or with `message.channels` subscribed, also arrives as a
`message` event (another `event_id`, the same channel and `ts`). The handlers
ask `first(...)` with every key of an event; only the first delivery gets
True. Entries expire after `ttl` seconds (Slack retries within minutes), and
the cache never holds more than `max_size` keys.

This is per process: replicas behind a load balancer do not share it, so a
retry that lands on another replica can be answered twice. Slack only retries
when the first delivery was not acknowledged within 3 seconds, which role-diff
always does well within, so this is rare.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


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
