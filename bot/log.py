"""The interaction log: what people ask, what the bot did, and feedback.

SQLAlchemy Core with portable SQL (SQLite by default; PostgreSQL works with
the same code). Writes happen on a background thread so that logging never
delays or breaks an answer: a failed write is logged as a warning and
dropped. User ids are stored only as salted HMAC-SHA256 hashes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .throttle import Throttle

logger = logging.getLogger("role_diff.log")

_STOP = object()


@functools.cache
def _tables() -> Any:
    import sqlalchemy as sa

    meta = sa.MetaData()
    questions = sa.Table(
        "questions",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=True),
        sa.Column("channel_kind", sa.String(16), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),  # answered | declined | builtin
        sa.Column("entry_id", sa.String(80), nullable=True),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=True),
    )
    # For `role-diff report` (bot/report.py) on big logs: the questions behind
    # a 👎; on SQLite, the per-day counts and the declined questions read in
    # index order (no sort of every row). PostgreSQL hash-aggregates instead.
    sa.Index("ix_questions_user_entry", questions.c.user_hash, questions.c.entry_id, questions.c.asked_at)
    sa.Index(
        "ix_questions_day",
        sa.func.date(questions.c.asked_at),
        questions.c.platform,
        questions.c.outcome,
        questions.c.entry_id,
        questions.c.asked_at,
    ).ddl_if(dialect="sqlite")
    sa.Index(
        "ix_questions_declined",
        questions.c.question,
        questions.c.platform,
        questions.c.asked_at,
        sqlite_where=questions.c.outcome == sa.literal_column("'declined'"),
    ).ddl_if(dialect="sqlite")
    feedback = sa.Table(
        "feedback",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=True),
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
    )
    settings = sa.Table(
        "log_meta",
        meta,
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    return sa, meta, questions, feedback, settings


@dataclass(frozen=True)
class QuestionEvent:
    platform: str
    user_id: str | None
    channel_kind: str | None
    question: str
    outcome: str
    entry_id: str | None
    topic: str | None
    score: float | None
    latency_ms: float
    at: datetime


@dataclass(frozen=True)
class FeedbackEvent:
    platform: str
    user_id: str | None
    entry_id: str
    helpful: bool
    at: datetime


@dataclass(frozen=True)
class Unanswered:
    question: str
    count: int
    last_asked: datetime
    variants: tuple[str, ...]


def now() -> datetime:
    return datetime.now(UTC)


class InteractionLog:
    """Records questions and feedback; `enabled=False` makes it a no-op."""

    def __init__(self, url: str, *, salt: str | None = None, enabled: bool = True) -> None:
        self.url = url
        self.enabled = enabled and bool(url)
        self._salt = salt
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._engine: Any = None
        self._lock = threading.Lock()
        self.failures = 0
        self._throttle = Throttle(logger, 60.0)  # a database that is down says so once a minute

    # -- writing -------------------------------------------------------------

    def record_question(self, event: QuestionEvent) -> None:
        self._put(event)

    def record_feedback(self, event: FeedbackEvent) -> None:
        self._put(event)

    def _put(self, event: Any) -> None:
        if not self.enabled:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failures += 1
            logger.warning("interaction log queue is full; an event was dropped")

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="role-diff-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is _STOP:
                    return
                self._write(event)
            except Exception as exc:  # never let logging break anything
                self.failures += 1
                from .dberrors import explain

                self._throttle.log(
                    logging.WARNING,
                    type(exc).__name__,
                    "interaction log write failed: could not record a %s (%d lost so far): %s",
                    "rating" if isinstance(event, FeedbackEvent) else "question",
                    self.failures,
                    explain(exc, self.url),
                )
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything recorded so far is written (or failed)."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def close(self) -> None:
        if self._thread is not None:
            self.flush()
            self._queue.put(_STOP)
            self._thread.join(timeout=5)
            self._thread = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- database ------------------------------------------------------------

    def _db(self) -> Any:
        if self._engine is None:
            sa, meta, *_ = _tables()
            if self.url.startswith("sqlite:///"):
                path = Path(self.url[len("sqlite:///") :])
                if str(path) not in ("", ":memory:"):
                    path.parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(self.url, future=True)
            meta.create_all(engine)
            self._engine = engine
        return self._engine

    def _salt_value(self) -> str:
        if self._salt is None:
            sa, _, _, _, meta_table = _tables()
            with self._db().begin() as conn:
                row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.name == "salt")).first()
                if row is None:
                    value = secrets.token_hex(16)
                    conn.execute(meta_table.insert().values(name="salt", value=value))
                else:
                    value = row[0]
            self._salt = value
        return self._salt

    def hash_user(self, platform: str, user_id: str | None) -> str | None:
        if not user_id:
            return None
        digest = hmac.new(self._salt_value().encode(), f"{platform}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()

    def _write(self, event: Any) -> None:
        _, _, questions, feedback, _ = _tables()
        db = self._db()
        if isinstance(event, QuestionEvent):
            row = {
                "asked_at": event.at,
                "platform": event.platform,
                "user_hash": self.hash_user(event.platform, event.user_id),
                "channel_kind": event.channel_kind,
                "question": event.question,
                "outcome": event.outcome,
                "entry_id": event.entry_id,
                "topic": event.topic,
                "score": event.score,
                "latency_ms": event.latency_ms,
            }
            with db.begin() as conn:
                conn.execute(questions.insert().values(**row))
        elif isinstance(event, FeedbackEvent):
            row = {
                "given_at": event.at,
                "platform": event.platform,
                "user_hash": self.hash_user(event.platform, event.user_id),
                "entry_id": event.entry_id,
                "helpful": event.helpful,
            }
            with db.begin() as conn:
                conn.execute(feedback.insert().values(**row))

    # -- reading -------------------------------------------------------------

    def rows(self, table: str) -> list[dict[str, Any]]:
        sa, _, questions, feedback, _ = _tables()
        t = {"questions": questions, "feedback": feedback}[table]
        with self._db().connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]

    def unanswered(self, since: timedelta | None = None, limit: int = 50) -> list[Unanswered]:
        """Declined questions, near-identical ones grouped, most frequent first
        (grouped by text in SQL, then clustered: see bot/report.py)."""
        from .report import unanswered_groups

        return unanswered_groups(self._db(), since=since, limit=limit)
