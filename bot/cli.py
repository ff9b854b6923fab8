"""The `role-diff` command line.

User errors print one line (`role-diff: ...`) and exit 2 for usage and bad
settings, 1 for failures; never a traceback. Chat SDKs are imported only
when a platform is actually run.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .service import RoleDiff

from . import __version__
from .clikit import PROG


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 30m, 12h, 7d, 2w")
    n, unit = int(m.group(1)), m.group(2)
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0-65535")
    return value


# Helper groups and their subcommands, named in full when one is missing.
SUBCOMMANDS = {"slack": "{manifest}", "discord": "{invite-url,sync}"}
# What each platform needs installed: (the module a user knows, the extra).
PLATFORM_EXTRAS = {"slack": ("slack-bolt", "slack"), "discord": ("discord.py", "discord")}


def _require_subcommand(args: argparse.Namespace) -> None:
    group = args.command
    if group in SUBCOMMANDS and getattr(args, f"{group}_command", None) is None:
        raise UsageError(f"usage: {PROG} {group} {SUBCOMMANDS[group]} (see '{PROG} {group} --help')")


def missing_extra_message(platform: str | None, exc: ModuleNotFoundError) -> str:
    """One line naming what to install, not the module deep inside that failed."""
    if platform in PLATFORM_EXTRAS:
        package, extra = PLATFORM_EXTRAS[platform]
        return (
            f"{platform} needs {package}, which is not installed (no module named {exc.name!r}): "
            f"pip install '.[{extra}]' in a checkout, or pip install 'role-diff[{extra}]'"
        )
    return f"{exc.name} is not installed (pip install 'role-diff[slack,discord]')"


def _platform(args: argparse.Namespace | None) -> str | None:
    if args is None:
        return None
    return getattr(args, "platform", None) if args.command == "run" else args.command


# Commands that load the knowledge (and so read ROLE_DIFF_KNOWLEDGE).
KNOWLEDGE_COMMANDS = {None, "chat", "run", "ask", "explain", "eval", "kb", "validate"}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG, description="Answers 'data scientist vs ML engineer' questions from a curated knowledge base."
    )
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def no_log(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--no-log", action="store_true", help="do not record this session in the interaction log")

    sp = sub.add_parser("chat", help="chat with the bot in this terminal (the default; needs no tokens)")
    no_log(sp)

    sp = sub.add_parser("run", help="run the bot on a platform: console (default), slack or discord")
    sp.add_argument("platform", nargs="?", default="console", choices=["console", "slack", "discord"])
    sp.add_argument("--http", action="store_true", help="slack: serve HTTP (Events API) instead of Socket Mode")
    sp.add_argument("--host", default="127.0.0.1", help="slack --http: address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=_port, default=3000, help="slack --http: port (default 3000)")
    no_log(sp)

    sp = sub.add_parser("ask", help="answer one question (or one per stdin line) and exit")
    sp.add_argument("question", nargs="*", help="the question; none: read one per line from stdin")
    sp.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    no_log(sp)

    sp = sub.add_parser("explain", help="show how a question was matched (for curators)")
    sp.add_argument("question", nargs="+")

    sp = sub.add_parser("eval", help="measure answer quality on evaluation TSV files")
    sp.add_argument("files", nargs="+", type=Path)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("kb", help="dump the loaded knowledge")
    sp.add_argument("--json", action="store_true", help="as JSON (the default and only format)")

    sp = sub.add_parser("validate", help="check knowledge directories; exit 1 on any problem")
    sp.add_argument(
        "dirs", nargs="*", type=Path, help="extra knowledge directories (default: shipped + ROLE_DIFF_KNOWLEDGE)"
    )

    sp = sub.add_parser("unanswered", help="declined questions, most frequent first")
    sp.add_argument("--since", type=_duration, default=None, help="only this recent (e.g. 7d, 12h)")
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("slack", help="Slack helpers")
    ssub = sp.add_subparsers(dest="slack_command", parser_class=_Parser, metavar=SUBCOMMANDS["slack"])
    ssub.add_parser("manifest", help="print the Slack app manifest")

    sp = sub.add_parser("discord", help="Discord helpers")
    dsub = sp.add_subparsers(dest="discord_command", parser_class=_Parser, metavar=SUBCOMMANDS["discord"])
    dsub.add_parser("invite-url", help="print the OAuth2 URL that adds the bot to a server")
    dsub.add_parser("sync", help="sync the /role-diff command with Discord now")
    return p


# -- commands ------------------------------------------------------------------


def _service(log_enabled: bool | None = None) -> RoleDiff:
    from .service import RoleDiff
    from .settings import CoreSettings

    return RoleDiff.from_settings(CoreSettings.from_env(), log_enabled=log_enabled)


def _log_flag(args: argparse.Namespace) -> bool | None:
    return False if getattr(args, "no_log", False) else None


def cmd_chat(args: argparse.Namespace) -> int:
    from adapters.console.app import run_console

    service = _service(_log_flag(args))
    try:
        return run_console(service)
    finally:
        service.close()


def cmd_run(args: argparse.Namespace) -> int:
    if args.platform == "console":
        return cmd_chat(args)
    if args.platform == "slack":
        from adapters.slack.cli import run as run_slack

        return run_slack(http=args.http, host=args.host, port=args.port, log_enabled=_log_flag(args))
    from adapters.discord.cli import run as run_discord

    return run_discord(log_enabled=_log_flag(args))


def _reply_json(question: str, reply: object) -> dict[str, object]:
    from .reply import Reply, plain

    assert isinstance(reply, Reply)
    answered = reply.kind == "answer"
    if reply.kind in ("answer", "entry"):
        answer = "\n\n".join(
            plain(b.text) if hasattr(b, "text") else "\n".join(f"- {plain(i)}" for i in b.items)  # type: ignore[union-attr]
            for b in reply.blocks
        )
    else:
        answer = reply.plain_text()
    return {
        "question": question,
        "entry_id": reply.entry_id if answered else None,
        "topic": reply.topic if answered else None,
        "score": reply.score,
        "answer": answer,
        "suggestions": [s.entry_id for s in reply.suggestions],
    }


def cmd_ask(args: argparse.Namespace) -> int:
    from .service import Asker

    service = _service(_log_flag(args))
    asker = Asker("cli", None, "command")
    try:
        if args.question:
            question = " ".join(args.question)
            reply = service.ask(question, asker)
            if args.json:
                print(json.dumps(_reply_json(question, reply), ensure_ascii=False))
            elif sys.stdout.isatty():
                from adapters.console.app import print_reply  # rich, for a terminal

                print_reply(reply)
            else:  # a pipe or a file: plain text, without the console adapter or rich
                from .plaintext import render_plain

                print(render_plain(reply), end="\n\n")
            return 0
        # batch mode: one question per stdin line, one JSON (or text) answer per line
        # (always JSON: other tools read this format line by line)
        for raw in sys.stdin:
            question = raw.rstrip("\r\n")
            reply = service.ask(question, asker)
            print(json.dumps(_reply_json(question, reply), ensure_ascii=False), flush=True)
        return 0
    finally:
        service.close()


def cmd_explain(args: argparse.Namespace) -> int:
    from .builtins import respond
    from .cache import load_engine

    engine = load_engine()
    question = " ".join(args.question)
    if not question.strip():  # what `ask ""` does: the overview, not a match
        print("decision:  builtin (empty question: the overview)")
        print(respond(engine, question).plain_text())
        return 0
    a = engine.analyse(question)
    print(f"tokens:    {' '.join(a.tokens) or '(none)'}")
    if a.corrected:
        print("corrected: " + ", ".join(f"{k}->{v}" for k, v in a.corrected.items()))
    print(
        f"known:     {' '.join(a.known) or '(none)'}  coverage {a.coverage:.2f}"
        f"  role {a.has_role}  domain {a.has_domain}"
    )
    for entry_id, final, fz, overlap in a.scores[:8]:
        print(f"  {final:6.1f}  fuzz {fz:5.1f}  overlap {overlap:4.2f}  {entry_id}")
    result = engine.decide(a)
    print(f"decision:  {type(result).__name__} {getattr(result, 'reason', '')}".rstrip())
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .evaluate import EvalFileError, evaluate, format_report, read_cases
    from .knowledge import load_knowledge

    cases = []
    for path in args.files:
        try:
            cases.extend(read_cases(path))
        except EvalFileError as exc:
            raise CliFailure(str(exc)) from None
    report = evaluate(Engine(load_knowledge()), cases)
    figures = report.figures()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(format_report(figures))
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from .knowledge import load_knowledge

    kb = load_knowledge()
    print(json.dumps([e.as_dict() for e in kb.entries], ensure_ascii=False, indent=2))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .knowledge import check_knowledge, default_dirs

    dirs = default_dirs(args.dirs)
    kb, problems = check_knowledge(dirs)
    for p in problems:
        print(p)
    shown = ", ".join(str(d) for d in dirs)
    if problems:
        print(f"{len(problems)} problem(s) in {shown}", file=sys.stderr)
        return 1
    print(f"ok: {len(kb.entries)} entries, {len(kb.sources)} sources, {len(kb.dimensions)} comparison rows ({shown})")
    return 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    from .log import InteractionLog
    from .settings import CoreSettings

    settings = CoreSettings.from_env()
    if not settings.log_enabled:
        raise CliFailure("the interaction log is off (ROLE_DIFF_LOG=off): nothing was recorded")
    log = InteractionLog(settings.database_url, salt=settings.hash_salt)
    try:
        groups = log.unanswered(since=args.since, limit=args.limit)
    except Exception as exc:
        raise CliFailure(f"cannot read the interaction log: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        log.close()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "question": g.question,
                        "count": g.count,
                        "last_asked": g.last_asked.isoformat(),
                        "variants": list(g.variants),
                    }
                    for g in groups
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not groups:
        print("No declined questions" + (" in that period." if args.since else " yet."))
        return 0
    for g in groups:
        extra = f"  (+{len(g.variants) - 1} similar)" if len(g.variants) > 1 else ""
        print(f"{g.count:5d}  {g.last_asked:%Y-%m-%d}  {g.question}{extra}")
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    from adapters.slack.cli import print_manifest

    return print_manifest()


def cmd_discord(args: argparse.Namespace) -> int:
    from adapters.discord import cli as discord_cli

    if args.discord_command == "invite-url":
        return discord_cli.invite_url()
    return discord_cli.sync()


class CliFailure(Exception):
    pass


COMMANDS = {
    "chat": cmd_chat,
    "run": cmd_run,
    "ask": cmd_ask,
    "explain": cmd_explain,
    "eval": cmd_eval,
    "kb": cmd_kb,
    "validate": cmd_validate,
    "unanswered": cmd_unanswered,
    "slack": cmd_slack,
    "discord": cmd_discord,
}


def main(argv: Sequence[str] | None = None) -> int:
    from .knowledge import KnowledgeError
    from .settings import SettingsError, check_knowledge_setting, load_dotenv

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        _require_subcommand(args)
        load_dotenv()
        if args.command in KNOWLEDGE_COMMANDS:
            check_knowledge_setting()
        command = args.command or "chat"
        if args.command is None:
            args.no_log = False
        return COMMANDS[command](args)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        print(f"{PROG}: the knowledge has {len(exc.problems)} problem(s):", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    except CliFailure as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:
        print(f"{PROG}: {missing_extra_message(_platform(args), exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
