"""`role-diff report --json`: the figures equal what was put in the log."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.app import run_console
from bot.engine import Engine
from bot.log import InteractionLog
from bot.report import CLUSTER_RATIO, Period, cluster_questions, figures, open_log
from bot.service import RoleDiff
from tests.clirun import run_cli
from tests.reportlog import fill

ROOT = Path(__file__).resolve().parent.parent


def report(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["report", *args], {"ROLE_DIFF_DATABASE_URL": url})


def test_json_figures_equal_the_rows_put_in(engine: Engine, tmp_path: Path) -> None:
    filled = fill(engine, tmp_path / "log.db")
    out = report(filled.url, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)

    t = data["totals"]
    for outcome in ("answered", "declined", "builtin"):
        want = sum(n for (_, o), n in filled.today.items() if o == outcome)
        assert t[outcome] == want + (1 if outcome in ("declined", "builtin") else 0), outcome
    assert t["questions"] == sum(filled.today.values()) + filled.old
    assert t["answer_rate"] == round(t["answered"] / (t["answered"] + t["declined"]), 4)

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    old_day = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%d")
    days = {d["day"]: d for d in data["days"]}
    assert set(days) == {today, old_day}
    assert days[old_day]["declined"] == 1 and days[old_day]["builtin"] == 1 and days[old_day]["answered"] == 0
    assert days[old_day]["answer_rate"] == 0.0
    assert days[today]["answered"] == t["answered"]

    platforms = {p["platform"]: p for p in data["platforms"]}
    for platform in ("slack", "discord"):
        for outcome in ("answered", "declined", "builtin"):
            extra = 1 if platform == "slack" and outcome != "answered" else 0
            assert platforms[platform][outcome] == filled.today[(platform, outcome)] + extra

    # Three ways of asking about the VPN, twice each (slack and discord): one cluster of 6.
    clusters = data["unanswered"]["clusters"]
    assert clusters[0]["rank"] == 1 and clusters[0]["count"] == 6 and "vpn" in clusters[0]["question"].lower()
    assert len(clusters[0]["variants"]) == 3
    assert clusters[0]["closest"]["kind"] in ("near", "gap")
    assert {c["question"] for c in clusters[1:]} == {
        "who's bringing snacks to standup",
        "old declined question about parking",
    }
    assert data["unanswered"]["distinct_questions"] == 5

    # Feedback: the last vote per person and entry counts once.
    helpful = {h["entry_id"]: h for h in data["helpfulness"]}
    assert (helpful["mlops"]["helpful"], helpful["mlops"]["unhelpful"]) == (1, 2)  # alice 👍, bob 👎, carol 👎
    assert helpful["mlops"]["ratio"] == round(1 / 3, 4)
    assert set(helpful["mlops"]["unhelpful_questions"]) == {filled.mlops_question_of_bob, "what is mlops"}
    assert (helpful["salary"]["helpful"], helpful["salary"]["unhelpful"]) == (1, 0)
    assert [h["entry_id"] for h in data["helpfulness"]] == ["mlops", "salary"]  # the worst first

    assert data["answers_per_entry"] == dict(filled.answered_entries)
    assert data["never_matched"] == sorted(e.id for e in engine.kb.entries if e.id not in filled.answered_entries)


def test_since_and_platform_filter_every_figure(engine: Engine, tmp_path: Path) -> None:
    filled = fill(engine, tmp_path / "log.db")
    recent = json.loads(report(filled.url, "--json", "--since", "7d").stdout)
    assert len(recent["days"]) == 1
    assert recent["totals"]["questions"] == sum(filled.today.values())
    assert "old declined question about parking" not in {c["question"] for c in recent["unanswered"]["clusters"]}
    discord = json.loads(report(filled.url, "--json", "--platform", "discord").stdout)
    assert [p["platform"] for p in discord["platforms"]] == ["discord"]
    assert discord["totals"]["questions"] == sum(n for (p, _), n in filled.today.items() if p == "discord")
    assert [(h["entry_id"], h["helpful"], h["unhelpful"]) for h in discord["helpfulness"]] == [("salary", 1, 0)]
    assert discord["unanswered"]["clusters"][0]["count"] == 3


def test_report_text_summary_and_errors(engine: Engine, tmp_path: Path) -> None:
    filled = fill(engine, tmp_path / "log.db")
    out = report(filled.url)
    assert out.returncode == 0 and "answer rate" in out.stdout and "#1" in out.stdout and "--html" in out.stdout
    missing = report(f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.returncode == 1 and "nothing has been recorded yet" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # reading never creates a log
    bad = report(filled.url, "--since", "yesterday")
    assert bad.returncode == 2 and "invalid duration" in bad.stderr and "Traceback" not in bad.stderr
    unwritable = report(filled.url, "--html", str(tmp_path / "no" / "such" / "dir" / "r.html"))
    assert unwritable.returncode == 1 and "cannot write" in unwritable.stderr


def test_console_control_input_is_never_logged_as_a_question(engine: Engine, tmp_path: Path) -> None:
    class Pipe(io.StringIO):
        def isatty(self) -> bool:
            return False

    log = InteractionLog(f"sqlite:///{tmp_path / 'c.db'}", salt="x")
    service = RoleDiff(engine, log)
    # +, - and numbers before any answer, an out-of-range number after one, then quit.
    stdout = Pipe()
    run_console(service, Pipe("+\n-\n2\n\nwhat is mlops\n+\n99\n-\nwhat's the weather\n7\nquit\nhelp\n"), stdout)
    log.flush()
    assert [r["question"] for r in log.rows("questions")] == ["what is mlops", "what's the weather"]
    assert [r["helpful"] for r in log.rows("feedback")] == [True, False]
    out = stdout.getvalue()
    assert "Nothing to rate yet" in out and "No link numbered 99" in out
    groups = log.unanswered()
    assert [g.question for g in groups] == ["what's the weather"]
    log.close()


def test_clustering_groups_near_identical_questions_and_drops_old_control_input() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("how do I reset my VPN password", 5, at),
        ("how do i reset my vpn password pls", 2, at + timedelta(days=1)),
        ("reset vpn password how", 1, at),  # the same content words, reordered
        ("+", 9, at),  # logged by older versions of the console
        ("12", 4, at),
        ("who's bringing snacks", 3, at),
    ]
    clusters = cluster_questions(rows)
    assert [(c.question, c.count) for c in clusters] == [
        ("how do I reset my VPN password", 8),
        ("who's bringing snacks", 3),
    ]
    assert clusters[0].last == at + timedelta(days=1) and len(clusters[0].variants) == 3
    assert CLUSTER_RATIO == 90


def test_figures_on_an_empty_log(engine: Engine, tmp_path: Path) -> None:
    InteractionLog(f"sqlite:///{tmp_path / 'e.db'}")._db()  # creates the tables only
    db = open_log(f"sqlite:///{tmp_path / 'e.db'}")
    data = figures(db, engine, Period())
    db.dispose()
    assert data["totals"] == {"questions": 0, "answered": 0, "declined": 0, "builtin": 0, "answer_rate": None}
    assert data["days"] == [] and data["unanswered"]["clusters"] == [] and data["helpfulness"] == []
    assert len(data["never_matched"]) == len(engine.kb.entries)
    from bot.report_html import render_html

    page = render_html(data)
    assert "No questions in this period." in page and "<svg" not in page


@pytest.mark.parametrize("module", ["bot.cli", "bot.service"])
def test_the_bot_does_not_import_matplotlib(module: str) -> None:
    code = f"import sys, {module}; from bot.cli import main; main(['ask', '--no-log', 'what is mlops']); "
    code += "print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_many_days_are_drawn_as_stacked_steps(engine: Engine, tmp_path: Path) -> None:
    from bot.report_html import render_html

    filled = fill(engine, tmp_path / "log.db")
    db = open_log(filled.url)
    data = figures(db, engine, Period())
    db.dispose()
    days = [
        {"day": f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}", "answered": i, "declined": 2, "builtin": 1}
        for i in range(60)
    ]
    for d in days:
        d["answer_rate"] = round(d["answered"] / (d["answered"] + 2), 4)
    page = render_html({**data, "days": days})
    chart = page[page.index('<svg id="chart-days"') : page.index("</svg>", page.index('<svg id="chart-days"'))]
    assert "answered" in chart and "declined" in chart and "01-01" in chart
    assert chart.count("<path") >= 3
