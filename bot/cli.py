"""The `role-diff` command line.

User errors print one line (`role-diff: ...`) and exit 2 for usage and bad
settings, 1 for failures; never a traceback. Chat SDKs are imported only
when a platform is actually run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .context import Turn
    from .engine import Engine, Heard
    from .log import InteractionLog
    from .service import RoleDiff

from . import __version__
from .clikit import PROG, fail
from .settings import SettingsError


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


# What each platform needs installed: (the package a user knows, the extra).
PLATFORM_EXTRAS = {"slack": ("slack-bolt", "slack"), "discord": ("discord.py", "discord")}
_MODULE_PLATFORM = {"slack_bolt": "slack", "slack_sdk": "slack", "discord": "discord"}


def _require_subcommand(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A helper group named without its subcommand ("role-diff slack"): name them."""
    group = args.command
    if group is None or group in COMMANDS or getattr(args, "handler", None) is not None:
        return
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        sub = action.choices.get(group) if isinstance(action.choices, dict) else None
        if sub is None or sub._subparsers is None:
            continue
        for inner in sub._subparsers._group_actions:
            if isinstance(inner.choices, dict):
                names = ",".join(inner.choices)
                raise UsageError(f"usage: {PROG} {group} {{{names}}} (see '{PROG} {group} --help')")


def missing_extra_message(platforms: list[str], exc: ModuleNotFoundError) -> str:
    """One line naming what to install, not the module deep inside that failed."""
    top = (exc.name or "").split(".")[0]
    platform = _MODULE_PLATFORM.get(top) or (platforms[0] if len(platforms) == 1 else None)
    if platform in PLATFORM_EXTRAS:
        package, extra = PLATFORM_EXTRAS[platform]
        return (
            f"{platform} needs {package}, which is not installed (no module named {exc.name!r}): "
            f"pip install '.[{extra}]' in a checkout, or pip install 'role-diff[{extra}]'"
        )
    return f"{exc.name} is not installed (pip install 'role-diff[slack,discord]')"


def _platforms(args: argparse.Namespace | None) -> list[str]:
    if args is None:
        return []
    if args.command == "run":
        return list(getattr(args, "platform", None) or [])
    return [args.command] if args.command else []


# Commands that load the knowledge (and so read ROLE_DIFF_KNOWLEDGE).
KNOWLEDGE_COMMANDS = {None, "chat", "run", "ask", "explain", "eval", "kb", "validate"}


