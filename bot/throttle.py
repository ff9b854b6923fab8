"""Rate-limited log lines: what repeats under attack or failure is said once per interval.

`Throttle.log(level, key, message, *args)` writes at most one line per `key`
every `interval` seconds; the next line written for that key says how many
were held back in between ("... (37 more like it since the last report)"), so nothing is
lost silently and a flood of bad requests cannot flood the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class Throttle:
    def __init__(
        self, logger: logging.Logger, interval: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def log(self, level: int, key: str, message: str, *args: object) -> bool:
        """Log `message % args` unless `key` was logged within `interval`; True if written."""
        self.counts[key] = self.counts.get(key, 0) + 1
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        held = self._held.pop(key, 0)
        self._last[key] = now
        if held:
            message = f"{message} ({held} more like it since the last report)"
        self.logger.log(level, message, *args)
        return True
