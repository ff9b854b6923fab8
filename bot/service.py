"""The one object adapters talk to: ask, show an entry, record feedback.

It composes the engine (what to answer), the built-ins, the conversation
context (what a follow-up may borrow, in memory only) and the interaction log
(what happened), and times each answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from . import metrics
from .builtins import entry_reply, respond, respond_turn
from .context import Conversations
from .engine import Engine
from .knowledge import KnowledgeBase
from .log import FeedbackEvent, InteractionLog, QuestionEvent, now
from .reply import Reply
from .settings import CoreSettings

logger = logging.getLogger("role_diff")


@dataclass(frozen=True)
class Asker:
    """Who asked, where: `platform` is console/slack/discord; `channel_kind`
    is dm, channel, thread or command."""

    platform: str
    user_id: str | None = None
    channel_kind: str | None = None
    # The conversation this message belongs to (a thread, a DM, a console
    # session): follow-ups in it borrow from the previous answer. None:
    # every message stands alone.
    conversation: str | None = None


class RoleDiff:
    def __init__(
        self, engine: Engine, log: InteractionLog | None = None, conversations: Conversations | None = None
    ) -> None:
        self.engine = engine
        self.log = log or InteractionLog("", enabled=False)
        self.conversations = conversations if conversations is not None else Conversations()

    @property
    def kb(self) -> KnowledgeBase:
        return self.engine.kb

    @classmethod
    def from_settings(cls, settings: CoreSettings, *, log_enabled: bool | None = None) -> RoleDiff:
        from .cache import load_engine  # the knowledge and its index, cached between processes

        engine = load_engine()
        enabled = settings.log_enabled if log_enabled is None else log_enabled
        log = InteractionLog(
            settings.database_url,
            salt=settings.hash_salt,
            enabled=enabled,
            retention=settings.log_retention,
            flush_timeout=settings.log_flush_timeout,
        )
        return cls(engine, log)

    def ask(self, text: str, asker: Asker) -> Reply:
        start = time.perf_counter()
        key = f"{asker.platform}:{asker.conversation}" if asker.conversation else None
        reply, turn = respond_turn(self.engine, text, self.conversations.get(key), platform=asker.platform)
        if turn is not None:
            self.conversations.put(key, turn)
        latency_ms = (time.perf_counter() - start) * 1000
        if reply.kind in ("answer", "decline"):
            outcome = "answered" if reply.kind == "answer" else "declined"
        else:
            outcome = "builtin"
        metrics.question(asker.platform, outcome, latency_ms / 1000)
        self.log.record_question(
            QuestionEvent(
                platform=asker.platform,
                user_id=asker.user_id,
                channel_kind=asker.channel_kind,
                question=reply.question or (text[:2000] if isinstance(text, str) else ""),
                outcome=outcome,
                entry_id=reply.entry_id if outcome == "answered" else None,
                topic=reply.topic if outcome == "answered" else None,
                score=reply.score,
                latency_ms=latency_ms,
                at=now(),
            )
        )
        return reply

    def reply(self, text: str, platform: str | None = None) -> Reply:
        """The reply to `text` without recording a question: for showing an
        answer again (Slack's "Share in channel"), not for new questions."""
        return respond(self.engine, text, platform=platform)

    def show(self, entry_id: str) -> Reply | None:
        """An entry by id (a related or "did you mean" button); None if unknown."""
        entry = self.kb.get(entry_id)
        return entry_reply(self.kb, entry) if entry is not None else None

    def feedback(self, entry_id: str, helpful: bool, asker: Asker) -> bool:
        """Record 👍/👎 for an entry. False if the entry id is unknown."""
        if self.kb.get(entry_id) is None:
            return False
        self.log.record_feedback(FeedbackEvent(asker.platform, asker.user_id, entry_id, helpful, now()))
        metrics.feedback(asker.platform, helpful)
        return True

    def complete(self, partial: str, limit: int = 25) -> list[str]:
        return self.engine.complete(partial, limit=limit)

    def open_log(self) -> None:
        """For servers, before serving: create or upgrade the log's database now, so
        the first question does not wait for it. A failure is a warning (the log's
        writer keeps retrying, and counts what it cannot write)."""
        try:
            self.log.open()
        except Exception as exc:
            from .log import db_problem

            logger.warning("interaction log: cannot open the database yet (will retry): %s", db_problem(exc))

    def close(self) -> None:
        self.log.close()
