"""The role-diff command line, through real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None):
    full_env = {**os.environ, "ROLE_DIFF_LOG": "off", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd or ROOT,
    )


def test_ask_prints_an_answer_with_sources() -> None:
    out = run("ask", "what is mlops")
    assert out.returncode == 0, out.stderr
    assert "Sources:" in out.stdout
    assert "mlops" in out.stdout.lower()


def test_ask_json_fields() -> None:
    out = run("ask", "--json", "who earns more, DS or MLE?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"question", "entry_id", "topic", "score", "answer", "suggestions"}
    assert data["topic"] == "salary"
    assert "109,802" in data["answer"] and "132,651" in data["answer"]
    declined = json.loads(run("ask", "--json", "what's the weather tomorrow").stdout)
    assert declined["entry_id"] is None and declined["topic"] is None


def test_ask_batch_mode_reads_stdin_one_json_line_each() -> None:
    out = run("ask", stdin="what is mlops\n\nlol\nds vs mle salary\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["question"] for d in lines] == ["what is mlops", "", "lol", "ds vs mle salary"]
    assert lines[0]["entry_id"] and lines[2]["entry_id"] is None and lines[3]["topic"] == "salary"


def test_kb_json_dump() -> None:
    out = run("kb", "--json")
    assert out.returncode == 0, out.stderr
    entries = json.loads(out.stdout)
    assert {"id", "topic", "title", "questions", "answer", "sources", "related"} <= set(entries[0])
    assert len({e["id"] for e in entries}) == len(entries)


def test_eval_on_the_dev_set_meets_the_bar(tmp_path: Path) -> None:
    out = run("eval", "--json", str(SHARED_EVAL / "dev.tsv"))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] >= 0.95, fig["misses"]
    assert fig["false_answer_rate"] <= 0.05, fig["misses"]


def test_eval_on_clinc_off_topic_queries_meets_the_bar() -> None:
    out = run("eval", "--json", str(SHARED_EVAL / "offtopic-clinc150.tsv"))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["false_answer_rate"] <= 0.01, fig["misses"][:20]


def test_eval_on_the_second_tuning_set(tmp_path: Path) -> None:
    """tests/data/realistic.tsv: long real-world questions. The thresholds are
    tuned on it (with dev), so it is a regression guard, not a held-out
    figure; tests/data/blind.tsv is the report-only set."""
    out = run("eval", "--json", str(Path(__file__).parent / "data" / "realistic.tsv"))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] >= 0.82
    assert fig["wrong_topic_rate"] <= 0.09
    assert fig["false_answer_rate"] <= 0.05


def test_eval_text_report_and_bad_file(tmp_path: Path) -> None:
    f = tmp_path / "mini.tsv"
    f.write_text("question\texpected\nwhat is mlops\tmlops\nlol\tnone\nwhat is mlops\tsalary\n", encoding="utf-8")
    out = run("eval", str(f))
    assert out.returncode == 0, out.stderr
    assert "in-scope accuracy: 50.0 % of 2" in out.stdout
    assert "false answers on none rows: 0.0 % of 1" in out.stdout
    assert "[wrong-topic] 'what is mlops'" in out.stdout
    bad = run("eval", str(tmp_path / "missing.tsv"))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "cannot read" in bad.stderr
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    assert run("eval", str(empty)).returncode == 1


def test_usage_errors_exit_2_with_one_line() -> None:
    for args in (["nonsense"], ["unanswered", "--since", "forever"], ["run", "slack", "--port", "99999"]):
        out = run(*args)
        assert out.returncode == 2, args
        assert "Traceback" not in out.stderr
        assert out.stderr.strip().count("\n") == 0, out.stderr


def test_bad_settings_name_the_variable() -> None:
    out = run("ask", "hi", env={"ROLE_DIFF_LOG": "maybe"})
    assert out.returncode == 2
    assert out.stderr.strip() == "role-diff: ROLE_DIFF_LOG: must be on or off (got 'maybe')"
    out = run("ask", "hi", env={"ROLE_DIFF_LOG": "on", "ROLE_DIFF_DATABASE_URL": "not a url"})
    assert out.returncode == 2 and "ROLE_DIFF_DATABASE_URL" in out.stderr


def test_broken_extra_knowledge_is_reported_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\nid: bad\n: : :\n---\n", encoding="utf-8")
    out = run("ask", "what is mlops", env={"ROLE_DIFF_KNOWLEDGE": str(tmp_path)})
    assert out.returncode == 1
    assert "bad.md:" in out.stderr and "Traceback" not in out.stderr


def test_unanswered_lists_declined_questions(tmp_path: Path) -> None:
    env = {"ROLE_DIFF_LOG": "on", "ROLE_DIFF_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    run("ask", stdin="how do I reset my VPN password\nhow do i reset my vpn password?\nwhat is mlops\n", env=env)
    out = run("unanswered", "--since", "7d", env=env)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.split()[:2] == ["#1", "2"] and "vpn" in first.lower()
    assert "mlops" not in out.stdout
    data = json.loads(run("unanswered", "--json", env=env).stdout)
    assert data[0]["count"] == 2 and data[0]["rank"] == 1


def test_dotenv_is_read_but_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ROLE_DIFF_LOG=maybe\n", encoding="utf-8")
    out = run("ask", "what is mlops", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    # ROLE_DIFF_LOG is already "off" in the environment, so .env must not override it
    assert out.returncode == 0, out.stderr
    env = {k: v for k, v in os.environ.items() if k != "ROLE_DIFF_LOG"}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "what is mlops"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 2 and "ROLE_DIFF_LOG" in out.stderr


def test_ask_imports_no_chat_sdk() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['ask', '--no-log', 'what is mlops'])\n"
        "    main(['ask', '--no-log', 'compare pay'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk', 'discord', 'aiohttp')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_chat_piped_answers_each_line() -> None:
    out = run("chat", "--no-log", stdin="what is mlops\n1\n+\ncompare pay\nquit\nnever reached\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Sources:") >= 2
    assert "Thanks, noted." in out.stdout
    assert "Pay" in out.stdout and "never reached" not in out.stdout


def test_eval_on_the_forum_style_tuning_set() -> None:
    """tests/data/tune.tsv: long forum posts, chat, misspellings, near misses
    and follow-up conversations (tuned on, so a regression guard)."""
    out = run("eval", "--json", str(Path(__file__).parent / "data" / "tune.tsv"))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] >= 0.80
    assert fig["wrong_topic_rate"] <= 0.05
    follow_ups = fig["parts"]["follow-up turns"]
    assert follow_ups["in_scope_accuracy"] >= 0.90
    assert fig["parts"]["kind nearmiss"]["false_answer_rate"] <= 0.05


def test_eval_on_tune2() -> None:
    """tests/data/tune2.tsv: written blind by another hand (real posts, chat,
    misspellings, 70 follow-up conversations, near misses); tuned on since,
    so a regression guard."""
    out = run("eval", "--json", str(Path(__file__).parent / "data" / "tune2.tsv"))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] >= 0.85
    assert fig["wrong_topic_rate"] <= 0.06
    assert fig["parts"]["follow-up turns"]["in_scope_accuracy"] >= 0.80
    assert fig["parts"]["kind nearmiss"]["false_answer_rate"] <= 0.05
    assert fig["parts"]["kind offtopic"]["false_answer_rate"] <= 0.10  # "good morning!" gets the overview


_STRAYS = {"kind nearmiss": 0.05, "kind offtopic": 0.10}  # false answers allowed, by kind
# off-topic follow-up turns answered
_STRAY_TURNS = {
    "tune23.tsv": 0.12,
    "tune28.tsv": 0.08,
    "tune29.tsv": 0.10,
    "tune34.tsv": 0.15,
    "tune37.tsv": 0.12,
}


@pytest.mark.parametrize(
    ("name", "right", "wrong", "turns", "strays"),
    [
        ("tune3.tsv", 0.72, 0.11, 0.64, _STRAYS),
        ("tune4.tsv", 0.71, 0.12, 0.63, _STRAYS),
        ("tune6.tsv", 0.77, 0.09, 0.67, _STRAYS),
        ("tune7.tsv", 0.72, 0.10, 0.62, _STRAYS),
        ("tune8.tsv", 0.68, 0.12, 0.60, _STRAYS),
        ("tune9.tsv", 0.66, 0.11, 0.56, _STRAYS),
        ("tune10.tsv", 0.57, 0.17, 0.50, _STRAYS),
        ("tune11.tsv", 0.54, 0.20, 0.50, {}),
        ("tune12.tsv", 0.57, 0.13, 0.51, {}),
        ("tune13.tsv", 0.72, 0.08, 0.68, {}),
        ("tune14.tsv", 0.80, 0.06, 0.78, {}),
        ("tune15.tsv", 0.76, 0.08, 0.74, {}),
        ("tune16.tsv", 0.80, 0.06, 0.78, {}),
        ("tune17.tsv", 0.80, 0.08, 0.80, {}),
        ("tune18.tsv", 0.76, 0.08, 0.76, {}),
        ("tune19.tsv", 0.74, 0.07, 0.73, {}),
        ("tune20.tsv", 0.77, 0.07, 0.76, {}),
        ("tune21.tsv", 0.83, 0.05, 0.83, {}),
        ("tune22.tsv", 0.77, 0.09, 0.76, {}),
        ("tune23.tsv", 0.78, 0.09, 0.78, {}),
        ("tune24.tsv", 0.82, 0.04, 0.83, {}),
        ("tune25.tsv", 0.75, 0.07, 0.76, {}),
        ("tune26.tsv", 0.77, 0.05, 0.76, {}),
        ("tune27.tsv", 0.71, 0.10, 0.71, {}),
        ("tune28.tsv", 0.85, 0.06, 0.86, {}),
        ("tune29.tsv", 0.68, 0.12, 0.64, {}),
        ("tune30.tsv", 0.77, 0.08, 0.80, {}),
        ("tune31.tsv", 0.83, 0.08, 0.83, {}),
        ("tune32.tsv", 0.82, 0.07, 0.81, {}),
        ("tune33.tsv", 0.83, 0.06, 0.85, {}),
        ("tune34.tsv", 0.77, 0.07, 0.79, {}),
        ("tune35.tsv", 0.86, 0.05, 0.85, {}),
        ("tune36.tsv", 0.79, 0.06, 0.78, {}),
        ("tune37.tsv", 0.75, 0.08, 0.73, {}),
        ("tune38.tsv", 0.75, 0.08, 0.75, {}),
        ("tune39.tsv", 0.85, 0.06, 0.84, {}),
        ("tune40.tsv", 0.72, 0.08, 0.66, {}),
        ("tune41.tsv", 0.85, 0.07, 0.85, {}),
        ("tune42.tsv", 0.85, 0.06, 0.87, {}),
        ("tune43.tsv", 0.81, 0.08, 0.82, {}),
        ("tune44.tsv", 0.77, 0.07, 0.76, {}),
        ("tune45.tsv", 0.78, 0.05, 0.78, {}),
    ],
)
def test_eval_on_the_later_tuning_sets(
    name: str, right: float, wrong: float, turns: float, strays: dict[str, float]
) -> None:
    """tests/data/tune3.tsv and tune4.tsv: written blind by other hands in
    the third round (long posts, chat, misspellings, 60 and 70 follow-up
    conversations, near misses); tune6.tsv in the fourth (70 misspelt, 60
    near misses, 50 conversations with 19 off-topic turns); tune7.tsv in the
    fifth (70 conversations with 25 off-topic turns, posts, chat, misspelt,
    near misses); tune8.tsv in the sixth (90 conversations with 44 off-topic
    turns); tune9.tsv in the seventh (90 conversations with 44 off-topic
    turns, 50 posts), tune10.tsv too (99 conversations, 20 posts, 20 near
    misses); tune11.tsv and tune12.tsv in the eighth (96 and 95
    conversations, nothing else; follow-up turns 53.0 and 53.1 % right at
    first), which the follow-up model is not fitted on
    (benchmarks/train_followups.py NOT_FITTED); tune13.tsv in the tenth
    (100 conversations, nothing else; follow-up turns 60.2 % right at first,
    47.5 % without the topic model), not fitted on either; tune14.tsv in the
    twelfth and tune15.tsv to tune19.tsv in the thirteenth (conversations
    only; 67.7, 70.3, 69.9, 68.8 and 65.7 % of follow-up turns right at
    first, tune15-19), not fitted on either; tune20.tsv to tune29.tsv in the
    fourteenth (conversations only; 63.7, 65.8, 58.4, 73.2, 71.2, 62.6,
    65.4, 64.0, 80.0 and 60.3 % of follow-up turns right at first), not
    fitted on either; tune30.tsv to tune37.tsv in the fifteenth (career
    changers, pasted public posts, heavy misspelling, an ML Discord with 35 %
    near misses, hiring managers, pronoun follow-ups, gaming-Discord slang,
    experts who push back; 63.5, 71.4, 74.1, 79.7, 61.6, 69.9, 68.6 and
    59.0 % of follow-up turns right at first), not fitted on either;
    tune38.tsv to tune45.tsv in the sixteenth (non-native English, students,
    terse keyword queries, conversations that drift off and back, people in
    neighbouring jobs, Slack and Discord markup, claims and numbers checked,
    dictated messages; 64.4, 68.9, 62.7, 78.3, 74.7, 72.1, 64.9 and 72.5 %
    of follow-up turns right at first), not fitted on either. Each
    measured once before any change used it, tuned on since, so regression
    guards; off-topic follow-ups stay declined (tune23 and tune28, written
    with 30 % off-topic turns, tune29's one-word turns, and tune34's and
    tune37's asides on hiring law, equity and pushback, to a looser bar)."""
    out = run("eval", "--json", str(Path(__file__).parent / "data" / name))
    assert out.returncode == 0, out.stderr
    fig = json.loads(out.stdout)
    assert fig["in_scope_accuracy"] >= right
    assert fig["wrong_topic_rate"] <= wrong
    assert fig["parts"]["follow-up turns"]["in_scope_accuracy"] >= turns
    for kind, most in strays.items():
        assert fig["parts"][kind]["false_answer_rate"] <= most, kind
    assert fig["parts"]["follow-up turns"]["false_answer_rate"] <= _STRAY_TURNS.get(name, 0.05)
