"""The interaction log: questions, feedback, hashing, failures, unanswered."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import Asker, RoleDiff


def make_service(engine: Engine, tmp_path: Path, salt: str | None = None) -> tuple[RoleDiff, InteractionLog]:
    log = InteractionLog(f"sqlite:///{tmp_path / 'log.sqlite3'}", salt=salt)
    return RoleDiff(engine, log), log


def test_questions_and_feedback_are_recorded_with_hashed_users(engine: Engine, tmp_path: Path) -> None:
    service, log = make_service(engine, tmp_path)
    asker = Asker("slack", "U0SECRET1", "channel")
    answered = service.ask("what is mlops", asker)
    declined = service.ask("what's the weather tomorrow", asker)
    assert answered.kind == "answer" and declined.kind == "decline"
    assert service.feedback(answered.entry_id or "", True, asker) is True
    assert service.feedback("no-such-entry", True, asker) is False
    log.flush()
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
    raw = (tmp_path / "log.sqlite3").read_bytes()
    assert b"U0SECRET1" not in raw
    log.close()


def test_same_user_same_hash_different_salt_different_hash(engine: Engine, tmp_path: Path) -> None:
    a = InteractionLog(f"sqlite:///{tmp_path / 'a.db'}", salt="one")
    b = InteractionLog(f"sqlite:///{tmp_path / 'b.db'}", salt="two")
    assert a.hash_user("slack", "U1") == a.hash_user("slack", "U1")
    assert a.hash_user("slack", "U1") != b.hash_user("slack", "U1")
    assert a.hash_user("slack", "U1") != a.hash_user("discord", "U1")
    assert a.hash_user("slack", None) is None


def test_write_failure_never_stops_an_answer(engine: Engine, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = InteractionLog(f"sqlite:///{blocker / 'sub' / 'log.db'}")
    service = RoleDiff(engine, log)
    with caplog.at_level(logging.WARNING, logger="role_diff.log"):
        reply = service.ask("what is mlops", Asker("console"))
        log.flush()
    assert reply.kind == "answer"
    assert log.failures >= 1
    assert any("interaction log write failed" in r.getMessage() for r in caplog.records)
    log.close()


def test_disabled_log_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'off.db'}"
    log = InteractionLog(url, enabled=False)
    RoleDiff(engine, log).ask("what is mlops", Asker("console"))
    log.close()
    assert not (tmp_path / "off.db").exists()


def test_unanswered_groups_near_identical_questions(engine: Engine, tmp_path: Path) -> None:
    service, log = make_service(engine, tmp_path, salt="s")
    for q in [
        "how do I reset my VPN password",
        "How do I reset my VPN password?",
        "how do i reset my vpn password pls",
        "who's bringing snacks to standup",
        "what is mlops",
    ]:
        service.ask(q, Asker("console"))
    log.flush()
    groups = log.unanswered(since=timedelta(days=7))
    assert groups[0].count == 3 and "vpn" in groups[0].question.lower()
    assert groups[1].count == 1 and "snacks" in groups[1].question
    assert all("mlops" not in g.question for g in groups)
    assert log.unanswered(since=timedelta(days=7), limit=1)[0].count == 3
    log.close()
