"""`role-diff chat`: a prompt with history on a terminal, one question per
line when piped. Numbers open the last reply's suggestions or related
entries; `+` / `-` rate the last answer; `quit` or Ctrl-D leaves."""

from __future__ import annotations

import getpass
import logging
import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.clikit import describe
from bot.reply import Reply
from bot.service import Asker, RoleDiff

from .render import render_plain, render_rich

logger = logging.getLogger("role_diff.console")
SORRY = "Sorry, something went wrong with that one. Try another question."
PROMPT = "role-diff> "
QUIT = {"quit", "exit", "bye", ":q", "/quit", "/exit"}


def print_reply(reply: Reply, out: TextIO | None = None, *, rich: bool | None = None) -> None:
    out = out or sys.stdout
    use_rich = out.isatty() if rich is None else rich
    if use_rich:
        from rich.console import Console

        Console(file=out).print(render_rich(reply))
    else:
        print(render_plain(reply), file=out)
        print(file=out)


def _history_file() -> Path | None:
    try:
        from platformdirs import user_state_dir

        path = Path(user_state_dir("role-diff", appauthor=False)) / "chat_history"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        return None


def _setup_history() -> Path | None:
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        return None
    path = _history_file()
    if path is not None:
        try:
            readline.read_history_file(path)
        except OSError:
            pass
        readline.set_history_length(1000)
    return path


def _save_history(path: Path | None) -> None:
    if path is None:
        return
    try:
        import readline

        readline.write_history_file(path)
    except (ImportError, OSError):
        pass


def run_console(service: RoleDiff, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    try:
        user = getpass.getuser()
    except Exception:
        user = None
    asker = Asker("console", user, "dm", f"session-{uuid.uuid4().hex}")  # the session is one conversation
    history = _setup_history() if interactive else None
    last: Reply | None = None
    if interactive:
        print_reply(service.reply(""), stdout)  # the greeting is not a question
    try:
        while True:
            if interactive:
                try:
                    line = input(PROMPT)
                except EOFError:
                    print(file=stdout)
                    break
            else:
                line = stdin.readline()
                if not line:
                    break
                line = line.rstrip("\r\n")
            text = line.strip()
            if text.lower() in QUIT:
                break
            try:
                links = (last.suggestions or last.related) if last else ()
                # Control input (a number, +, -, an empty line) is never logged as a question.
                if text.isdigit():
                    if last is not None and 1 <= int(text) <= len(links):
                        reply = service.show(links[int(text) - 1].entry_id)
                        if reply is not None:
                            last = reply
                            print_reply(reply, stdout, rich=interactive)
                    else:
                        shown = f"1-{len(links)}" if links else "none now"
                        print(f"No link numbered {text} (numbered links: {shown}). Ask a question.", file=stdout)
                    continue
                if text in {"+", "-"}:
                    if last is not None and last.entry_id:
                        service.feedback(last.entry_id, text == "+", asker)
                        thanks = "Thanks, noted." if text == "+" else "Thanks, noted: the curators will look at it."
                        print(thanks, file=stdout)
                    else:
                        print("Nothing to rate yet: + and - rate the last answer.", file=stdout)
                    continue
                if not text:
                    if interactive:
                        print_reply(service.reply(""), stdout, rich=interactive)
                    continue
                last = service.ask(line, asker)
                print_reply(last, stdout, rich=interactive)
            except Exception as exc:  # one bad question never ends the chat, nor shows a traceback
                logger.error("console: answering a question failed: %s", describe(exc))
                print(SORRY, file=stdout)
    except KeyboardInterrupt:
        print(file=stdout)
    finally:
        _save_history(history)
    return 0
