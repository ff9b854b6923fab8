"""Fills an interaction log through the service, the way the bot does, and
remembers what went in, so report tests can check the figures against it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.engine import Engine
from bot.log import InteractionLog, QuestionEvent, now
from bot.service import Asker, RoleDiff

ANSWERED = ["what is mlops", "who earns more, a data scientist or an ML engineer?", "ds vs mle", "what is mlops"]
DECLINED = [
    "how do I reset my VPN password",
    "How do I reset my VPN password?",
    "how do i reset my vpn password pls",
    "who's bringing snacks to standup",
]
BUILTINS = ["help", "topics", "compare pay"]


@dataclass
class Filled:
    url: str
    # (platform, outcome) -> count, for what the service was asked today
    today: Counter[tuple[str, str]] = field(default_factory=Counter)
    answered_entries: Counter[str] = field(default_factory=Counter)
    old: int = 0  # questions recorded 10 days ago
    mlops_question_of_bob: str = ""


def fill(engine: Engine, path: Path) -> Filled:
    url = f"sqlite:///{path}"
    log = InteractionLog(url, salt="test-salt")
    service = RoleDiff(engine, log)
    filled = Filled(url)
    for platform, user in (("slack", "U1"), ("discord", "D1")):
        asker = Asker(platform, user, "channel")
        for q in ANSWERED + DECLINED + BUILTINS:
            reply = service.ask(q, asker)
            outcome = {"answer": "answered", "decline": "declined"}.get(reply.kind, "builtin")
            filled.today[(platform, outcome)] += 1
            if outcome == "answered":
                filled.answered_entries[reply.entry_id or ""] += 1
    # Feedback on mlops on slack: alice says 👎 then 👍 (the last wins), bob 👎 twice (counts once),
    # carol 👎 once; on discord one 👍.
    alice, bob, carol = Asker("slack", "alice", "dm"), Asker("slack", "bob", "dm"), Asker("slack", "carol", "dm")
    filled.mlops_question_of_bob = "explain mlops to me"
    for asker, question in ((bob, filled.mlops_question_of_bob), (carol, "what is mlops")):
        reply = service.ask(question, asker)
        assert reply.kind == "answer" and reply.entry_id == "mlops", question
        filled.today[("slack", "answered")] += 1
        filled.answered_entries["mlops"] += 1
    for asker, helpful in ((alice, False), (bob, False), (carol, False), (alice, True), (bob, False)):
        assert service.feedback("mlops", helpful, asker)
    assert service.feedback("salary", True, Asker("discord", "D1"))
    # Questions from ten days ago (the log's own writer, with the time set).
    for q, outcome in (("old declined question about parking", "declined"), ("help", "builtin")):
        log.record_question(
            QuestionEvent("slack", "U9", "dm", q, outcome, None, None, None, 1.0, now() - timedelta(days=10))
        )
        filled.old += 1
    log.flush()
    log.close()
    return filled
