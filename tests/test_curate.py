"""From a gap to an entry: `role-diff new --from-unanswered` and `add-phrasing`,
through the real command line, ending with the bot answering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.builtins import respond
from bot.curate import CurateError, insert_phrasing
from bot.engine import Engine
from bot.knowledge import PLACEHOLDER_MARK, check_knowledge, default_dirs, load_knowledge
from bot.log import InteractionLog
from bot.service import Asker, RoleDiff
from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parent.parent
VPN = ["how do I reset my VPN password", "How do I reset my VPN password?", "how do i reset my vpn password pls"]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), env)


def test_new_entry_from_an_unanswered_cluster_to_an_answer(engine: Engine, tmp_path: Path) -> None:
    log = InteractionLog(f"sqlite:///{tmp_path / 'log.db'}", salt="s")
    service = RoleDiff(engine, log)
    for q in [*VPN, *VPN[:2], "who's bringing snacks"]:
        assert service.ask(q, Asker("slack", "U1", "dm")).kind == "decline"
    log.close()
    ours = tmp_path / "ours"
    ours.mkdir()
    env = {"ROLE_DIFF_DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}", "ROLE_DIFF_KNOWLEDGE": str(ours)}

    out = cli("new", "vpn-reset", "--from-unanswered", "1", env=env)
    assert out.returncode == 0, out.stderr
    path = ours / "entries" / "vpn-reset.md"
    assert f"wrote {path}" in out.stdout and "next:" in out.stdout
    assert "placeholder" in out.stdout  # validate's verdict, shown as the to-do list
    text = path.read_text(encoding="utf-8")
    assert PLACEHOLDER_MARK in text and "# Written by 'role-diff new'" in text
    assert 'title: "How do I reset my VPN password?"' in text
    assert '  - "how do I reset my VPN password"\n' in text  # the plainest of the three wordings
    # The questions of the cluster are its phrasings (one per distinct wording).
    _, problems = check_knowledge(default_dirs(environ={"ROLE_DIFF_KNOWLEDGE": str(ours)}))
    messages = [p.message for p in problems if p.path.endswith("vpn-reset.md")]
    assert any("placeholder" in m for m in messages)
    assert any("at least 6 phrasings" in m for m in messages)
    assert cli("validate", env=env).returncode == 1

    # Again: the id exists now.
    again = cli("new", "vpn-reset", "--from-unanswered", "1", env=env)
    assert again.returncode == 1 and "exists already" in again.stderr and "add-phrasing" in again.stderr
    assert cli("new", "x", "--from-unanswered", "9", env=env).returncode == 1

    # The curator writes the answer and adds phrasings with add-phrasing.
    text = path.read_text(encoding="utf-8")
    answer_line = next(line for line in text.splitlines() if PLACEHOLDER_MARK in line)
    path.write_text(
        text.replace(answer_line, "Reset it on the IT portal under **Accounts**, then reconnect."), encoding="utf-8"
    )
    added = ["I forgot my VPN password", "VPN password expired what now", "change vpn password", "vpn login reset"]
    added.append("locked out of the VPN")
    for i, q in enumerate(added):
        step = cli("add-phrasing", "vpn-reset", q, env=env)
        assert step.returncode == 0, step.stderr
        if i < len(added) - 1:  # still short of 6 phrasings: said, and allowed
            assert "does not validate yet" in step.stdout and "at least 6 phrasings" in step.stdout
    assert "ok: the knowledge validates and the question now gets 'vpn-reset'" in step.stdout
    final = path.read_text(encoding="utf-8")
    assert "# Written by 'role-diff new'" in final  # comments kept
    ok = cli("validate", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    kb = load_knowledge(default_dirs(environ={"ROLE_DIFF_KNOWLEDGE": str(ours)}))
    entry = kb.by_id["vpn-reset"]
    # The three VPN questions have the same content words: one phrasing, then the five added.
    assert entry.questions == (VPN[0], *added)
    reply = respond(Engine(kb), "how can I reset my vpn password?")
    assert reply.kind == "answer" and reply.entry_id == "vpn-reset"


SALARY_LIKE = """\
---
# Our own pay entry.   (a comment the curator wrote)
id: pay-ours
topic: salary
title:   "Pay, in our company"
questions:
  - "what do we pay a data scientist"   # the common one
  - what do we pay an ML engineer
  - 'our DS salary band'
  - our MLE salary band
  - pay bands for data scientists here
  - pay bands for ML engineers here
