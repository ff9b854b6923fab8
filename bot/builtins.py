"""Built-in commands, the same on every platform, and building replies.

`respond(engine, text)` is the one entry point adapters (through the service)
use: it recognises the commands (empty input, help, topics, compare
[dimension], sources) and otherwise asks the engine to match.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from .citations import render_citations
from .context import Turn
from .engine import ABOUT_TOPIC, DEFAULT_THRESHOLDS, PERSON_ROLES, Answer, Engine, Thresholds
from .knowledge import Dimension, Entry, KnowledgeBase
from .reply import Bullets, ComparisonRow, Credit, Link, Paragraph, Reply, parse_blocks
from .text import GREETINGS_ELSEWHERE, ROLE_TOKENS, STEMMED_GENERIC, clean_input, content_tokens, fold, strip_vocative

MAX_RELATED = 5
CUT_NOTICE = "Your message was over 2,000 characters, so I only read the first 2,000."

HOW_TO_ASK = "Ask in plain words: **/role-diff** and your question, mention me, or send me a direct message."
COMMANDS = (
    "**help**: this message",
    "**topics**: everything I can answer",
    "**compare**: the side-by-side table; **compare <dimension>** for one row (e.g. compare pay, compare tools)",
    "**sources**: where my knowledge comes from",
)


def short_names(kb: KnowledgeBase) -> dict[str, str]:
    """Source key -> the short name inline citations show."""
    return {key: source.short_name() for key, source in kb.sources.items()}


def cite(kb: KnowledgeBase, text: str) -> str:
    """Knowledge text with its inline source keys as short names ("(jones)" -> "(Jones)")."""
    return render_citations(text, short_names(kb))


def _credits(kb: KnowledgeBase, keys: tuple[str, ...]) -> tuple[Credit, ...]:
    return tuple(Credit(k, kb.sources[k].credit()) for k in keys if k in kb.sources)


def _links(kb: KnowledgeBase, ids: list[str]) -> tuple[Link, ...]:
    out: list[Link] = []
    for entry_id in ids:
        entry = kb.get(entry_id)
        if entry is not None and all(link.entry_id != entry_id for link in out):
            out.append(Link(entry.id, entry.title))
    return tuple(out)


def entry_reply(
    kb: KnowledgeBase,
    entry: Entry,
    *,
    kind: str = "entry",
    score: float | None = None,
    runners_up: tuple[Entry, ...] = (),
    question: str = "",
    notice: str | None = None,
    second: Entry | None = None,
) -> Reply:
    # the entry answering another part of the question comes first
    related_ids = [*([second.id] if second else []), *entry.related, *(r.id for r in runners_up)]
    related = tuple(link for link in _links(kb, related_ids) if link.entry_id != entry.id)[:MAX_RELATED]
    return Reply(
        kind="answer" if kind == "answer" else "entry",
        title=entry.title,
        blocks=parse_blocks(cite(kb, entry.answer)),
        credits=_credits(kb, entry.sources),
        related=related,
        entry_id=entry.id,
        topic=entry.topic,
        score=score,
        question=question,
        notice=notice,
        runners_up=tuple(r.id for r in runners_up),
    )


def decline_reply(
    kb: KnowledgeBase, suggestions: tuple[Entry, ...], question: str, score: float, notice: str | None
) -> Reply:
    blocks: list[Paragraph | Bullets] = [
        Paragraph(
            "Nothing in my knowledge fits this question, and I would rather not guess. "
            "I answer questions about data scientists and ML engineers."
        ),
    ]
    if suggestions:
        blocks.append(Paragraph("Did you mean one of these?"))
    else:
        blocks.append(Paragraph("Try **topics** to see what I can answer, or **help** for how to ask."))
    return Reply(
        kind="decline",
        title="I don't know that one yet",
        blocks=tuple(blocks),
        suggestions=_links(kb, [s.id for s in suggestions]),
        question=question,
        score=round(score, 1),
        notice=notice,
    )


def overview_reply(kb: KnowledgeBase) -> Reply:
    return Reply(
        kind="overview",
        title="Data scientist vs ML engineer, in two lines",
        blocks=(
            Paragraph(
                "**Data scientists** turn a business question into an answer from data: they explore, "
                "test ideas and build the first model. **ML engineers** turn that model into software "
                "that runs reliably in production, at scale, and keep it healthy."
            ),
            Paragraph(
                "Ask me about what each does, skills, tools, pay, education, the hand-over between them, "
                "MLOps and deployment, job titles, team set-ups, or which role to pick."
            ),
            Bullets(COMMANDS),
        ),
        credits=_credits(kb, ("jones", "clarifying")),
        related=_links(kb, ["difference", "working-together", "choosing"]),
    )


SHORTHAND = (
    "Shorthand is fine: DS, MLE, ML eng, data sci. When I am not sure, I say so and suggest "
    "what I can answer instead of guessing."
)

# What `help` says about asking and about the controls, per platform (the
# `Asker.platform` the adapter reports). The built-ins (COMMANDS) are the same
# everywhere; only how you ask and what you can click or type differ.
PLATFORM_HELP: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "console": (
        "Type a question in plain words and press Enter.",
        "In this terminal:",
        (
            "**1**, **2**, ...: open a numbered suggestion or related entry from the last reply",
            "**+** / **-**: tell the curators whether the last answer helped",
            "**quit** or Ctrl-D: leave",
        ),
    ),
    "cli": (
        'Ask one question: **role-diff ask "your question"**; for a conversation, **role-diff chat**.',
        "On the command line:",
        (
            "**--json**: the answer as JSON; with no question, one JSON line per question read from stdin",
            '**role-diff explain "question"**: how a question was matched',
        ),
    ),
    "slack": (
        HOW_TO_ASK,
        "In Slack:",
        (
            "Answers to **/role-diff** are visible only to you until you press **📣 Share in channel**",
            "The buttons under an answer open related entries or suggestions",
            "👍 / 👎 under an answer tell the curators whether it helped",
        ),
    ),
    "discord": (
        HOW_TO_ASK,
        "In Discord:",
        (
            "**/role-diff** suggests questions as you type",
            "The buttons under an answer open related entries or suggestions",
            "👍 / 👎 under an answer tell the curators whether it helped",
        ),
    ),
}
DEFAULT_HELP_PLATFORM = "slack"  # chat platforms share the wording; unknown ones get Slack's


def help_reply(kb: KnowledgeBase, platform: str | None = None) -> Reply:
    """How to ask, for `platform` (console, cli, slack, discord)."""
    how, heading, controls = PLATFORM_HELP.get(platform or "", PLATFORM_HELP[DEFAULT_HELP_PLATFORM])
    return Reply(
        kind="help",
        title="How to ask role-diff",
        blocks=(
            Paragraph(how),
            Paragraph(SHORTHAND),
            Bullets(COMMANDS),
            Paragraph(heading),
            Bullets(controls),
        ),
    )


def topics_reply(kb: KnowledgeBase) -> Reply:
    items = tuple(sorted((e.title for e in kb.entries), key=str.casefold))
    return Reply(
        kind="topics",
        title=f"What I can answer ({len(items)} topics)",
        blocks=(Bullets(items), Paragraph("Ask about any of them in your own words.")),
    )


def entry_sources_reply(kb: KnowledgeBase, entry: Entry, *, score: float | None = None, question: str = "") -> Reply:
    """Where one answer comes from ("where's that from?" after it): its
    sources, without the answer again (the full credits are the reply's
    sources line)."""
    credits = _credits(kb, entry.sources)
    names = [kb.sources[c.key].short_name() for c in credits]
    said = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    text = (
        f"That answer (**{entry.title}**) is written in our own words from {said}."
        if names
        else f"That answer (**{entry.title}**) lists no source."
    )
    return Reply(
        kind="answer",
        title=f"Sources: {entry.title}",
        blocks=(Paragraph(text),),
        credits=credits,
        related=_links(kb, [entry.id]),
        entry_id=entry.id,
        topic=entry.topic,
        score=score,
        question=question,
    )


def sources_reply(kb: KnowledgeBase) -> Reply:
    items = tuple(f"**{s.short_name()}**: {s.credit()}" for s in kb.sources.values())
    return Reply(
        kind="sources",
        title="Where my knowledge comes from",
        blocks=(
            Paragraph(
                "Every answer is written in our own words from these texts and cites the ones it draws on. "
                "Where they disagree, the answer says so."
            ),
            Bullets(items),
        ),
        credits=tuple(Credit(s.key, s.credit()) for s in kb.sources.values()),
    )


def _row(kb: KnowledgeBase, d: Dimension) -> ComparisonRow:
    return ComparisonRow(d.name, cite(kb, d.data_scientist), cite(kb, d.ml_engineer), d.sources)


def compare_reply(kb: KnowledgeBase, dims: tuple[Dimension, ...], note: str | None = None) -> Reply:
    keys = tuple(dict.fromkeys(k for d in dims for k in d.sources))
    title = "Data scientist vs ML engineer" if len(dims) != 1 else f"{dims[0].name}: data scientist vs ML engineer"
    blocks = (Paragraph(note),) if note else ()
    return Reply(
        kind="compare", title=title, blocks=blocks, rows=tuple(_row(kb, d) for d in dims), credits=_credits(kb, keys)
    )


def unknown_dimension_reply(kb: KnowledgeBase) -> Reply:
    """`compare <something that is not a row>`: the rows that exist, not a guess."""
    return Reply(
        kind="compare",
        title="No such row in the comparison",
        blocks=(
            Paragraph("The side-by-side table has no row by that name. It compares the two roles on:"),
            Bullets(tuple(f"**compare {d.id}**: {d.name}" for d in kb.dimensions)),
            Paragraph("Or type **compare** for the whole table."),
        ),
    )


def _dimension_key(text: str) -> str:
    return " ".join(t for t in content_tokens(text) if t not in ROLE_TOKENS)


def find_dimension(kb: KnowledgeBase, text: str, t: Thresholds = DEFAULT_THRESHOLDS) -> Dimension | None:
    """The comparison row `text` names ("pay", "tools", "day to day"), or None.

    Matched on content words with the role names removed, so "compare the
    tools of DS and MLE" finds tools while "compare the weather in paris"
    finds nothing: every word asked must belong to the dimension's name.
    """
    key = _dimension_key(text)
    if not key:  # only filler words: "compare questions" still names a row
        folded = fold(text)
        for d in kb.dimensions:
            if any(fuzz.ratio(folded, fold(n)) >= t.dimension_fuzz for n in (d.id, d.name, *d.aliases)):
                return d
        return None
    asked = set(key.split())
    best: tuple[float, Dimension] | None = None
    for d in kb.dimensions:
        for name in (d.id, d.name, *d.aliases):
            name_key = _dimension_key(name)
            if not name_key:
                continue
            score = fuzz.ratio(key, name_key)
            name_words = set(name_key.split())
            if asked - STEMMED_GENERIC <= name_words and asked & name_words:
                score = max(score, t.dimension_words)
            if score >= t.dimension_fuzz and (best is None or score > best[0]):
                best = (score, d)
    return best[1] if best else None


_GREETING = frozenset(
    "hi hey heya hiya hello yo sup howdy greetings hallo morning evening afternoon good there all "
    "team folks everyone bot role diff".split()
) | frozenset(GREETINGS_ELSEWHERE)
_HELP = {"help", "h", "commands", "usage", "what can i ask", "how do i use this", "how do i use you"}
_TOPICS = {"topics", "topic", "list", "list topics", "index", "menu"}
_SOURCES = {"sources", "source", "references", "refs", "credits", "bibliography"}
_COMPARE = {"compare", "comparison", "table", "compare table", "comparison table", "side by side"}


def respond(engine: Engine, text: str, previous: Turn | None = None, *, platform: str | None = None) -> Reply:
    """The reply for any text a user sent. Never raises for any str.
    `platform` (console, cli, slack, discord) picks the wording of `help`."""
    return respond_turn(engine, text, previous, platform=platform)[0]


def respond_turn(
    engine: Engine, text: str, previous: Turn | None = None, *, platform: str | None = None
) -> tuple[Reply, Turn | None]:
    """The reply, and the turn a follow-up may borrow from (None: keep the
    previous one, for built-ins and declines).

    `previous` is the conversation's last answered turn; `platform` (console,
    cli, slack, discord) picks the wording of `help`."""
    kb = engine.kb
    cleaned, cut = clean_input(text if isinstance(text, str) else str(text))
    notice = CUT_NOTICE if cut else None
    command = fold(cleaned)
    if not command:
        if cleaned:  # only punctuation or symbols: nothing to answer
            return decline_reply(kb, (), cleaned, 0.0, notice), None
        return overview_reply(kb), None
    if set(command.split()) <= _GREETING:  # "hi", "hey bot", "hello role-diff": say what I do
        return overview_reply(kb), None
    # "/role-diff help" typed in a message, "@role-diff topics", "hey bot, help"
    command = strip_vocative(command) or command
    if command in _HELP:
        return help_reply(kb, platform), None
    if command in _TOPICS:
        return topics_reply(kb), None
    if command in _SOURCES and (previous is None or previous.topic == ABOUT_TOPIC or "?" not in cleaned):
        # "sources" lists them all; "source?" after an answer asks for that answer's (the engine's call)
        return sources_reply(kb), None
    if command in _COMPARE:
        return compare_reply(kb, kb.dimensions), None
    first, _, rest = command.partition(" ")
    if first in {"compare", "comparison"} and rest:
        dim = find_dimension(kb, rest, engine.t)
        if dim is not None:
            return compare_reply(kb, (dim,)), None
        leftover = [t for t in content_tokens(rest) if t not in ROLE_TOKENS and t not in STEMMED_GENERIC]
        if not leftover:  # "compare ds and mle": the whole table
            return compare_reply(kb, kb.dimensions), None
        if not any(t in ROLE_TOKENS for t in content_tokens(rest)):
            # "compare weather": not a row, and not a question about the roles
            # ("compare how DS and MLE hand over" still goes to the matcher).
            return unknown_dimension_reply(kb), None
    result = engine.match(cleaned, previous)
    if isinstance(result, Answer) and result.sources_only:
        reply = entry_sources_reply(kb, result.entry, score=result.score, question=cleaned)
        return reply, None  # the conversation stays on the answer
    if isinstance(result, Answer):
        reply = entry_reply(
            kb,
            result.entry,
            kind="answer",
            score=result.score,
            runners_up=result.runners_up,
            question=cleaned,
            notice=notice,
            second=result.second,
        )
        named = (*(previous.roles if previous else ()), *(t for t in result.tokens if t in PERSON_ROLES))
        return reply, Turn(result.entry.id, result.tokens, result.entry.topic, tuple(dict.fromkeys(named)))
    return decline_reply(kb, result.suggestions, cleaned, result.score, notice), None
