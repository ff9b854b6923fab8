"""Where the interaction log is stored: schema versions, migrations and two stores.

The schema is versioned with Alembic (`bot/migrations/versions`). Opening a
log brings its database to the newest version (`HEAD`) first:

- SQLite: if the file already exists at `HEAD` (a look at the
  `alembic_version` table with the standard library's `sqlite3`), nothing
  else is imported and rows are written with `sqlite3` (`SqliteStore`): a
  one-shot `role-diff ask` pays neither SQLAlchemy's nor Alembic's import.
  Otherwise Alembic creates or upgrades it, holding an exclusive lock on
  `<file>.lock`, so two processes starting on a fresh file do not race.
- Any other database (PostgreSQL): Alembic upgrades it inside a transaction
  that holds a PostgreSQL advisory lock, so replicas starting together wait
  for one another; rows are written with SQLAlchemy Core (`SaStore`).

Both stores write the same columns in the same formats (SQLite datetimes as
SQLAlchemy writes them: naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`), so the
readers (`InteractionLog.rows`, `unanswered`, the curator report) see no
difference.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

HEAD = "0002"  # the newest revision in bot/migrations/versions (a test checks they agree)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PG_LOCK_KEY = 0x726F6C65  # pg_advisory_xact_lock key for migrations ("role")
SQLITE_BUSY_TIMEOUT = 0.5  # seconds one write attempt waits for a lock; the writer retries

QUESTION_COLUMNS = (
    "asked_at",
    "platform",
    "user_hash",
    "channel_kind",
    "question",
    "outcome",
    "entry_id",
    "topic",
    "score",
    "latency_ms",
)
FEEDBACK_COLUMNS = ("given_at", "platform", "user_hash", "entry_id", "helpful")


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL; None for other databases,
    in-memory SQLite and URLs with options (those go through SQLAlchemy)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    rest = url[len("sqlite:///") :]
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def sqlite_datetime(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def create_private_file(path: Path) -> None:
    """Create `path` (and its directory) readable and writable by its owner only, if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


# -- schema version and migrations ---------------------------------------------------------


