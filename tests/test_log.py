"""The interaction log: questions, feedback, hashing, batching, failures, migrations,
retention and erasure. Every test that touches a database runs on SQLite and on a
real PostgreSQL server (`db_url`)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import logdb
from bot.engine import Engine
from bot.log import FeedbackEvent, InteractionLog, QuestionEvent, _tables, now
from bot.service import Asker, RoleDiff
from tests.dbtools import count, locked

ROOT = Path(__file__).resolve().parent.parent


def make_log(url: str, tmp_path: Path, **kw: Any) -> InteractionLog:
    kw.setdefault("salt_file", tmp_path / "salt")
    return InteractionLog(url, **kw)


def question(i: int = 0, user: str | None = "U1", at: Any = None, platform: str = "slack") -> QuestionEvent:
    return QuestionEvent(platform, user, "channel", f"question {i}", "declined", None, None, None, 1.0, at or now())


def cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ROLE_DIFF_LOG": "on", **env},
        cwd=ROOT,
    )


# -- recording ---------------------------------------------------------------------------------


def test_questions_and_feedback_are_recorded_with_hashed_users(engine: Engine, db_url: str, tmp_path: Path) -> None:
    log = make_log(db_url, tmp_path)
    service = RoleDiff(engine, log)
    asker = Asker("slack", "U0SECRET1", "channel")
    answered = service.ask("what is mlops", asker)
    declined = service.ask("what's the weather tomorrow", asker)
    assert answered.kind == "answer" and declined.kind == "decline"
    assert service.feedback(answered.entry_id or "", True, asker) is True
    assert service.feedback("no-such-entry", True, asker) is False
    assert log.flush()
    rows = log.rows("questions")
    assert [r["outcome"] for r in rows] == ["answered", "declined"]
    assert rows[0]["entry_id"] == answered.entry_id and rows[0]["topic"] == answered.topic
    assert rows[1]["entry_id"] is None
    assert rows[0]["platform"] == "slack" and rows[0]["channel_kind"] == "channel"
    assert rows[0]["latency_ms"] >= 0
    assert rows[0]["user_hash"] and "U0SECRET1" not in rows[0]["user_hash"]
    assert len(rows[0]["user_hash"]) == 64
    fb = log.rows("feedback")
    assert len(fb) == 1 and fb[0]["helpful"] is True and fb[0]["user_hash"] == rows[0]["user_hash"]
    log.close()
    assert log.stats() == {"written": 3, "dropped": 0, "failed": 0, "queued": 0}
    path = logdb.sqlite_path(db_url)
    if path is not None:
        assert b"U0SECRET1" not in path.read_bytes()


def test_batches_keep_every_row_and_close_is_prompt(db_url: str, tmp_path: Path) -> None:
    log = make_log(db_url, tmp_path, flush_timeout=30)
    for i in range(3000):
        log.record_question(question(i, user=f"U{i % 7}"))
        if i % 1000 == 0:
            log.record_feedback(FeedbackEvent("discord", "U1", "mlops", i % 2 == 0, now()))
    log.close()
    assert log.stats() == {"written": 3003, "dropped": 0, "failed": 0, "queued": 0}
    assert count(db_url) == 3000 and count(db_url, "feedback") == 3
    assert [r["question"] for r in log.rows("questions")[:3]] == ["question 0", "question 1", "question 2"]


def test_disabled_log_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'off.db'}"
    log = InteractionLog(url, enabled=False, salt_file=tmp_path / "salt")
    RoleDiff(engine, log).ask("what is mlops", Asker("console"))
    log.close()
    assert not (tmp_path / "off.db").exists() and not (tmp_path / "salt").exists()
    assert log.stats()["written"] == 0


# -- failures are counted and said ---------------------------------------------------------------


def test_unwritable_database_never_stops_an_answer_and_is_reported(
    engine: Engine, db_url: str, tmp_path: Path, caplog
) -> None:
    if logdb.sqlite_path(db_url) is not None:
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        url, cause = f"sqlite:///{blocker / 'sub' / 'log.db'}", "cannot open the database file"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"  # port 9 (discard): nothing listens
        cause = "cannot reach the database server"
    log = make_log(url, tmp_path, flush_timeout=0.5)
    service = RoleDiff(engine, log)
    with caplog.at_level(logging.WARNING, logger="role_diff.log"):
        replies = [service.ask("what is mlops", Asker("console")) for _ in range(3)]
        assert not log.flush(timeout=0.3)
        log.close()
    assert all(r.kind == "answer" for r in replies)
    assert log.stats() == {"written": 0, "dropped": 0, "failed": 3, "queued": 0}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and cause in warnings[0]  # once per run of failures, not per row
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "3 of 3 rows could not be written" in errors[0] and cause in errors[0]


def test_locked_database_full_queue_drops_oldest_and_close_counts_the_rest(db_url: str, tmp_path: Path, caplog) -> None:
    log = make_log(db_url, tmp_path, queue_size=5, put_timeout=0.01, flush_timeout=0.5)
    log.record_question(question(0))
    assert log.flush()
    with locked(db_url), caplog.at_level(logging.WARNING, logger="role_diff.log"):
        log.record_question(question(1))
        deadline = time.monotonic() + 10
        while log.stats()["queued"] != 1 or log._pending:  # the writer holds it, stuck on the lock
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for i in range(2, 10):  # 5 fit in the queue; the 3 oldest of them are dropped
            log.record_question(question(i))
        assert log.stats() == {"written": 1, "dropped": 3, "failed": 0, "queued": 6}
        log.close()
        assert log.stats() == {"written": 1, "dropped": 3, "failed": 6, "queued": 0}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "9 of 10 rows could not be written (6 failed, 3 dropped" in errors[0]
    assert count(db_url) == 1 or logdb.sqlite_path(db_url) is None  # PostgreSQL: the held row may land later


def test_cli_batch_keeps_every_row_and_exits_promptly(db_url: str, tmp_path: Path) -> None:
    n = 1500
    env = {"ROLE_DIFF_DATABASE_URL": db_url, "ROLE_DIFF_LOG_FLUSH_TIMEOUT": "3"}
    stdin = "".join(f"what is mlops {i}\n" for i in range(n))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ROLE_DIFF_LOG": "on", **env},
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    lines = proc.stdout.readlines()
    last_answer = time.monotonic()
    proc.wait(timeout=60)
    after = time.monotonic() - last_answer
    assert proc.returncode == 0, proc.stderr.read()
    assert len(lines) == n and json.loads(lines[-1])["question"] == f"what is mlops {n - 1}"
    assert count(db_url) == n
    # close waits at most ROLE_DIFF_LOG_FLUSH_TIMEOUT (+ one write attempt): never the 15 s it used to hang
    assert after < 3 + 2, after
    assert proc.stderr.read() == ""


def test_cli_stopped_while_locked_reports_the_exact_number_lost(db_url: str, tmp_path: Path) -> None:
    env = {"ROLE_DIFF_DATABASE_URL": db_url, "ROLE_DIFF_LOG_FLUSH_TIMEOUT": "1"}
    assert cli("db", "upgrade", env=env).returncode == 0
    with locked(db_url):
        out = cli("ask", "--json", env=env, stdin="what is mlops\n" * 50)
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 50
    lines = [line for line in out.stderr.splitlines() if "ERROR" in line]
    assert len(lines) == 1, out.stderr
    assert "50 of 50 rows could not be written (50 failed, 0 dropped" in lines[0]
    if logdb.sqlite_path(db_url) is not None:
        assert "the database is locked by another process" in lines[0]


# -- the salt and the files ----------------------------------------------------------------------


def test_salt_from_the_environment_or_a_private_file_never_the_database(db_url: str, tmp_path: Path) -> None:
    a = make_log(db_url, tmp_path, salt="one")
    b = make_log(db_url, tmp_path, salt="two")
    assert a.hash_user("slack", "U1") == a.hash_user("slack", "U1")
    assert a.hash_user("slack", "U1") != b.hash_user("slack", "U1")
    assert a.hash_user("slack", "U1") != a.hash_user("discord", "U1")
    assert a.hash_user("slack", None) is None
    assert not (tmp_path / "salt").exists()  # an explicit salt writes no file

    c = make_log(db_url, tmp_path)
    c.record_question(question(1))
    c.close()
    salt_file = tmp_path / "salt"
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    salt = salt_file.read_text().strip()
    assert len(salt) == 64
    d = make_log(db_url, tmp_path)  # a later process reads the same file
    assert (
        d.hash_user("slack", "U1")
        == c.hash_user("slack", "U1")
        == make_log(db_url, tmp_path, salt=salt).hash_user("slack", "U1")
    )
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM log_meta")).scalar_one() == 0
    engine.dispose()
    path = logdb.sqlite_path(db_url)
    if path is not None:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert salt.encode() not in path.read_bytes()
    for log in (a, b, d):
        log.close()


def test_older_database_is_upgraded_keeping_rows_and_its_salt_moves_to_the_file(db_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    # what role-diff 0.1 created: create_all, the salt in log_meta
    _, meta, questions, _, log_meta = _tables()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(log_meta.insert().values(name="salt", value="old-salt"))
        conn.execute(
            questions.insert().values(
                asked_at=now(), platform="slack", user_hash="h", question="old", outcome="declined"
            )
        )
    engine.dispose()
    log = make_log(db_url, tmp_path)
    assert log.hash_user("slack", "U1") == make_log(db_url, tmp_path, salt="old-salt").hash_user("slack", "U1")
    assert (tmp_path / "salt").read_text().strip() == "old-salt"
    log.record_question(question(1))
    log.close()
    assert [r["question"] for r in log.rows("questions")] == ["old", "question 1"]
    assert count(db_url, "log_meta") == 0
    assert logdb.upgrade(db_url) == ("0002", "0002")


def test_head_is_the_newest_migration() -> None:
    versions = sorted(p.name.split("_")[0] for p in (logdb.MIGRATIONS / "versions").glob("0*.py"))
    assert versions[-1] == logdb.HEAD


def test_db_upgrade_command(db_url: str) -> None:
    env = {"ROLE_DIFF_DATABASE_URL": db_url}
    first = cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("schema version (new) -> 0002")
    again = cli("db", "upgrade", env=env)
    assert again.stdout.strip().endswith("already at schema version 0002")
    assert count(db_url, "event_claims") == 0


_RACER = """
import sys, time
from pathlib import Path
from bot.log import InteractionLog, QuestionEvent, now
url, start, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
log = InteractionLog(url, salt="s")
while time.time() < start:
    time.sleep(0.001)