def build_parser(with_platforms: bool = True) -> argparse.ArgumentParser:
    """The parser; `with_platforms=False` leaves out the platforms' helper
    commands (loading them costs start-up time that `ask` need not pay)."""
    p = _Parser(
        prog=PROG, description="Answers 'data scientist vs ML engineer' questions from a curated knowledge base."
    )
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def no_log(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--no-log", action="store_true", help="do not record this session in the interaction log")

    sp = sub.add_parser("chat", help="chat with the bot in this terminal (the default; needs no tokens)")
    no_log(sp)

    sp = sub.add_parser(
        "run",
        help="run the bot on one or more platforms in one process (e.g. run slack discord)",
        description="Run the bot on the named platforms in one process. With none named: the platforms in "
        "ROLE_DIFF_PLATFORMS, else every platform whose tokens are set, else (in a terminal) the terminal chat.",
    )
    sp.add_argument("platform", nargs="*", help="slack, discord, console (console runs alone)")
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
    sp.add_argument(
        "--after",
        action="append",
        default=[],
        metavar="QUESTION",
        help="an earlier turn of the conversation (repeat for several, in order): explain the question as a follow-up",
    )

    sp = sub.add_parser("eval", help="measure answer quality on evaluation TSV files")
    sp.add_argument("files", nargs="+", type=Path)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("kb", help="dump the loaded knowledge")
    sp.add_argument("--json", action="store_true", help="as JSON (the default and only format)")

    sp = sub.add_parser("validate", help="check knowledge directories; exit 1 on any problem")
    sp.add_argument(
        "dirs", nargs="*", type=Path, help="extra knowledge directories (default: shipped + ROLE_DIFF_KNOWLEDGE)"
    )
    sp.add_argument(
        "--self-check",
        action="store_true",
        help="also answer each phrasing with the knowledge minus that phrasing; print the rate and confusable pairs",
    )
    sp.add_argument(
        "--min-rate",
        type=float,
        default=0.0,
        metavar="RATE",
        help="with --self-check: exit 1 if fewer than RATE (0-1) of the phrasings find their own entry",
    )
    sp.add_argument("--json", action="store_true", help="with --self-check: print the result as JSON")

    sp = sub.add_parser("unanswered", help="declined questions, most frequent first")
    sp.add_argument("--since", type=_duration, default=None, help="only this recent (e.g. 7d, 12h)")
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("report", help="the curator's report: answer rate, gaps, helpfulness (HTML or JSON)")
    sp.add_argument("--since", type=_duration, default=None, help="only this recent (e.g. 30d); default: everything")
    sp.add_argument("--platform", default=None, help="only this platform (slack, discord, console, cli)")
    sp.add_argument("--html", type=Path, default=None, metavar="FILE", help="write the report as one HTML file")
    sp.add_argument("--json", action="store_true", help="print the figures as JSON")
    sp.add_argument("--clusters", type=int, default=30, help="unanswered clusters shown (default 30)")

    sp = sub.add_parser("db", help="the interaction log's database")
    dbsub = sp.add_subparsers(dest="db_command", parser_class=_Parser, required=True)
    dbsub.add_parser("upgrade", help="create the database or bring its schema to this version (Alembic)")

    sp = sub.add_parser("log", help="the interaction log's data")
    lsub = sp.add_subparsers(dest="log_command", parser_class=_Parser, required=True)
    fp = lsub.add_parser("forget", help="erase one person's questions and feedback")
    fp.add_argument("--platform", required=True, help="the platform the id belongs to: slack, discord, console")
    fp.add_argument("--user", required=True, help="the person's user id on that platform (e.g. U123ABC)")
    lsub.add_parser("prune", help="delete rows older than ROLE_DIFF_LOG_RETENTION now")

    sp = sub.add_parser("new", help="write a new knowledge entry, pre-filled from an unanswered cluster")
    sp.add_argument("entry_id", help="the new entry's id (lowercase-with-dashes)")
    sp.add_argument(
        "--from-unanswered", type=int, required=True, metavar="N", help="cluster N of 'role-diff unanswered'"
    )
    sp.add_argument("--since", type=_duration, default=None, help="cluster numbering of 'unanswered --since'")
    sp.add_argument(
        "--dir", type=Path, default=None, help="knowledge directory (default: first of ROLE_DIFF_KNOWLEDGE)"
    )

    sp = sub.add_parser("add-phrasing", help="add a question (phrasing) to an existing entry's file")
    sp.add_argument("entry_id")
    sp.add_argument("question")

    if with_platforms:
        from .platforms import add_platform_commands

        add_platform_commands(sub)  # `role-diff slack manifest`, `role-diff discord sync`, ...
    return p


# -- commands ------------------------------------------------------------------


def _service(log_enabled: bool | None = None) -> RoleDiff:
    from .service import RoleDiff
    from .settings import CoreSettings

    return RoleDiff.from_settings(CoreSettings.from_env(), log_enabled=log_enabled)


def _log_flag(args: argparse.Namespace) -> bool | None:
    return False if getattr(args, "no_log", False) else None


def cmd_chat(args: argparse.Namespace) -> int:
    from . import platforms

    console = platforms.get("console")
    service = _service(_log_flag(args))
    try:
        return console.chat(service)
    finally:
        service.close()


def cmd_run(args: argparse.Namespace) -> int:
    from . import platforms, runner
    from .platforms import RunOptions

    names = list(dict.fromkeys(args.platform))
    for name in names:
        platforms.get(name)  # an unknown one is a usage error naming the installed ones
    why = None
    if not names:
        names, why = platforms.choose(os.environ)
        if not names:
            hint = platforms.token_hint()
            if sys.stdin.isatty() and sys.stdout.isatty():
                print(f"{PROG}: no platform tokens set ({hint}): starting the terminal chat", file=sys.stderr)
                return cmd_chat(args)
            raise SettingsError(
                "ROLE_DIFF_PLATFORMS",
                f"no platform to run: name one (role-diff run slack), set ROLE_DIFF_PLATFORMS, "
                f"or set the tokens ({hint}); `role-diff chat` is the terminal chat",
            )
    if "console" in names:
        if len(names) > 1:
            raise UsageError("console runs alone (it owns the terminal): run the other platforms without it")
        return cmd_chat(args)
    options = RunOptions(http=args.http, host=args.host, port=args.port)
    return runner.run(names, options, log_enabled=_log_flag(args), why=why)


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


def batch_line(line: str) -> tuple[str, str | None]:
    """A batch input line: plain text is the question; a JSON object gives
    "question" and, optionally, "conversation" (any id)."""
    if line.lstrip().startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line, None
        if isinstance(obj, dict) and isinstance(obj.get("question"), str):
            conv = obj.get("conversation")
            return obj["question"], None if conv is None else str(conv)
    return line, None


def cmd_ask(args: argparse.Namespace) -> int:
    from .service import Asker

    service = _service(_log_flag(args))
    asker = Asker("cli", None, "command")
    try:
        from .jsonlines import clean_text, read_lines, write_json_line

        if args.question:
            question = clean_text(" ".join(args.question))
            reply = service.ask(question, asker)
            if args.json:
                write_json_line(_reply_json(question, reply))
            elif sys.stdout.isatty():
                from . import platforms  # the console adapter: rich, for a terminal

                platforms.get("console").print_reply(reply)
            else:  # a pipe or a file: plain text, without the console adapter or rich
                from .plaintext import render_plain

                print(render_plain(reply), end="\n\n")
            return 0
        # batch mode: one question per stdin line, one JSON (or text) answer per line
        # (always JSON: other tools read this format line by line)
        # Bytes in, UTF-8 JSON out: one line per input line whatever the bytes (see jsonlines).
        # A line may be a JSON object {"question": ..., "conversation": ...}:
        # lines of one conversation are asked in order, follow-ups in context.
        for line in read_lines():
            question, conversation = batch_line(line)
            reply = service.ask(question, replace(asker, conversation=conversation))
            out = _reply_json(question, reply)
            if conversation is not None:
                out["conversation"] = conversation
            write_json_line(out)
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
    if args.after:
        return _explain_follow_up(engine, args.after, question)
    a = engine.analyse(question)
    print(f"tokens:    {' '.join(a.tokens) or '(none)'}")
    if a.corrected:
        print("corrected: " + ", ".join(f"{k}->{v}" for k, v in a.corrected.items()))
    print(
        f"known:     {' '.join(a.known) or '(none)'}  coverage {a.coverage:.2f}"
        f"  role {a.has_role}  domain {a.has_domain}"
    )
    t = engine.t
    norm = t.fuzz_weight + t.overlap_weight + t.cosine_weight + t.nb_weight
    print(
        f"final = ({t.fuzz_weight} x fuzz + {t.overlap_weight} x 100 x overlap + {t.cosine_weight} x 100 x cosine"
        f" + {t.nb_weight} x 100 x vote) / {norm:g}; answer at {t.answer:g} with a role named,"
        f" {t.answer_without_role:g} without"
    )
    for sc in a.scores[:8]:
        print(
            f"  {sc.final:6.1f}  fuzz {sc.fuzz:5.1f}  overlap {sc.overlap:4.2f}  cosine {sc.cosine:4.2f}"
            f"  vote {sc.vote:4.2f}  {sc.entry_id}"
        )
    print(f"rules:     {_said(engine.match_rules(question))}")
    _explain_topics(engine, engine.hear(question), None)
    print(f"decision:  {_said(engine.match(question))}")
    return 0


def _said(result: object) -> str:
    """A result as `explain` prints it: the entry and score, or the decline's reason."""
    from .engine import Answer

    if isinstance(result, Answer):
        return f"Answer {result.entry.id} ({result.score:.1f})"
    return f"Decline {getattr(result, 'reason', '')}".rstrip()


def _explain_topics(engine: Engine, heard: Heard, previous: Turn | None) -> None:
    ranked = engine.topic_opinion(heard, previous)
    if not ranked:
        print("topics:    the topic model is turned off")
        return
    t = engine.t
    no_role = (
        "never a single question naming no role"
        if t.topic_answer_no_role > 1
        else f"{t.topic_answer_no_role:g} for a single question naming no role"
    )
    print(
        "topics:    the topic model's probabilities: "
        + ", ".join(f"{topic} {p:.2f}" for topic, p in ranked[:3])
        + f"; it answers a low-score decline from {t.topic_answer:g} ({no_role}),"
        f" a follow-up the rules found off-topic from {t.topic_answer_off_topic:g},"
        f" a decline asked of the bot itself with the entry about the bot from {t.topic_answer_about:g},"
        f" moves an answer to its topic from {t.topic_overrule:g} (the last answer given again"
        f" from {t.topic_overrule_last:g}), declines an answer it reads as none from {t.topic_veto:g}"
    )


def _explain_follow_up(engine: Engine, earlier: list[str], question: str) -> int:
    """`explain --after`: the conversation so far, what the rules make of the
    follow-up, and each candidate the follow-up model weighs."""
    from .builtins import respond_turn
    from .engine import ABOUT_TOPIC, Answer

    previous = None
    for turn_text in earlier:
        reply, turn = respond_turn(engine, turn_text, previous)
        print(f"earlier:   {turn_text!r} -> {reply.entry_id if reply.kind == 'answer' else reply.kind}")
        if turn is not None:
            previous = turn
    if previous is None:
        print("after:     no earlier turn was answered, so the question stands alone")
        print(f"decision:  {_said(engine.match(question))}")
        return 0
    print(
        f"after:     {previous.entry_id} (topic {previous.topic}; roles {' '.join(previous.roles) or '(none)'};"
        f" tokens {' '.join(previous.tokens) or '(none)'})"
    )
    heard = engine.hear(question, previous.topic)
    rules = engine.match_rules(question, previous)
    print(f"rules:     {_said(rules)}")
    settled = isinstance(rules, Answer) and (rules.sources_only or rules.settled)
    if engine.followups is None or previous.topic == ABOUT_TOPIC or settled:
        print("model:     not asked (turned off, after a question about the bot, or read by a rule of its own)")
    else:
        pick = engine.t.follow_up_pick
        print(f"model:     probability each candidate is right; the likeliest answers from {pick:g}")
        readings = {
            "rule": "the rules' pick",
            "alone_top": "best alone",
            "with_roles_top": "best with the roles",
            "with_last_top": "best with the last words",
            "last": "the last answer",
        }
        for p, c in engine.followups.choose(engine.follow_up_candidates(heard, previous, rules)):
            found = ", ".join(label for name, label in readings.items() if c.features.get(name))
            print(f"  {p:5.2f}  {c.entry_id}  score {c.score:.1f}  ({found})")
    _explain_topics(engine, heard, previous)
    if engine.about_another_occupation(heard, previous):
        print(
            "others:    it names an occupation far from the roles (bot/occupations.py) and no role, analogy"
            " or asker of ours: an answer is declined"
        )
    print(f"decision:  {_said(engine.match(question, previous))}")
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
    if not args.self_check:
        return 0
    from .engine import Engine
    from .selfcheck import format_self_check, self_check

    report = self_check(Engine(kb))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_self_check(report))
    if report.rate < args.min_rate:
        print(f"self-check: {report.rate:.3f} is below --min-rate {args.min_rate}", file=sys.stderr)
        return 1
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
        from .dberrors import explain

        raise CliFailure(f"cannot read the interaction log: {explain(exc, settings.database_url)}") from None
    finally:
        log.close()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "rank": rank,
                        "question": g.question,
                        "count": g.count,
                        "last_asked": g.last_asked.isoformat(),
                        "variants": list(g.variants),
                    }
                    for rank, g in enumerate(groups, start=1)
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not groups:
        print("No declined questions" + (" in that period." if args.since else " yet."))
        return 0
    for rank, g in enumerate(groups, start=1):
        extra = f"  (+{len(g.variants) - 1} similar)" if len(g.variants) > 1 else ""
        print(f"#{rank:<3} {g.count:5d}  {g.last_asked:%Y-%m-%d}  {g.question}{extra}")
    return 0


