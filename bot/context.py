"""Conversation context: what the previous turn of a conversation was about.

People ask in threads and DMs, one short message after another: "what does a
data scientist do?", "and how much do they make?", "what about ML
engineers?". The service keeps, per conversation key, the last answered
turn's tokens (role names and topic words, never the text) in memory, for a
short time and within a size bound; nothing is written to disk. The engine
decides how a follow-up borrows from it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_TTL_S = 600.0  # a conversation's context lasts ten minutes
DEFAULT_MAX_CONVERSATIONS = 10_000


@dataclass(frozen=True)
class Turn:
    """The last answered turn: the entry and the tokens it was matched on
    (a follow-up's tokens include what it borrowed)."""

    entry_id: str
    tokens: tuple[str, ...]
    topic: str = ""
    roles: tuple[str, ...] = ()  # the roles the conversation has named so far


class Conversations:
    """A bounded, expiring map from conversation key to its last Turn.

    Safe to share between threads (Slack's handlers run in a pool)."""

    def __init__(
        self,
        ttl_s: float = DEFAULT_TTL_S,
        max_size: int = DEFAULT_MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._clock = clock
        self._turns: OrderedDict[str, tuple[float, Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Turn | None:
        if not key:
            return None
        with self._lock:
            item = self._turns.get(key)
            if item is None:
                return None
            at, turn = item
            if self._clock() - at > self.ttl_s:
                del self._turns[key]
                return None
            return turn

    def put(self, key: str | None, turn: Turn) -> None:
        if not key:
            return
        with self._lock:
            self._turns[key] = (self._clock(), turn)
            self._turns.move_to_end(key)
            while len(self._turns) > self.max_size:
                self._turns.popitem(last=False)

    def forget(self, key: str | None) -> None:
        if key:
            with self._lock:
                self._turns.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)
