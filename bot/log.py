"""The interaction log: what people ask, what the bot did, and feedback.

SQLAlchemy Core with portable SQL (SQLite by default; PostgreSQL works with
the same code). Writes happen in batches on a background thread so that logging never
delays or breaks an answer, and nothing is lost silently: what cannot be
written is counted (`stats()`) and reported once at close (see
`InteractionLog`). Storage, schema versions and migrations are in
`logdb`. User ids are stored only as salted HMAC-SHA256 hashes; the salt
lives outside the database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

logger = logging.getLogger("role_diff.log")

SQLITE_BUSY_TIMEOUT = 0.5  # as in logdb (not imported here: it is only needed at close)


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


def default_salt_file() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("role-diff", appauthor=False)) / "hash-salt"


def db_problem(exc: BaseException) -> str:
    """What went wrong and what to do, in one phrase (never a URL or secret)."""
    text = str(exc).lower()
    name = getattr(exc, "name", None) or ""
    if isinstance(exc, ModuleNotFoundError) or "no module named" in text or "can't load plugin" in text:
        missing = name or text.rsplit(" ", 1)[-1].strip("'\"")
        if "psycopg2" in text + name:
            hint = "write the URL as postgresql+psycopg://... and pip install 'role-diff[postgresql]'"
        elif "psycopg" in text + name:
            hint = "install the postgresql extra: pip install 'role-diff[postgresql]'"
        else:
            hint = ""
        return f"a database driver is not installed ({missing}){': ' + hint if hint else ''}"
    if "locked" in text or "busy" in text:
        return (
            "the database is locked by another process: stop what holds it (an open sqlite3 shell, a backup) "
            "or raise ROLE_DIFF_LOG_FLUSH_TIMEOUT"
        )
    if "unable to open database file" in text or isinstance(exc, (NotADirectoryError, PermissionError)):
        return "cannot open the database file: check that ROLE_DIFF_DATABASE_URL names a writable place"
    if "connection" in text or "could not connect" in text or "server closed" in text:
        return "cannot reach the database server: check ROLE_DIFF_DATABASE_URL and that the server runs"
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _row_error(exc: BaseException) -> bool:
    """An error caused by the rows themselves (retrying the batch cannot help)."""
    return type(exc).__name__ in {"IntegrityError", "DataError"}


CLAIM_TTL = timedelta(days=1)  # event claims are kept this long (Slack retries within minutes)
UPGRADE_WAIT = 30.0  # seconds close() waits for a schema creation or upgrade in progress
MAINTENANCE_EVERY = 3600.0  # seconds between retention prunes


class InteractionLog:
    """Records questions and feedback; `enabled=False` makes it a no-op.

    Recording never blocks an answer for long and never raises. Events go to
    a bounded in-memory queue (`queue_size`); one background thread writes
    them in batches, one transaction per batch (up to `BATCH` rows).

    - A failed write is retried (backoff up to 1 s) until it succeeds or the
      log closes; a warning names the cause once per run of failures. Rows
      the database itself refuses (a constraint) are written one by one and
      the refused ones counted as failed.
    - Full queue (the database stalls for long): `record_*` waits up to
      `put_timeout` seconds for room, then drops the *oldest* queued event
      and counts it as `dropped` (the newest are the most useful to keep).
    - `close()` waits up to `flush_timeout` seconds for the queue to be
      written (longer, up to `UPGRADE_WAIT`, only while the schema is being
      created or upgraded on first use), then counts what is left as
      `failed` and logs one line with the numbers, the cause and what to do.

    `stats()` gives the counters: written, dropped, failed, queued.
    """

    BATCH = 500

    def __init__(
        self,
        url: str,
        *,
        salt: str | None = None,
        enabled: bool = True,
        salt_file: Path | None = None,
        retention: timedelta | None = None,
        flush_timeout: float = 3.0,
        queue_size: int = 10_000,
        put_timeout: float = 0.05,
    ) -> None:
        self.url = url
        self.enabled = enabled and bool(url)
        self.retention = retention
        self.flush_timeout = flush_timeout
        self.queue_size = queue_size
        self.put_timeout = put_timeout
        self._salt = salt
        self._salt_file = salt_file
        self._pending: deque[QuestionEvent | FeedbackEvent] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._store: Any = None
        self._store_lock = threading.Lock()
        self._salt_lock = threading.Lock()
        self._engine: Any = None  # SQLAlchemy engine for reading (rows, unanswered)
        self._written = self._dropped = self._failed = self._inflight = 0
        self._stopping = False
        self._abandoned = False
        self._deadline = 0.0
        self._cause: str | None = None
        self._failing = False
        self._drop_warned = False
        self._next_maintenance = 0.0
        self._reported = False
        self._opening = False

    # -- counters ------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Rows written, dropped (queue full), failed (given up) and queued now."""
        with self._cond:
            return {
                "written": self._written,
                "dropped": self._dropped,
                "failed": self._failed,
                "queued": len(self._pending) + self._inflight,
            }

    @property
    def failures(self) -> int:
        """Rows lost so far: dropped plus failed."""
        with self._cond:
            return self._dropped + self._failed

    # -- writing -------------------------------------------------------------

    def record_question(self, event: QuestionEvent) -> None:
        self._put(event)

    def record_feedback(self, event: FeedbackEvent) -> None:
        self._put(event)

    def _put(self, event: QuestionEvent | FeedbackEvent) -> None:
        if not self.enabled:
            return
        with self._cond:
            if self._stopping:
                self._failed += 1
                self._cause = self._cause or "recorded after the log was closed"
                return
            if self._thread is None:
                # prune at start only with a retention; expired event claims wait for the hourly round
                self._next_maintenance = 0.0 if self.retention else time.monotonic() + MAINTENANCE_EVERY
                self._thread = threading.Thread(target=self._run, name="role-diff-log", daemon=True)
                self._thread.start()
            if len(self._pending) >= self.queue_size:
                self._cond.wait_for(lambda: len(self._pending) < self.queue_size, timeout=self.put_timeout)
            if len(self._pending) >= self.queue_size:
                self._pending.popleft()
                self._dropped += 1
                if not self._drop_warned:
                    self._drop_warned = True
                    logger.warning(
                        "interaction log queue is full (%d events; the database is not keeping up: %s): "
                        "dropping the oldest events, counted",
                        self.queue_size,
                        self._cause or "slow writes",
                    )
            self._pending.append(event)
            self._cond.notify_all()

    def _run(self) -> None:
        batch: list[QuestionEvent | FeedbackEvent] = []
        backoff = 0.05
        while True:
            with self._cond:
                if self._abandoned:
                    return
                if not batch:
                    while not self._pending and not self._stopping:
                        if not self._cond.wait(timeout=max(0.0, self._next_maintenance - time.monotonic())):
                            break
                    if not self._pending and self._stopping:
                        return
                    if self._stopping and time.monotonic() >= self._deadline:  # no new write after the deadline
                        self._failed += len(self._pending)
                        self._pending.clear()
                        self._cond.notify_all()
                        return
                    while self._pending and len(batch) < self.BATCH:
                        batch.append(self._pending.popleft())
                    self._inflight = len(batch)
                    self._cond.notify_all()  # room for producers waiting on a full queue
                elif self._stopping and time.monotonic() >= self._deadline:
                    self._failed += len(batch) + len(self._pending)
                    self._pending.clear()
                    self._inflight = 0
                    self._cond.notify_all()
                    return
            if not batch:  # woke up for maintenance
                self._maintain()
                continue
            try:
                written, refused = self._write(batch)
            except Exception as exc:
                self._note_failure(exc)
                with self._cond:
                    left = self._deadline - time.monotonic() if self._stopping else backoff
                    self._cond.wait(timeout=max(0.0, min(backoff, left)))
                backoff = min(backoff * 2, 1.0)
                continue
            with self._cond:
                if self._abandoned:
                    return
                self._written += written
                self._failed += refused
                self._inflight = 0
                self._cond.notify_all()
            batch = []
            backoff = 0.05
            if self._failing:
                self._failing = False
                logger.warning("interaction log: writing again")
            if time.monotonic() >= self._next_maintenance:
                self._maintain()

    def _note_failure(self, exc: BaseException) -> None:
        cause = db_problem(exc)
        with self._cond:
            self._cause = cause
        if not self._failing:
            self._failing = True
            logger.warning("interaction log write failed (will retry): %s", cause)

    def _maintain(self) -> None:
        """Prune rows older than the retention and expired event claims (hourly)."""
        self._next_maintenance = time.monotonic() + MAINTENANCE_EVERY
        try:
            store = self._open()
            cutoff = now() - self.retention if self.retention is not None else None
            nq, nf = store.prune(cutoff, now() - CLAIM_TTL)
        except Exception as exc:
            self._next_maintenance = time.monotonic() + 60.0
            logger.warning("interaction log: pruning old rows failed (will retry): %s", db_problem(exc))
            return
        if nq or nf:
            logger.info("interaction log: pruned %d questions and %d feedback rows older than the retention", nq, nf)

    def _write(self, batch: list[QuestionEvent | FeedbackEvent]) -> tuple[int, int]:
        """Write a batch in one transaction: (rows written, rows the database refused)."""
        store = self._open()
        rows = [self._row(e) for e in batch]
        questions = [r for kind, r in rows if kind == "q"]
        feedback = [r for kind, r in rows if kind == "f"]
        try:
            store.insert(questions, feedback)
            return len(rows), 0
        except Exception as exc:
            if not _row_error(exc):
                raise
        written = refused = 0
        for kind, r in rows:
            try:
                store.insert([r] if kind == "q" else [], [r] if kind == "f" else [])
                written += 1
            except Exception as exc:
                if not _row_error(exc):
                    raise
                refused += 1
                with self._cond:
                    self._cause = db_problem(exc)
                logger.warning("interaction log: the database refused a row: %s", db_problem(exc))
        return written, refused

    def _row(self, event: QuestionEvent | FeedbackEvent) -> tuple[str, dict[str, Any]]:
        if isinstance(event, QuestionEvent):
            return "q", {
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
        return "f", {
            "given_at": event.at,
            "platform": event.platform,
            "user_hash": self.hash_user(event.platform, event.user_id),
            "entry_id": event.entry_id,
            "helpful": event.helpful,
        }

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded so far is written (or given up); False on timeout."""
        with self._cond:
            if self._thread is None:
                return True
            return self._cond.wait_for(lambda: not self._pending and not self._inflight, timeout=timeout)

    def close(self) -> None:
        """Write what is queued (waiting at most `flush_timeout` s), then report
        once what could not be written."""
        thread = self._thread
        if thread is not None:
            with self._cond:
                self._stopping = True
                self._deadline = time.monotonic() + self.flush_timeout
                self._cond.notify_all()
            # creating or upgrading the schema (first use) may take longer than a flush: it may take
            # up to UPGRADE_WAIT, and the flush timeout starts again when it is done (see _open)
            opening_end = time.monotonic() + max(self.flush_timeout, UPGRADE_WAIT)
            while thread.is_alive():
                t = time.monotonic()
                with self._cond:
                    end = self._deadline + SQLITE_BUSY_TIMEOUT + 0.5  # the last attempt may be under way
                if t >= end and not (self._opening and t < opening_end):
                    break
                thread.join(timeout=0.05)
            if thread.is_alive():  # stuck in the database driver: give up on what it holds
                with self._cond:
                    self._abandoned = True
                    self._failed += len(self._pending) + self._inflight
                    self._pending.clear()
                    self._inflight = 0
                    self._cause = self._cause or (
                        "the database did not answer within ROLE_DIFF_LOG_FLUSH_TIMEOUT (a lock held by another "
                        "session, or an overloaded server): find what blocks it, or raise ROLE_DIFF_LOG_FLUSH_TIMEOUT"
                    )
        with self._cond:
            self._stopping = True
            lost, failed, dropped, written = self._failed + self._dropped, self._failed, self._dropped, self._written
            cause = self._cause
        if lost and not self._reported:
            self._reported = True
            logger.error(
                "interaction log: %d of %d rows could not be written (%d failed, %d dropped from a full queue): %s",
                lost,
                lost + written,
                failed,
                dropped,
                cause or "the database did not keep up with the questions: check its load and latency",
            )
        with self._store_lock:
            if self._store is not None and not (thread is not None and thread.is_alive()):
                self._store.close()
                self._store = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- database ------------------------------------------------------------

    def _open(self) -> Any:
        """The store (created or upgraded on first use); thread-safe."""
        with self._store_lock:
            if self._store is None:
                from .logdb import open_store

                self._opening = True
                try:
                    self._store = open_store(self.url)
                finally:
                    with self._cond:
                        if self._stopping:  # the schema took a while: the flush gets its full time
                            self._deadline = max(self._deadline, time.monotonic() + self.flush_timeout)
                    self._opening = False
            return self._store

    def open(self) -> None:
        """Create or upgrade the database now rather than on the first write (a
        server about to serve: the first question then finds it ready). Raises
        what opening raises."""
        if self.enabled:
            self._open()

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the database to the newest schema now: (revision before, after)."""
        from .logdb import upgrade

        return upgrade(self.url)

    def _db(self) -> Any:
        """A SQLAlchemy engine for reading (the schema brought up to date first)."""
        if self._engine is None:
            from .logdb import create_engine

            self._open()
            self._engine = create_engine(self.url)
        return self._engine

    def _salt_value(self) -> str:
        """ROLE_DIFF_HASH_SALT, else the salt file (0600, created on first use;
        a salt an older version kept in the database moves there)."""
        with self._salt_lock:
            if self._salt is None:
                path = self._salt_file or default_salt_file()
                if path.is_file():
                    value = path.read_text(encoding="utf-8").strip()
                else:
                    value = self._legacy_salt() or secrets.token_hex(32)
                    from .logdb import create_private_file

                    create_private_file(path)
                    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        f.write(value + "\n")
                    if not self.url.startswith("sqlite"):
                        logger.warning(
                            "ROLE_DIFF_HASH_SALT is not set: user ids are hashed with a salt generated in %s; "
                            "set the same ROLE_DIFF_HASH_SALT on every instance sharing this database",
                            path,
                        )
                if not value:
                    raise ValueError(f"the salt file {path} is empty: delete it or set ROLE_DIFF_HASH_SALT")
                self._salt = value
        return self._salt

    def _legacy_salt(self) -> str | None:
        if not self.enabled:
            return None
        try:
            from .logdb import open_store

            store = self._store or open_store(self.url)
            value = store.take_legacy_salt()
            if store is not self._store:
                store.close()
            return value
        except Exception:
            return None

    def hash_user(self, platform: str, user_id: str | None) -> str | None:
        if not user_id:
            return None
        digest = hmac.new(self._salt_value().encode(), f"{platform}:{user_id}".encode(), hashlib.sha256)
        return digest.hexdigest()

    # -- claims and erasure --------------------------------------------------

    def claim(self, keys: list[str]) -> bool:
        """Insert-if-absent of event keys in the shared database: True if none
        was claimed before (by this or any other process). Raises on failure."""
        return bool(self._open().claim(keys, now()))

    def forget(self, platform: str, user_id: str) -> tuple[int, int]:
        """Erase one person's questions and feedback: (questions, feedback) deleted."""
        user_hash = self.hash_user(platform, user_id)
        assert user_hash is not None
        return self._open().forget(user_hash)

    def prune(self) -> tuple[int, int]:
        """Delete rows older than the retention now: (questions, feedback) deleted."""
        cutoff = now() - self.retention if self.retention is not None else None
        return self._open().prune(cutoff, now() - CLAIM_TTL)

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