def sqlite_version(path: Path) -> str | None:
    """The Alembic revision of an existing SQLite file (None: absent, empty or unversioned)."""
    if not path.is_file():
        return None
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row else None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    lock = path.with_name(path.name + ".lock")
    create_private_file(lock)
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to `HEAD` (creating it if needed); returns
    (revision before, revision after). Safe to run from several processes at once."""
    path = sqlite_path(url)
    if path is not None:
        create_private_file(path)
        with _file_lock(path):
            before = sqlite_version(path)
            if before == HEAD:
                return before, HEAD
            import sqlite3

            with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
                # WAL: readers never block the writer; set once, it stays with the file.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA journal_mode=WAL")
            return before, _alembic_upgrade(url)
    return _alembic_upgrade_locked(url)


def create_engine(url: str, **kw: Any) -> Any:
    """A SQLAlchemy engine; PostgreSQL connections give up after 10 s instead of the OS's minutes."""
    import sqlalchemy as sa

    if url.startswith("postgresql"):
        kw.setdefault("connect_args", {"connect_timeout": 10})
    return sa.create_engine(url, **kw)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _current(connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _alembic_upgrade(url: str) -> str:
    from alembic import command

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
            return _current(conn) or HEAD
    finally:
        engine.dispose()


def _alembic_upgrade_locked(url: str) -> tuple[str | None, str]:
    import sqlalchemy as sa
    from alembic import command

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # held until this transaction ends: replicas starting together take turns
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            before = _current(conn)
            if before != HEAD:
                command.upgrade(_alembic_config(conn), "head")
            return before, _current(conn) or HEAD
    finally:
        engine.dispose()


# -- stores ----------------------------------------------------------------------------------


class Store(Protocol):
    def insert(self, questions: Sequence[dict[str, Any]], feedback: Sequence[dict[str, Any]]) -> None: ...
    def claim(self, keys: Sequence[str], at: datetime) -> bool: ...
    def prune(self, before: datetime | None, claims_before: datetime) -> tuple[int, int]: ...
    def forget(self, user_hash: str) -> tuple[int, int]: ...
    def take_legacy_salt(self) -> str | None: ...
    def close(self) -> None: ...


def open_store(url: str) -> Store:
    path = sqlite_path(url)
    if path is not None:
        if sqlite_version(path) != HEAD:
            upgrade(url)
        return SqliteStore(path)
    upgrade(url)
    return SaStore(url)


_INSERT_CLAIM = "INSERT INTO event_claims (claim_key, claimed_at) VALUES (?, ?) ON CONFLICT DO NOTHING"


class SqliteStore:
    """The standard library's sqlite3, one connection shared under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: Any = None

    def _connection(self) -> Any:
        if self._conn is None:
            import sqlite3

            conn = sqlite3.connect(
                self.path, timeout=SQLITE_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across a crash of this process
            self._conn = conn
        return self._conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def insert(self, questions: Sequence[dict[str, Any]], feedback: Sequence[dict[str, Any]]) -> None:
        q_sql = f"INSERT INTO questions ({', '.join(QUESTION_COLUMNS)}) VALUES ({', '.join('?' * 10)})"
        f_sql = f"INSERT INTO feedback ({', '.join(FEEDBACK_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
        q_rows = [
            tuple(sqlite_datetime(r[c]) if c == "asked_at" else r[c] for c in QUESTION_COLUMNS) for r in questions
        ]
        f_rows = [
            tuple(
                sqlite_datetime(r[c]) if c == "given_at" else (int(r[c]) if c == "helpful" else r[c])
                for c in FEEDBACK_COLUMNS
            )
            for r in feedback
        ]
        with self._transaction() as conn:
            if q_rows:
                conn.executemany(q_sql, q_rows)
            if f_rows:
                conn.executemany(f_sql, f_rows)

    def claim(self, keys: Sequence[str], at: datetime) -> bool:
        fresh = True
        with self._transaction() as conn:
            for key in sorted(keys):
                cur = conn.execute(_INSERT_CLAIM, (key, sqlite_datetime(at)))
                fresh = fresh and cur.rowcount == 1
        return fresh

    def prune(self, before: datetime | None, claims_before: datetime) -> tuple[int, int]:
        with self._transaction() as conn:
            nq = nf = 0
            if before is not None:
                cut = sqlite_datetime(before)
                nq = conn.execute("DELETE FROM questions WHERE asked_at < ?", (cut,)).rowcount
                nf = conn.execute("DELETE FROM feedback WHERE given_at < ?", (cut,)).rowcount
            conn.execute("DELETE FROM event_claims WHERE claimed_at < ?", (sqlite_datetime(claims_before),))
        return nq, nf

    def forget(self, user_hash: str) -> tuple[int, int]:
        with self._transaction() as conn:
            nq = conn.execute("DELETE FROM questions WHERE user_hash = ?", (user_hash,)).rowcount
            nf = conn.execute("DELETE FROM feedback WHERE user_hash = ?", (user_hash,)).rowcount
        return nq, nf

    def take_legacy_salt(self) -> str | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM log_meta WHERE name = 'salt'").fetchone()
            if row is not None:
                conn.execute("DELETE FROM log_meta WHERE name = 'salt'")
        return str(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class SaStore:
    """SQLAlchemy Core over a connection pool (PostgreSQL, or SQLite URLs with options)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self._sa = sa
        self.engine = create_engine(url, pool_pre_ping=True)

    def insert(self, questions: Sequence[dict[str, Any]], feedback: Sequence[dict[str, Any]]) -> None:
        from .log import _tables

        _, _, q_table, f_table, _ = _tables()
        with self.engine.begin() as conn:
            if questions:
                conn.execute(q_table.insert(), list(questions))
            if feedback:
                conn.execute(f_table.insert(), list(feedback))

    def claim(self, keys: Sequence[str], at: datetime) -> bool:
        sql = self._sa.text("INSERT INTO event_claims (claim_key, claimed_at) VALUES (:k, :at) ON CONFLICT DO NOTHING")
        fresh = True
        with self.engine.begin() as conn:
            for key in sorted(keys):
                fresh = conn.execute(sql, {"k": key, "at": at}).rowcount == 1 and fresh
        return fresh

    def prune(self, before: datetime | None, claims_before: datetime) -> tuple[int, int]:
        text = self._sa.text
        with self.engine.begin() as conn:
            nq = nf = 0
            if before is not None:
                nq = conn.execute(text("DELETE FROM questions WHERE asked_at < :t"), {"t": before}).rowcount
                nf = conn.execute(text("DELETE FROM feedback WHERE given_at < :t"), {"t": before}).rowcount
            conn.execute(text("DELETE FROM event_claims WHERE claimed_at < :t"), {"t": claims_before})
        return nq, nf

    def forget(self, user_hash: str) -> tuple[int, int]:
        text = self._sa.text
        with self.engine.begin() as conn:
            nq = conn.execute(text("DELETE FROM questions WHERE user_hash = :h"), {"h": user_hash}).rowcount
            nf = conn.execute(text("DELETE FROM feedback WHERE user_hash = :h"), {"h": user_hash}).rowcount
        return nq, nf

    def take_legacy_salt(self) -> str | None:
        text = self._sa.text
        with self.engine.begin() as conn:
            row = conn.execute(text("SELECT value FROM log_meta WHERE name = 'salt'")).first()
            if row is not None:
                conn.execute(text("DELETE FROM log_meta WHERE name = 'salt'"))
        return str(row[0]) if row else None

    def close(self) -> None:
        self.engine.dispose()
