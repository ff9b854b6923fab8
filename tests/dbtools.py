"""Helpers for tests that look into the interaction log's database or block it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from bot import logdb


def count(url: str, table: str = "questions") -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


@contextlib.contextmanager
def locked(url: str) -> Iterator[None]:
    """Another process's view: a transaction holding the log's tables so nobody else can write."""
    path = logdb.sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database) as conn:
        conn.execute("LOCK TABLE questions, feedback IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()
