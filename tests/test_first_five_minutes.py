"""A new user's first five minutes (issue 11): a fast `ask`, help written for
each platform, hints instead of dead ends, errors that name the fix, and
citations by name. Asserts the text a user sees."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console.app import run_console
from bot.builtins import COMMANDS, PLATFORM_HELP, respond
from bot.engine import Engine
from bot.knowledge import check_knowledge, shipped_knowledge_dir
from bot.reply import Bullets, Paragraph, Reply, plain
from bot.service import RoleDiff

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("conversation", "turner", "jones", "clarifying", "process")


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ROLE_DIFF_LOG": "off", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd or ROOT,
    )


def text_of(reply: Reply) -> str:
    return reply.plain_text()


# -- help, per platform ----------------------------------------------------------------------


def test_console_help_describes_the_terminal() -> None:
    out = io.StringIO()
    run_console(_service(), io.StringIO("help\n"), out)
    seen = out.getvalue()
    assert "Type a question in plain words and press Enter." in seen
    assert "1, 2, ...: open a numbered suggestion or related entry from the last reply" in seen
    assert "+ / -: tell the curators whether the last answer helped" in seen
    assert "quit or Ctrl-D: leave" in seen
    assert "/role-diff" not in seen and "mention me" not in seen and "👍" not in seen


def _service() -> RoleDiff:
    from bot.cache import load_engine

    return RoleDiff(load_engine())


@pytest.mark.parametrize("platform", ["console", "cli", "slack", "discord"])
def test_builtins_are_the_same_on_every_platform(engine: Engine, platform: str) -> None:
    reply = respond(engine, "help", platform=platform)
    bullets = [b.items for b in reply.blocks if isinstance(b, Bullets)]
    assert bullets[0] == COMMANDS
    how, heading, controls = PLATFORM_HELP[platform]
    assert reply.blocks[0] == Paragraph(how) and bullets[1] == controls
    assert Paragraph(heading) in reply.blocks


def test_chat_platform_help_names_its_own_controls(engine: Engine) -> None:
    slack = text_of(respond(engine, "help", platform="slack"))
    discord = text_of(respond(engine, "help", platform="discord"))
    for seen in (slack, discord):
        assert "/role-diff and your question, mention me, or send me a direct message" in seen
        assert "👍 / 👎 under an answer" in seen and "Ctrl-D" not in seen
    assert "In Slack:" in slack and "📣 Share in channel" in slack
    assert "In Discord:" in discord and "suggests questions as you type" in discord and "Share" not in discord


def test_cli_help_from_role_diff_ask() -> None:
    out = run("ask", "help")
    assert out.returncode == 0, out.stderr
    assert 'Ask one question: role-diff ask "your question"; for a conversation, role-diff chat.' in out.stdout
    assert "Ctrl-D" not in out.stdout


# -- dead ends -------------------------------------------------------------------------------


def test_compare_an_unknown_dimension_lists_the_rows() -> None:
    out = run("ask", "compare weather")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "No such row in the comparison"
    assert "The side-by-side table has no row by that name. It compares the two roles on:" in lines
    assert "  - compare pay: Pay" in lines and "  - compare tools: Languages, tools" in lines
    assert "About role-diff" not in out.stdout
    assert "Or type compare for the whole table." in lines


def test_compare_unknown_in_json_and_real_rows_still_work(engine: Engine) -> None:
    reply = respond(engine, "compare the weather in paris")
    assert reply.kind == "compare" and not reply.rows
    items = next(b.items for b in reply.blocks if isinstance(b, Bullets))
    assert len(items) == len(engine.kb.dimensions)
    assert respond(engine, "compare salaries").rows[0].dimension == "Pay"
    # a question about the roles that starts with "compare" is still matched
    assert respond(engine, "compare how data scientists and ML engineers hand over work").rows[0].dimension


def test_explain_empty_agrees_with_ask_empty() -> None:
    explained = run("explain", "")
    asked = run("ask", "--json", "")
    assert explained.returncode == 0 and asked.returncode == 0, explained.stderr + asked.stderr
    assert explained.stdout.splitlines()[0] == "decision:  builtin (empty question: the overview)"
    assert "Data scientist vs ML engineer, in two lines" in explained.stdout
    assert "Decline" not in explained.stdout
    assert json.loads(asked.stdout)["answer"].startswith("Data scientist vs ML engineer, in two lines")


def test_explain_names_the_entry_the_rules_and_the_decision_pick() -> None:
    """`explain` says which entry answers, as `ask --json` does, and which
    the rules alone picked (a curator compares the two lines)."""
    question = "how much do ML engineers earn"
    explained = run("explain", question)
    asked = run("ask", "--json", question)
    assert explained.returncode == 0 and asked.returncode == 0, explained.stderr + asked.stderr
    lines = {line.split(":", 1)[0]: line for line in explained.stdout.splitlines() if ":" in line}
    entry = json.loads(asked.stdout)["entry_id"]
    assert lines["decision"].startswith(f"decision:  Answer {entry} ("), lines["decision"]
    assert lines["rules"].startswith("rules:     Answer "), lines["rules"]
    assert "never a single question naming no role" in lines["topics"]
    assert "a follow-up the rules found off-topic from 0.6" in lines["topics"]
    assert "a decline asked of the bot itself with the entry about the bot from 0.9" in lines["topics"]
    assert "the last answer given again from 0.5" in lines["topics"]
    assert "declines an answer it reads as none from 0.7" in lines["topics"]


# -- errors that name the fix --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "line"),
    [
        ("slack", "role-diff: usage: role-diff slack {manifest} (see 'role-diff slack --help')"),
        ("discord", "role-diff: usage: role-diff discord {invite-url,sync} (see 'role-diff discord --help')"),
    ],
)
def test_missing_subcommand_names_the_subcommands(group: str, line: str) -> None:
    out = run(group)
    assert out.returncode == 2
    assert out.stderr.strip() == line
    assert "required" not in out.stderr


@pytest.mark.parametrize(
    ("blocked", "argv", "expected"),
    [
        (
            "discord",
            ["run", "discord"],
            "role-diff: discord needs discord.py, which is not installed (no module named 'discord'): "
            "pip install '.[discord]' in a checkout, or pip install 'role-diff[discord]'",
        ),
        (
            "aiohttp",
            ["discord", "sync"],
            "role-diff: discord needs discord.py, which is not installed (no module named 'aiohttp'): "
            "pip install '.[discord]' in a checkout, or pip install 'role-diff[discord]'",
        ),
        (
            "slack_bolt",
            ["run", "slack"],
            "role-diff: slack needs slack-bolt, which is not installed (no module named 'slack_bolt'): "
            "pip install '.[slack]' in a checkout, or pip install 'role-diff[slack]'",
        ),
    ],
)
def test_running_without_the_extra_names_the_package_and_the_install(
    blocked: str, argv: list[str], expected: str
) -> None:
    # The module is made unimportable, as in an install without the extra; no token is set,
    # so the missing package must be reported before any setting is asked for.
    code = f"import sys; sys.modules[{blocked!r}] = None\nfrom bot.cli import main\nsys.exit(main({argv!r}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert out.returncode == 1
    assert out.stderr.strip() == expected


def test_a_knowledge_directory_that_does_not_exist_is_one_line_and_exit_2() -> None:
    out = run("ask", "hi", env={"ROLE_DIFF_KNOWLEDGE": "/nope"})
    assert out.returncode == 2
    assert out.stderr == (
        "role-diff: ROLE_DIFF_KNOWLEDGE: /nope does not exist "
        "(set it to knowledge directories, separated by ':', or unset it)\n"
    )
    assert out.stdout == ""


def test_a_knowledge_setting_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "entries.md"
    f.write_text("x", encoding="utf-8")
    out = run("validate", env={"ROLE_DIFF_KNOWLEDGE": str(f)})
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"role-diff: ROLE_DIFF_KNOWLEDGE: {f} is not a directory")


# -- citations -------------------------------------------------------------------------------


def test_answers_cite_sources_by_short_name(engine: Engine) -> None:
    reply = respond(engine, "what tools do data scientists use")
    text = text_of(reply)
    assert "Python or R for analysis and modelling (Jones, Clarifying the Critical Roles)." in text
    assert "(jones" not in text and "(clarifying" not in text
    # the full credit is still in the sources line
    assert "Tina Jones, ML Engineer VS. Data Scientist: What's the Difference?" in text.split("Sources: ")[1]


def test_citation_starting_a_sentence_is_capitalised(engine: Engine) -> None:
    from bot.citations import render_citations

    names = {"turner": "Turner", "clarifying": "Clarifying the Critical Roles"}
    text = "- clarifying says knowing the split helps.\n\nturner also notes that titles overlap."
    out = render_citations(text, names)
    assert "- Clarifying the Critical Roles says knowing the split" in out
    assert "\n\nTurner also notes that titles overlap" in out
    choosing = text_of(respond(engine, "should I become a data scientist or an ML engineer"))
    assert "clarifying says" not in choosing  # no raw key in a shipped answer


def test_a_name_already_in_the_sentence_is_not_repeated(engine: Engine) -> None:
    salary = text_of(engine_reply(engine, "salary"))
    assert "quoted in Tina Jones's article; she names no year" in salary


def engine_reply(engine: Engine, entry_id: str) -> Reply:
    reply = RoleDiff(engine).show(entry_id)
    assert reply is not None
    return reply


def test_no_entry_or_comparison_cell_shows_a_raw_key(engine: Engine) -> None:
    import re

    raw = re.compile(r"(?:\(|, |\*\*|^|\. |- )(?:" + "|".join(KEYS) + r")\b(?! (?:of|blog post))", re.MULTILINE)
    for entry in engine.kb.entries:
        reply = engine_reply(engine, entry.id)
        for block in reply.blocks:
            for line in [block.text] if isinstance(block, Paragraph) else block.items:
                assert not raw.search(line), (entry.id, line)
    for row in respond(engine, "compare").rows:
        for cell in (row.data_scientist, row.ml_engineer):
            assert not raw.search(cell), cell
            assert "(clarifying" not in plain(cell) and "(jones" not in plain(cell)


def test_render_citations_rules() -> None:
    from bot.citations import render_citations

    names = {"jones": "Jones", "clarifying": "Clarifying the Critical Roles", "proc": "the process post"}
    assert render_citations("Both (jones, clarifying).", names) == "Both (Jones, Clarifying the Critical Roles)."
    assert render_citations("- clarifying says so", names) == "- Clarifying the Critical Roles says so"
    assert render_citations("**jones**: yes", names) == "**Jones**: yes"
    expected = "The process post argues. Then the process post adds"
    assert render_citations("proc argues. Then proc adds", names) == expected
    assert render_citations("Tina Jones (jones) says", names) == "Tina Jones says"
    assert render_citations("(Tina Jones, jones)", names) == "(Tina Jones)"
    assert render_citations("as clarifying's own", names) == "as Clarifying the Critical Roles' own"
    assert render_citations("the clarifying article", names) == "the Clarifying the Critical Roles article"
    assert render_citations("its proc; on proc", names) == "its proc; on proc"
    assert render_citations("see [jones](https://example.org/jones)", names) == "see [jones](https://example.org/jones)"


def test_short_names_are_validated(tmp_path: Path) -> None:
    kdir = tmp_path / "k"
    (kdir / "entries").mkdir(parents=True)
    (kdir / "sources.yaml").write_text(
        "- key: a\n  title: A\n  short: 'x (y)'\n- key: b\n  title: B\n  short: Same\n"
        "- key: c\n  title: C\n  short: same\n- key: d\n  title: D\n  short: ''\n",
        encoding="utf-8",
    )
    _, problems = check_knowledge([kdir], require_topics=False)
    shown = [str(p) for p in problems if "sources.yaml" in p.path]
    assert any(":3: source 'a': 'short' must be at most 40 characters, without brackets or commas" in s for s in shown)
    assert any(":9: source 'c': short name 'same' is also 'b''s" in s for s in shown)
    assert any(":12: source 'd': 'short' must be non-empty text" in s for s in shown)


def test_shipped_sources_have_short_names() -> None:
    kb, problems = check_knowledge([shipped_knowledge_dir()])
    assert not problems
    assert {k: s.short_name() for k, s in kb.sources.items()} == {
        "conversation": "Arthur",
        "turner": "Turner",
        "jones": "Jones",
        "clarifying": "Clarifying the Critical Roles",
        "process": "Focus on the Process",
    }


def test_sources_builtin_lists_short_names_with_credits(engine: Engine) -> None:
    text = text_of(respond(engine, "sources"))
    assert "- Jones: Tina Jones, ML Engineer VS. Data Scientist: What's the Difference?" in text


# -- the console ---------------------------------------------------------------------------------


def test_console_bullets_hang_indent_under_their_text(engine: Engine) -> None:
    from rich.console import Console

    from adapters.console.render import render_rich

    buf = io.StringIO()
    Console(file=buf, width=60, color_system=None).print(render_rich(engine_reply(engine, "ml-engineer")))
    lines = [line.strip("│").rstrip() for line in buf.getvalue().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("   • Production code:"))
    assert not lines[start + 1].startswith("   •")
    assert lines[start + 1].startswith("     ") and lines[start + 1][5] != " ", lines[start : start + 3]


# -- .env --------------------------------------------------------------------------------------


def dotenv_run(tmp_path: Path, content: str, mode: int, *args: str, env: dict[str, str] | None = None):
    path = tmp_path / ".env"
    path.write_text(content, encoding="utf-8")
    path.chmod(mode)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROLE_DIFF_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_dotenv_follows_python_dotenv_rules(tmp_path: Path) -> None:
    from bot.settings import load_dotenv

    path = tmp_path / ".env"
    path.write_text(
        "export A=plain\nB='single # not a comment'\nC=\"two\nlines\"\nD=x # a comment\nE=${A}-more\nF=from-file\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    environ = {"F": "from-environment"}
    assert load_dotenv(path, environ) == ["A", "B", "C", "D", "E"]
    assert environ == {
        "A": "plain",
        "B": "single # not a comment",
        "C": "two\nlines",
        "D": "x",
        "E": "plain-more",
        "F": "from-environment",
    }


def test_dotenv_open_to_others_warns_once_naming_the_file(tmp_path: Path) -> None:
    out = dotenv_run(tmp_path, "ROLE_DIFF_LOG=off\nSECRET_TOKEN=s3cr3t-value\n", 0o644, "ask", "what is mlops")
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1
    assert f"{tmp_path / '.env'} is open to other users (mode 0644) and may hold secrets" in warnings[0]
    assert f"run chmod 600 {tmp_path / '.env'}" in warnings[0]
    assert "s3cr3t-value" not in out.stderr, "never the values"


def test_dotenv_private_file_is_quiet(tmp_path: Path) -> None:
    out = dotenv_run(tmp_path, "ROLE_DIFF_LOG=off\n", 0o600, "ask", "what is mlops")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


# -- start-up ------------------------------------------------------------------------------------


def modules_after_ask(tmp_path: Path, *args: str) -> list[str]:
    code = (
        "import sys\n"
        "from bot.cli import main\n"
        f"status = main({['ask', *args]!r})\n"
        "assert status == 0, status\n"
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("ROLE_DIFF_LOG", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )  # stdout is a pipe, not a terminal
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stderr.splitlines() if line.startswith("MODULES "))
    return line.split()[1:]


def test_ask_to_a_pipe_imports_no_chat_sdk_nor_rich(tmp_path: Path) -> None:
    for args in (("what is mlops",), ("--no-log", "compare pay"), ("--json", "help")):
        modules = modules_after_ask(tmp_path, *args)
        top = {m.split(".")[0] for m in modules}
        for heavy in ("rich", "slack_bolt", "slack_sdk", "discord", "aiohttp"):
            assert heavy not in top, (args, heavy)
        assert not [m for m in modules if m.startswith("adapters.console")], args


def test_ask_with_the_log_off_imports_no_sqlalchemy_and_a_cached_start_no_yaml(tmp_path: Path) -> None:
    first = {m.split(".")[0] for m in modules_after_ask(tmp_path, "--no-log", "what is mlops")}
    assert "sqlalchemy" not in first
    assert "yaml" in first  # a cold cache: the knowledge was parsed
    second = {m.split(".")[0] for m in modules_after_ask(tmp_path, "--no-log", "what is mlops")}
    assert "yaml" not in second and "sqlalchemy" not in second
