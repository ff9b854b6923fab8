"""Interaction-log failures say what failed and what to do, through the real log writer
(SQLAlchemy on SQLite; a driver that is not installed), never just an exception's class,
never the password, and at most once a minute per kind."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.dberrors import explain
from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import Asker, RoleDiff
from tests.logcapture import collect_logs


def warnings_after(engine: Engine, url: str, questions: int = 1) -> tuple[list[str], InteractionLog]:
    log = InteractionLog(url)
    service = RoleDiff(engine, log)
    with collect_logs("role_diff") as records:
        for _ in range(questions):
            assert service.ask("what is mlops", Asker("console")).kind == "answer"
        log.flush()
    log.close()
    return [r.getMessage() for r in records if r.levelno == logging.WARNING], log


def test_a_missing_driver_says_which_and_how_to_install(engine: Engine) -> None:
    lines, log = warnings_after(engine, "postgresql+pg8000://role:s3cret-pw@127.0.0.1:1/rd")
    assert log.failures == 1
    (line,) = lines
    assert "the PostgreSQL driver pg8000 named in ROLE_DIFF_DATABASE_URL is not installed: pip install pg8000" in line
    assert "pip install 'role-diff[postgresql]'" in line
    assert "s3cret-pw" not in line


def test_psycopg_missing_names_the_postgresql_extra() -> None:
    try:
        import psycopg  # noqa: F401
    except ModuleNotFoundError as exc:
        error = exc
    else:  # installed (the postgresql extra): the message is still checked on the same error
        error = ModuleNotFoundError("No module named 'psycopg'", name="psycopg")
    text = explain(error, "postgresql+psycopg://role:pw@db/rd")
    assert text == (
        "the PostgreSQL driver (psycopg) is not installed: install the postgresql extra: "
        "pip install 'role-diff[postgresql]' (the psycopg driver)"
    )


def test_a_locked_sqlite_file_says_another_process_holds_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    InteractionLog(f"sqlite:///{path}").rows("questions")  # creates the tables
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing
    try:
        lines, log = warnings_after(engine, f"sqlite:///{path}?timeout=0.2", questions=3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert log.failures == 3
    assert len(lines) == 1  # once a minute, however many fail
    assert f"the SQLite file {path} is locked by another process" in lines[0]
    assert "(1 lost so far)" in lines[0]


def test_an_unwritable_location_says_what_to_check(engine: Engine, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    lines, _ = warnings_after(engine, f"sqlite:///{blocker / 'sub' / 'log.db'}")
    (line,) = lines
    assert line.startswith("interaction log write failed: could not record a question (1 lost so far): ")
    assert "check the path in ROLE_DIFF_DATABASE_URL and its permissions" in line


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("unable to open database file", "check that its directory exists and is writable"),
        ("attempt to write a readonly database", "is read-only"),
        ("database or disk is full", "is full: free space"),
        ('connection failed: Connection refused\n\tIs the server running on "127.0.0.1"', "cannot reach"),
        ('FATAL:  password authentication failed for user "role"', "refused the user or password"),
    ],
)
def test_operational_errors_in_words(message: str, expected: str) -> None:
    from sqlalchemy.exc import OperationalError

    error = OperationalError("INSERT ...", {}, Exception(message))
    text = explain(error, "postgresql+psycopg://role:pw@127.0.0.1:5432/rd")
    assert expected in text
    assert "pw@" not in text and "OperationalError" not in text