keywords: [band]
sources: [jones]
related: [salary]
---
Our bands are on the HR wiki.
"""


def test_add_phrasing_keeps_formatting_and_comments(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.mkdir()
    path = ours / "pay-ours.md"
    path.write_text(SALARY_LIKE, encoding="utf-8")
    env = {"ROLE_DIFF_KNOWLEDGE": str(ours), "ROLE_DIFF_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    out = cli("add-phrasing", "pay-ours", "what is the pay band for a senior MLE here", env=env)
    assert out.returncode == 0, out.stderr
    assert f"added to {path}:13" in out.stdout and "next:" in out.stdout
    after = path.read_text(encoding="utf-8").splitlines()
    before = SALARY_LIKE.splitlines()
    assert after[:12] == before[:12] and after[13:] == before[12:]  # one line added, nothing else changed
    assert after[12] == "  - what is the pay band for a senior MLE here"  # the style of the list's last item


def test_add_phrasing_refuses_what_would_not_validate_and_leaves_the_file(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.mkdir()
    path = ours / "pay-ours.md"
    path.write_text(SALARY_LIKE, encoding="utf-8")
    env = {"ROLE_DIFF_KNOWLEDGE": str(ours), "ROLE_DIFF_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    salary = load_knowledge().by_id["salary"]
    taken = cli("add-phrasing", "pay-ours", salary.questions[0], env=env)
    assert taken.returncode == 1 and "belongs to entry 'salary'" in taken.stderr
    dup = cli("add-phrasing", "pay-ours", "our DS salary band!", env=env)
    assert dup.returncode == 1 and "has that phrasing already" in dup.stderr
    long = cli("add-phrasing", "pay-ours", "pay " * 100, env=env)
    assert long.returncode == 1 and "over 300 characters" in long.stderr
    missing = cli("add-phrasing", "no-such-entry", "anything about pay", env=env)
    assert missing.returncode == 1 and "no entry 'no-such-entry'" in missing.stderr
    assert path.read_text(encoding="utf-8") == SALARY_LIKE
    for out in (taken, dup, long, missing):
        assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("it's: tricky # really", '  - "it\'s: tricky # really"'),
        ('say "hi"', '  - say "hi"'),  # plain YAML reads it back as written
        ('"hi" she said', '  - "\\"hi\\" she said"'),
    ],
)
def test_insert_phrasing_quotes_what_plain_yaml_would_change(question: str, line: str) -> None:
    text, at = insert_phrasing(SALARY_LIKE, question)
    assert text.splitlines()[at - 1] == line


def test_insert_phrasing_matches_quote_style_and_line_endings() -> None:
    quoted = SALARY_LIKE.replace("  - pay bands for ML engineers here", "  - 'pay bands for ML engineers here'")
    text, at = insert_phrasing(quoted.replace("\n", "\r\n"), "it's ours")
    assert text.split("\r\n")[at - 1] == "  - 'it''s ours'"
    assert "\n" not in text.replace("\r\n", "")
    with pytest.raises(CurateError, match="by hand"):
        insert_phrasing("---\nid: x\nquestions: [a, b]\n---\nanswer\n", "c")


def test_new_needs_a_knowledge_directory(tmp_path: Path) -> None:
    out = cli("new", "vpn-reset", "--from-unanswered", "1", env={"ROLE_DIFF_DATABASE_URL": "sqlite:///x.db"})
    assert out.returncode == 1 and "ROLE_DIFF_KNOWLEDGE" in out.stderr and "--dir" in out.stderr
