"""The console adapter: rich on a terminal, plain when piped, and its little commands."""

from __future__ import annotations

import io

from rich.console import Console

from adapters.console.app import run_console
from adapters.console.render import render_plain, render_rich
from bot.builtins import respond
from bot.engine import Engine
from bot.log import InteractionLog
from bot.reply import Paragraph, Reply
from bot.service import RoleDiff


def rich_text(reply: Reply) -> str:
    buf = io.StringIO()
    Console(file=buf, width=100, color_system=None).print(render_rich(reply))
    return buf.getvalue()


def test_rich_rendering_shows_title_body_sources_and_hints(engine: Engine) -> None:
    reply = respond(engine, "who earns more, DS or MLE?")
    out = rich_text(reply)
    assert reply.title in out
    assert "Sources:" in out and "Tina Jones" in out
    assert "+ / - rates this answer" in out
    assert "**" not in out  # bold markers are rendered, not shown


def test_rich_rendering_does_not_interpret_markup_in_content() -> None:
    reply = Reply(kind="answer", title="[bold]T[/bold]", blocks=(Paragraph("[red]x[/red] and **b**"),))
    out = rich_text(reply)
    assert "[red]x[/red]" in out and "[bold]T[/bold]" in out


def test_compare_table_renders_every_row(engine: Engine) -> None:
    reply = respond(engine, "compare")
    out = rich_text(reply)
    plain = render_plain(reply)
    for row in reply.rows:
        assert row.dimension in out  # names stay on one line at 100 columns
        assert row.dimension in plain
        assert row.data_scientist[:20] in plain and row.ml_engineer[:20] in plain


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_piped_session_numbers_feedback_and_quit(engine: Engine, tmp_path) -> None:
    log = InteractionLog(f"sqlite:///{tmp_path / 'c.db'}", salt="x")
    service = RoleDiff(engine, log)
    stdin = _Pipe("ds vs mle\n1\n-\n\nwhat's the weather\nexit\nwhat is mlops\n")
    stdout = _Pipe()
    assert run_console(service, stdin, stdout) == 0
    out = stdout.getvalue()
    first = respond(engine, "ds vs mle")
    opened = engine.kb.by_id[first.related[0].entry_id]
    assert first.title in out and opened.title in out
    assert "Thanks, noted: the curators will look at it." in out
    assert "I don't know that one yet" in out
    assert "What is MLOps" not in out  # after exit nothing more is answered
    log.flush()
    assert [r["question"] for r in log.rows("questions")] == ["ds vs mle", "what's the weather"]
    fb = log.rows("feedback")
    assert len(fb) == 1 and fb[0]["entry_id"] == opened.id and fb[0]["helpful"] is False
    log.close()


def test_a_failing_answer_is_reported_and_the_chat_goes_on(engine: Engine) -> None:
    class Flaky(RoleDiff):
        def ask(self, text, asker):  # type: ignore[no-untyped-def]
            if "boom" in text:
                raise RuntimeError("knowledge vanished")
            return super().ask(text, asker)

    stdout = _Pipe()
    assert run_console(Flaky(engine), _Pipe("boom\nds vs mle\n"), stdout) == 0
    out = stdout.getvalue()
    assert "Sorry, something went wrong" in out and "Traceback" not in out
    assert respond(engine, "ds vs mle").title in out