for i in range(20):
    log.record_question(QuestionEvent("slack", "U1", "dm", f"{name} {i}", "declined", None, None, None, 1.0, now()))
log.close()
print(log.stats()["written"])
"""


def test_two_processes_starting_on_a_fresh_database_do_not_race(db_url: str) -> None:
    start = time.time() + 2.0  # both have imported everything by then; they open the database together
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, db_url, str(start), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name in ("a", "b")
    ]
    results = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and out.strip() == "20" and "ERROR" not in err, err
    assert count(db_url) == 40
    assert logdb.upgrade(db_url) == ("0002", "0002")


def test_a_one_shot_ask_on_an_up_to_date_sqlite_file_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    probe = (
        "import sys; from bot.cli import main; code = main(['ask', 'what is mlops']); "
        "print('IMPORTED' if {'sqlalchemy', 'alembic'} & set(sys.modules) else 'NOT IMPORTED'); sys.exit(code)"
    )

    def run() -> str:
        out = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "ROLE_DIFF_LOG": "on", "ROLE_DIFF_DATABASE_URL": url},
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()[-1]

    assert run() == "IMPORTED"  # creating the file needs Alembic
    assert run() == "NOT IMPORTED"
    assert count(url) == 2


# -- claims, retention, erasure -------------------------------------------------------------------


def test_claims_are_insert_if_absent_across_logs_and_threads(db_url: str, tmp_path: Path) -> None:
    a, b = make_log(db_url, tmp_path), make_log(db_url, tmp_path)
    assert a.claim(["slack:event:E1", "slack:message:C1:1.0"]) is True
    assert b.claim(["slack:event:E1"]) is False  # a retry on another replica
    assert b.claim(["slack:event:E2", "slack:message:C1:1.0"]) is False  # the same message, another event
    assert a.claim(["slack:event:E3"]) is True
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def racer(log: InteractionLog) -> None:
        barrier.wait()
        results.append(log.claim(["slack:event:RACE"]))

    threads = [threading.Thread(target=racer, args=(a if i % 2 else b,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    a.close()
    b.close()


def test_retention_prunes_old_rows(db_url: str, tmp_path: Path) -> None:
    log = make_log(db_url, tmp_path)  # no retention: everything is kept
    old, recent = now() - timedelta(days=91), now() - timedelta(days=89)
    log.record_question(question(1, at=old))
    log.record_question(question(2, at=recent))
    log.record_feedback(FeedbackEvent("slack", "U1", "mlops", True, old))
    log.record_feedback(FeedbackEvent("slack", "U1", "mlops", False, recent))
    log.close()
    assert count(db_url) == 2 and count(db_url, "feedback") == 2
    # a process with ROLE_DIFF_LOG_RETENTION=90d prunes at start (and hourly)
    again = make_log(db_url, tmp_path, retention=timedelta(days=90))
    again.record_question(question(3))
    again.close()
    assert [r["question"] for r in again.rows("questions")] == ["question 2", "question 3"]
    assert [r["helpful"] for r in again.rows("feedback")] == [False]
    # and the command does it on demand
    older = make_log(db_url, tmp_path)
    older.record_question(question(4, at=now() - timedelta(days=100)))
    older.close()
    out = cli("log", "prune", env={"ROLE_DIFF_DATABASE_URL": db_url, "ROLE_DIFF_LOG_RETENTION": "90d"})
    assert out.returncode == 0, out.stderr
    assert "pruned 1 question(s) and 0 feedback row(s) older than 90d" in out.stdout
    assert count(db_url) == 2
    unset = cli("log", "prune", env={"ROLE_DIFF_DATABASE_URL": db_url})
    assert unset.returncode == 1 and "ROLE_DIFF_LOG_RETENTION is not set" in unset.stderr


def test_forget_erases_one_persons_rows(db_url: str, tmp_path: Path) -> None:
    salt = "shared-salt"
    log = make_log(db_url, tmp_path, salt=salt)
    for user, platform in [("U123", "slack"), ("U123", "slack"), ("U999", "slack"), ("U123", "discord")]:
        log.record_question(question(user=user, platform=platform))
    log.record_feedback(FeedbackEvent("slack", "U123", "mlops", True, now()))
    log.close()
    env = {"ROLE_DIFF_DATABASE_URL": db_url, "ROLE_DIFF_HASH_SALT": salt}
    out = cli("log", "forget", "--platform", "slack", "--user", "U123", env=env)
    assert out.returncode == 0, out.stderr
    assert "erased 2 question(s) and 1 feedback row(s)" in out.stdout
    assert "U123" not in out.stdout.replace("--user U123", "")
    left = {(r["platform"], r["user_hash"]) for r in log.rows("questions")}
    assert left == {("slack", log.hash_user("slack", "U999")), ("discord", log.hash_user("discord", "U123"))}
    assert count(db_url, "feedback") == 0
    again = cli("log", "forget", "--platform", "slack", "--user", "U123", env=env)
    assert "erased 0 question(s) and 0 feedback row(s)" in again.stdout


def test_unanswered_groups_near_identical_questions(engine: Engine, db_url: str, tmp_path: Path) -> None:
    log = make_log(db_url, tmp_path, salt="s")
    service = RoleDiff(engine, log)
    for q in [
        "how do I reset my VPN password",
        "How do I reset my VPN password?",
        "how do i reset my vpn password pls",
        "who's bringing snacks to standup",
        "what is mlops",
    ]:
        service.ask(q, Asker("console"))
    assert log.flush()
    groups = log.unanswered(since=timedelta(days=7))
    assert groups[0].count == 3 and "vpn" in groups[0].question.lower()
    assert groups[1].count == 1 and "snacks" in groups[1].question
    assert all("mlops" not in g.question for g in groups)
    assert log.unanswered(since=timedelta(days=7), limit=1)[0].count == 3
    log.close()


def test_log_settings_are_checked() -> None:
    from bot.settings import CoreSettings, SettingsError

    s = CoreSettings.from_env({"ROLE_DIFF_LOG_RETENTION": "90d", "ROLE_DIFF_LOG_FLUSH_TIMEOUT": "0.5"})
    assert s.log_retention == timedelta(days=90) and s.log_flush_timeout == 0.5
    default = CoreSettings.from_env({})
    assert default.log_retention is None and default.log_flush_timeout == 3.0
    assert CoreSettings.from_env({"ROLE_DIFF_LOG_RETENTION": "off"}).log_retention is None
    for name, value in [("ROLE_DIFF_LOG_RETENTION", "90 days"), ("ROLE_DIFF_LOG_RETENTION", "0d"),
                        ("ROLE_DIFF_LOG_FLUSH_TIMEOUT", "soon"), ("ROLE_DIFF_LOG_FLUSH_TIMEOUT", "-1")]:  # fmt: skip
        with pytest.raises(SettingsError) as info:
            CoreSettings.from_env({name: value})
        assert info.value.variable == name


def test_every_cause_says_what_to_do() -> None:
    from bot.log import db_problem

    missing = db_problem(ModuleNotFoundError("No module named 'psycopg'", name="psycopg"))
    assert "pip install 'role-diff[postgresql]'" in missing
    assert "postgresql+psycopg://" in db_problem(ModuleNotFoundError("No module named 'psycopg2'", name="psycopg2"))
    assert "locked by another process" in db_problem(sqlite3.OperationalError("database is locked"))
    assert "writable" in db_problem(sqlite3.OperationalError("unable to open database file"))