def _open_log() -> tuple[InteractionLog, str]:
    from .log import InteractionLog
    from .logdb import safe_url
    from .settings import CoreSettings

    settings = CoreSettings.from_env()
    if not settings.log_enabled:
        raise CliFailure("the interaction log is off (ROLE_DIFF_LOG=off)")
    log = InteractionLog(settings.database_url, salt=settings.hash_salt, retention=settings.log_retention)
    return log, safe_url(settings.database_url)


def _log_failure(exc: Exception) -> CliFailure:
    from .log import db_problem

    return CliFailure(f"the interaction log's database: {db_problem(exc)}")


def _span(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    if hours and hours % 24 == 0:
        return f"{hours // 24}d"
    return f"{hours}h" if hours else f"{int(span.total_seconds() // 60)}m"


def cmd_db(args: argparse.Namespace) -> int:
    log, where = _open_log()
    try:
        before, after = log.upgrade()
    except Exception as exc:
        raise _log_failure(exc) from None
    finally:
        log.close()
    if before == after:
        print(f"{where}: already at schema version {after}")
    else:
        print(f"{where}: schema version {before or '(new)'} -> {after}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    log, where = _open_log()
    try:
        if args.log_command == "forget":
            if not args.user.strip() or not args.platform.strip():
                raise UsageError("--platform and --user must not be empty")
            nq, nf = log.forget(args.platform.strip(), args.user.strip())
            print(f"erased {nq} question(s) and {nf} feedback row(s) of that {args.platform} user from {where}")
            return 0
        if log.retention is None:
            raise CliFailure("ROLE_DIFF_LOG_RETENTION is not set: nothing to prune (e.g. ROLE_DIFF_LOG_RETENTION=90d)")
        nq, nf = log.prune()
        print(f"pruned {nq} question(s) and {nf} feedback row(s) older than {_span(log.retention)} from {where}")
        return 0
    except (CliFailure, UsageError):
        raise
    except Exception as exc:
        raise _log_failure(exc) from None
    finally:
        log.close()


def cmd_report(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .knowledge import load_knowledge
    from .report import Period, ReportError, figures, open_log
    from .settings import CoreSettings

    settings = CoreSettings.from_env()
    if args.clusters < 1:
        raise UsageError("--clusters must be at least 1")
    engine = Engine(load_knowledge())
    try:
        db = open_log(settings.database_url)
    except ReportError as exc:
        raise CliFailure(str(exc)) from None
    try:
        data = figures(db, engine, Period(args.since, args.platform), clusters=args.clusters)
    except Exception as exc:
        raise CliFailure(f"cannot read the interaction log: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        db.dispose()
    if args.html is not None:
        try:
            from .report_html import render_html

            page = render_html(data)
        except ModuleNotFoundError as exc:
            raise CliFailure(f"{exc.name} is not installed: pip install 'role-diff[report]'") from None
        try:
            args.html.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise CliFailure(f"cannot write {args.html}: {exc.strerror}") from None
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.html is not None:
        print(f"wrote {args.html} ({len(page.encode()) // 1024} KB): open it in a browser")
    else:
        _print_report_summary(data)
    return 0


def _print_report_summary(data: dict[str, object]) -> None:
    t = data["totals"]
    assert isinstance(t, dict)
    rate = "n/a" if t["answer_rate"] is None else f"{100 * t['answer_rate']:.1f} %"
    print(
        f"{t['questions']} questions: {t['answered']} answered, {t['declined']} declined, "
        f"{t['builtin']} built-ins; answer rate {rate}"
    )
    unanswered = data["unanswered"]
    assert isinstance(unanswered, dict)
    for c in unanswered["clusters"][:10]:
        close = c["closest"]
        hint = {"near": f"near {close['entry_id']}", "answered-now": f"answered now by {close['entry_id']}"}.get(
            close["kind"], "gap"
        )
        print(f"  #{c['rank']:<3} {c['count']:5d}  {c['question']}  [{hint}]")
    helpful = data["helpfulness"]
    assert isinstance(helpful, list)
    for h in helpful[:5]:
        if h["unhelpful"]:
            print(f"  👎 {h['unhelpful']:4d}  👍 {h['helpful']:4d}  {h['entry_id']}")
    print("Use --html FILE for the full report with charts, --json for the figures.")


def cmd_new(args: argparse.Namespace) -> int:
    from .curate import CurateError, new_entry, target_dir
    from .engine import Answer, Engine
    from .knowledge import check_knowledge, default_dirs
    from .report import ReportError, open_log, unanswered_groups
    from .settings import CoreSettings

    n = args.from_unanswered
    if n < 1:
        raise UsageError("--from-unanswered N counts from 1 (the numbers 'role-diff unanswered' shows)")
    try:
        directory = target_dir(args.dir)
        db = open_log(CoreSettings.from_env().database_url)
    except (CurateError, ReportError) as exc:
        raise CliFailure(str(exc)) from None
    try:
        groups = unanswered_groups(db, since=args.since, limit=n)
    except Exception as exc:
        raise CliFailure(f"cannot read the interaction log: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        db.dispose()
    if len(groups) < n:
        raise CliFailure(f"there are {len(groups)} unanswered clusters, not {n}: see role-diff unanswered")
    group = groups[n - 1]
    kb, _ = check_knowledge(default_dirs())  # problems (an empty directory of ours) are validate's business
    engine = Engine(kb)
    result = engine.match(group.question)
    closest = None
    if isinstance(result, Answer):
        closest = result.entry
    elif (scores := engine.analyse(group.question).scores) and scores[0][1] >= engine.t.suggest:
        closest = kb.by_id[scores[0][0]]
    try:
        written = new_entry(args.entry_id, group.variants, directory, cluster=n, closest=closest, kb=kb)
    except CurateError as exc:
        raise CliFailure(str(exc)) from None
    print(f"wrote {written.path} with {len(written.phrasings)} phrasing(s) from cluster {n} ({group.count} questions):")
    for q in written.phrasings:
        print(f"  - {q}")
    for why in written.skipped:
        print(f"  left out: {why}")
    if written.problems:
        print("still to do (role-diff validate rejects the entry until then):")
        for p in written.problems:
            print(f"  {p}")
    if written.elsewhere:
        print(f"({written.elsewhere} problem(s) in other files: run role-diff validate)")
    print(
        f"next: edit {written.path} (answer, title, topic, sources), then run role-diff validate, "
        f'then role-diff ask "{written.phrasings[0]}" to see it answer'
    )
    return 0


def cmd_add_phrasing(args: argparse.Namespace) -> int:
    from .builtins import respond
    from .curate import CurateError, add_phrasing
    from .engine import Engine

    try:
        added = add_phrasing(args.entry_id, args.question)
    except CurateError as exc:
        raise CliFailure(str(exc)) from None
    question = " ".join(args.question.split())
    print(f"added to {added.path}:{added.line}: {question}")
    if added.problems:
        print("the entry does not validate yet (role-diff validate); still to do:")
        for p in added.problems:
            print(f"  {p}")
        print("next: fix those, then role-diff validate")
        return 0
    reply = respond(Engine(added.kb), question)
    if reply.kind == "answer" and reply.entry_id == args.entry_id:
        print(f"ok: the knowledge validates and the question now gets {args.entry_id!r} (score {reply.score})")
    else:
        got = f"{reply.entry_id!r}" if reply.kind == "answer" else f"a {reply.kind}"
        print(f'note: the knowledge validates, but the question still gets {got}: see role-diff explain "{question}"')
    print("next: commit the change; a running bot answers with it once it reloads the knowledge (restart it)")
    return 0


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
    "report": cmd_report,
    "new": cmd_new,
    "add-phrasing": cmd_add_phrasing,
    "db": cmd_db,
    "log": cmd_log,
}


def main(argv: Sequence[str] | None = None) -> int:
    from . import logsetup
    from .knowledge import KnowledgeError
    from .platforms import UnknownPlatform
    from .settings import check_knowledge_setting, load_dotenv

    args: argparse.Namespace | None = None
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        first = next((w for w in words if not w.startswith("-")), None)
        parser = build_parser(with_platforms=first not in COMMANDS)
        args = parser.parse_args(words)
        _require_subcommand(parser, args)
        logsetup.configure()  # so that reading .env can warn (a file open to others)
        load_dotenv()
        logsetup.configure()  # again: .env may set the format and hold secrets to redact
        logsetup.log_format(os.environ)  # a bad ROLE_DIFF_LOG_FORMAT: one line, exit 2
        if args.command in KNOWLEDGE_COMMANDS:
            check_knowledge_setting()
        handler = getattr(args, "handler", None)
        if handler is not None:  # a platform's helper command
            return int(handler(args))
        command = args.command or "chat"
        if args.command is None:
            args.no_log = False
        return COMMANDS[command](args)
    except UnknownPlatform as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        return fail(str(exc), 2)  # as every failure line: a JSON object with ROLE_DIFF_LOG_FORMAT=json
    except KnowledgeError as exc:
        return fail(f"the knowledge has {len(exc.problems)} problem(s):" + "".join(f"\n  {p}" for p in exc.problems))
    except CliFailure as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:
        print(f"{PROG}: {missing_extra_message(_platforms(args), exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
