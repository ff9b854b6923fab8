"""Reply -> Block Kit: pure functions, no SDK, no I/O.

Every text that reaches Slack goes through `escape` (`&`, `<`, `>`), so
nothing a user typed, nor anything in the knowledge base, can become a
mention, a channel ping or a link. Text a user typed is also `neutral`:
`@channel`, `@here`, `@everyone` get a word joiner after the `@`, so even a
client that parses bare names never pings.

Slack's limits (https://docs.slack.dev/reference/block-kit/blocks) hold for
everything built here; a long reply is split over more sections and, past
50 blocks, over more messages, never cut or rejected:

- 50 blocks a message, 100 in a Home tab;
- section text 3,000 characters, section fields 10 of 2,000 each;
- header text 150 (plain text);
- context block 10 elements;
- actions block 25 elements; button text 75, value 2,000, action_id 255.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.reply import Bullets, Link, Paragraph, Reply, Span, inline_spans

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 2000  # kept below the section limit: context text is small print
CONTEXT_ELEMENTS = 10
ACTION_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
FALLBACK_TEXT = 3000

# Action ids: a stable prefix, then the entry id (action ids must be unique in a message).
SHOW = "rd_show:"
FEEDBACK_UP = "rd_fb_up:"
FEEDBACK_DOWN = "rd_fb_down:"
SHARE = "rd_share"
ACTIONS_PATTERN = re.compile(r"^rd_(show|fb_up|fb_down):")

BULLET = "•"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.I)
_WS = re.compile(r"(\s+)")

Block = dict[str, Any]


@dataclass
class Message:
    """One Slack message: the fallback `text` (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# -- text ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters as entities (the only escaping Slack has)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What Slack delivers (`&lt;` for a typed `<`) back to what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def neutral(text: str) -> str:
    """User-typed text, safe to echo in mrkdwn: escaped, and broadcast words defused."""
    return _BROADCAST.sub("@\u2060", escape(text))


def fit(text: str, limit: int, render: Any = escape) -> str:
    """`render(text)` cut (with "…") so that it is at most `limit` characters."""
    out = render(text)
    if len(out) <= limit:
        return out
    cut = text
    while cut and len(out) > limit:
        cut = cut[: max(0, min(len(cut) - 1, int(len(cut) * limit / len(out)) - 1))].rstrip()
        out = render(cut + "…")
    return out


def plain_fit(text: str, limit: int) -> str:
    """Plain text (headers, buttons) cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _span_tokens(span: Span, limit: int) -> list[str]:
    """A span as mrkdwn tokens, each at most `limit` characters; whitespace is its own token."""
    if span.url is not None:
        label = escape(" ".join(span.text.split()) or span.url).replace("|", "¦")
        link = f"<{escape(span.url)}|{label}>"
        if len(link) <= limit:
            return [link]
        return _words(f"{span.text} ({span.url})", limit)
    if span.bold and span.text.strip() and "*" not in span.text:
        lead = span.text[: len(span.text) - len(span.text.lstrip())]
        trail = span.text[len(span.text.rstrip()) :]
        inner = escape(span.text.strip())
        if len(inner) + 2 <= limit:
            return [t for t in (lead, f"*{inner}*", trail) if t]
        return [t if t.isspace() else f"*{t}*" for t in _words(span.text.strip(), limit - 2)]
    return _words(span.text, limit)


def _words(text: str, limit: int) -> list[str]:
    tokens: list[str] = []
    for part in _WS.split(text):
        if not part:
            continue
        if part.isspace():
            tokens.append(" " if "\n" not in part else "\n")
            continue
        word = escape(part)
        if len(word) <= limit:
            tokens.append(word)
            continue
        step = max(1, limit // 5)  # an escaped character is at most 5 long
        tokens.extend(escape(part[i : i + step]) for i in range(0, len(part), step))
    return tokens


def mrkdwn_tokens(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Knowledge-base inline markup (`**bold**`, `[label](url)`) as Slack mrkdwn tokens."""
    tokens: list[str] = []
    for span in inline_spans(text):
        tokens.extend(_span_tokens(span, limit))
    return tokens


def mrkdwn(text: str) -> str:
    """Knowledge-base inline markup as one mrkdwn string: `*bold*`, `<url|label>`, escaped."""
    return "".join(mrkdwn_tokens(text))


def pack_tokens(tokens: Sequence[str], limit: int) -> list[str]:
    """Join tokens into chunks of at most `limit` characters, breaking only between tokens."""
    chunks: list[str] = []
    current = ""
    for token in tokens:
        if len(current) + len(token) > limit and current.strip():
            chunks.append(current.strip())
            current = ""
        if not current and token.isspace():
            continue
        current += token
    if current.strip():
        chunks.append(current.strip())
    return chunks


def pack_lines(lines: Iterable[Sequence[str]], limit: int) -> list[str]:
    """Lines (each a token list) into chunks of at most `limit`, whole lines where they fit."""
    chunks: list[str] = []
    current = ""
    for tokens in lines:
        line = "".join(tokens).strip()
        if not line:
            continue
        if len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(pack_tokens(tokens, limit))
            continue
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            chunks.append(current)
            current = line
        else:
            current = joined
    if current:
        chunks.append(current)
    return chunks


# -- blocks ---------------------------------------------------------------------------


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": plain_fit(text, HEADER_TEXT) or "role-diff"}}


def section(text: str) -> Block:
    assert len(text) <= SECTION_TEXT
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(texts: Sequence[str]) -> list[Block]:
    """Context blocks holding the given mrkdwn texts (each at most CONTEXT_TEXT), 10 to a block."""
    elements = [{"type": "mrkdwn", "text": t} for t in texts if t]
    return [
        {"type": "context", "elements": elements[i : i + CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    assert len(action_id) <= ACTION_ID and len(value) <= BUTTON_VALUE
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain_fit(text, BUTTON_TEXT) or "…", "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(elements: Sequence[Block], block_id: str) -> list[Block]:
    return [
        {"type": "actions", "block_id": block_id if i == 0 else f"{block_id}_{i}", "elements": list(chunk)}
        for i, chunk in enumerate(elements[j : j + ACTION_ELEMENTS] for j in range(0, len(elements), ACTION_ELEMENTS))
    ]


def body_sections(reply: Reply) -> list[Block]:
    """Paragraphs and bullets as mrkdwn sections, each within the section limit."""
    out: list[Block] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            chunks = pack_tokens(mrkdwn_tokens(block.text), SECTION_TEXT)
        elif isinstance(block, Bullets):
            lines = ([f"{BULLET} ", *mrkdwn_tokens(item)] for item in block.items)
            chunks = pack_lines(lines, SECTION_TEXT)
        else:  # pragma: no cover - the reply model has only these two
            continue
        out.extend(section(c) for c in chunks)
    return out


def row_sections(reply: Reply) -> list[Block]:
    """Comparison rows: the dimension, then data scientist | ML engineer side by side."""
    out: list[Block] = []
    for row in reply.rows:
        name = fit(row.dimension, SECTION_TEXT - 2, lambda t: escape(" ".join(t.split())))
        ds = f"*Data scientist*\n{mrkdwn(row.data_scientist)}"
        mle = f"*ML engineer*\n{mrkdwn(row.ml_engineer)}"
        if len(ds) <= FIELD_TEXT and len(mle) <= FIELD_TEXT:
            out.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{name}*"},
                    "fields": [{"type": "mrkdwn", "text": ds}, {"type": "mrkdwn", "text": mle}],
                }
            )
            continue
        out.append(section(f"*{name}*"))  # too long for fields: one section per role, split as needed
        for role, text in (("Data scientist", row.data_scientist), ("ML engineer", row.ml_engineer)):
            out.extend(section(c) for c in pack_tokens([f"*{role}:* ", *mrkdwn_tokens(text)], SECTION_TEXT))
    return out


def credit_context(reply: Reply) -> list[Block]:
    if not reply.credits:
        return []
    items = [escape(" ".join(c.text.split())) for c in reply.credits]
    texts = pack_tokens(["*Sources:* ", *(x for item in items for x in (item, " · "))][:-1], CONTEXT_TEXT)
    return context(texts)


def link_buttons(links: Sequence[Link], style: str | None = None) -> list[Block]:
    seen: set[str] = set()
    out: list[Block] = []
    for link in links:
        action_id = f"{SHOW}{link.entry_id}"
        if action_id in seen or len(action_id) > ACTION_ID or len(link.entry_id) > BUTTON_VALUE:
            continue
        seen.add(action_id)
        out.append(button(link.title, action_id, link.entry_id, style))
    return out


def share_value(reply: Reply, text: str) -> str | None:
    """What the Share button needs to post the answer again, in at most 2,000 characters:
    the entry id for an answer (the text only to echo the question), or the text of a
    built-in. None for a decline: nobody shares "I don't know"."""
    if reply.kind == "decline":
        return None
    entry = reply.entry_id if reply.kind in ("answer", "entry") else None
    question = reply.question if entry else text
    value = json.dumps({"e": entry, "q": question}, ensure_ascii=False, separators=(",", ":"))
    while len(value) > BUTTON_VALUE:
        question = question[: len(question) - (len(value) - BUTTON_VALUE) - 1]
        value = json.dumps({"e": entry, "q": question}, ensure_ascii=False, separators=(",", ":"))
    return value


def parse_share_value(value: str) -> tuple[str | None, str]:
    """(entry id or None, text) from a Share or feedback button value."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    entry, text = data.get("e"), data.get("q")
    return (entry if isinstance(entry, str) else None), (text if isinstance(text, str) else "")


def thanks_text(helpful: bool) -> str:
    return (
        "👍 Thanks for the feedback!"
        if helpful
        else "👎 Thanks for the feedback: the curators will look at this answer."
    )


def render(
    reply: Reply,
    *,
    echo: str | None = None,
    shared_by: str | None = None,
    share: str | None = None,
    feedback: bool = True,
    thanks: bool | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> list[Message]:
    """The reply as one or more messages, each within Slack's limits.

    `echo`: the user's question, shown (escaped) under the title. `shared_by`:
    a Slack user id credited as the one who shared it. `share`: the Share
    button's value (ephemeral answers only). `feedback`: 👍/👎 buttons when
    the reply has an entry. `thanks`: instead of the buttons, the thank-you
    for that rating. Buttons and sources come last, in the last message.
    """
    top: list[Block] = [header(reply.title)]
    small: list[str] = []
    if shared_by and _USER_ID.match(shared_by):
        small.append(f"Shared by <@{shared_by}>")
    if echo:
        small.append(fit(echo, CONTEXT_TEXT - 12, lambda t: "_Question:_ " + neutral(t)))
    if reply.notice:
        small.append(fit(reply.notice, CONTEXT_TEXT))
    top.extend(context(small))
    content = body_sections(reply) + row_sections(reply)
    tail: list[Block] = credit_context(reply)
    if reply.suggestions:
        tail.extend(actions(link_buttons(reply.suggestions, "primary"), "rd_suggestions"))
    if reply.related:
        tail.extend(context(["*Related:*"]))
        tail.extend(actions(link_buttons(reply.related), "rd_related"))
    last: list[Block] = []
    if share is not None:
        last.append(button("📣 Share in channel", SHARE, share, "primary"))
    if reply.feedback_allowed and feedback and thanks is None:
        entry = reply.entry_id or ""
        value = share if share is not None else entry
        last.append(button("👍 Helpful", f"{FEEDBACK_UP}{entry}", value))
        last.append(button("👎 Not helpful", f"{FEEDBACK_DOWN}{entry}", value))
    tail.extend(actions(last, "rd_feedback"))
    if thanks is not None:
        tail.extend(context([thanks_text(thanks)]))

    blocks = top + content + tail
    summary = fit(reply.summary(), FALLBACK_TEXT)
    if len(blocks) <= max_blocks:
        return [Message(summary, blocks)]
    # Split: full messages of content; the tail (sources and buttons) stays whole in the last one.
    messages: list[Message] = []
    pending = top + content
    while pending:
        room = max_blocks if len(pending) + len(tail) > max_blocks else len(pending)
        chunk, pending = pending[:room], pending[room:]
        text = summary if not messages else fit(f"{reply.title} (continued)", FALLBACK_TEXT)
        messages.append(Message(text, chunk))
    if len(messages[-1].blocks) + len(tail) <= max_blocks:
        messages[-1].blocks.extend(tail)
    else:
        messages.append(Message(fit(f"{reply.title} (continued)", FALLBACK_TEXT), tail))
    return messages


def with_thanks(blocks: Sequence[Block], helpful: bool) -> list[Block]:
    """A posted message's blocks with the 👍/👎 buttons replaced by a thank-you."""
    out: list[Block] = []
    replaced = False
    for block in blocks:
        if block.get("type") != "actions":
            out.append(block)
            continue
        elements = block.get("elements") or []
        kept = [e for e in elements if not str(e.get("action_id", "")).startswith(("rd_fb_up:", "rd_fb_down:"))]
        if len(kept) == len(elements):
            out.append(block)
            continue
        if kept:
            out.append({**block, "elements": kept})
        out.extend(context([thanks_text(helpful)]))
        replaced = True
    if not replaced:
        out.extend(context([thanks_text(helpful)]))
    return out[:MAX_BLOCKS]


def home_view(sections: Sequence[Reply], intro: str) -> dict[str, Any]:
    """The App Home tab: an intro, then each reply (overview, how to ask, topics) in turn."""
    blocks: list[Block] = [header("role-diff"), section(fit(intro, SECTION_TEXT, mrkdwn))]
    for reply in sections:
        blocks.append({"type": "divider"})
        blocks.append(header(reply.title))
        blocks.extend(body_sections(reply))
        blocks.extend(row_sections(reply))
        blocks.extend(credit_context(reply))
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = [*blocks[: MAX_HOME_BLOCKS - 1], *context(["…and more: ask me *topics*."])]
    return {"type": "home", "blocks": blocks}
