"""Interaction-log failures say what failed and what to do (bot/dberrors.py), never just an
exception's class, never the password. The log writer's own failure lines (locked, unwritable,
a missing driver) are tested through the real writer in tests/test_log.py and
tests/slack/test_log_locked.py."""

from __future__ import annotations

import logging

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
