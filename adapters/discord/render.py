"""A Reply as Discord messages: embeds plus button specs, within Discord's limits.

Pure functions: no network, no client. A long reply is split over several
embeds and, past 10 embeds or 6,000 characters, several messages; nothing is
dropped except what one title, field name or footer cannot hold (cut with
an ellipsis). Buttons are described by `ButtonSpec`; `bot.py` turns them into
persistent components.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import discord
from discord.utils import escape_markdown

from bot.reply import Bullets, Link, Paragraph, Reply, inline_spans

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000  # per message, across all its embeds
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
BUTTONS_PER_ROW = 5
ROWS_MAX = 5
CHOICES_MAX = 25
CHOICE_MAX = 100

COLOURS = {"answer": 0x5865F2, "entry": 0x5865F2, "decline": 0xFEE75C}
DEFAULT_COLOUR = 0x57F287

Action = Literal["show", "up", "down"]


@dataclass(frozen=True)
class ButtonSpec:
    action: Action
    entry_id: str
    label: str
    emoji: str | None = None
    primary: bool = False

    @property
    def custom_id(self) -> str:
        return f"rd:show:{self.entry_id}" if self.action == "show" else f"rd:fb:{self.action}:{self.entry_id}"


@dataclass
class Outgoing:
    """One Discord message: its embeds, and (on the last one) its buttons."""

    embeds: list[discord.Embed]
    rows: list[list[ButtonSpec]] = field(default_factory=list)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def inline(text: str) -> str:
    """Knowledge-base inline markup (**bold**, [label](url)) as Discord markdown."""
    out: list[str] = []
    for span in inline_spans(text):
        escaped = escape_markdown(span.text)
        if span.url:
            out.append(f"[{escaped}]({span.url})")
        elif span.bold:
            out.append(f"**{escaped}**")
        else:
            out.append(escaped)
    return "".join(out)


def split_text(text: str, limit: int, sep: str = "\n") -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks, then spaces,
    then anywhere."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for part in text.split(sep):
        candidate = f"{current}{sep}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if len(part) <= limit:
            current = part
        elif sep == "\n":
            *done, current = split_text(part, limit, " ")
            pieces.extend(done)
        else:
            done = [part[i : i + limit] for i in range(0, len(part), limit)]
            pieces.extend(done[:-1])
            current = done[-1]
    if current:
        pieces.append(current)
    return pieces


def pack(chunks: list[str], limit: int, sep: str = "\n\n") -> list[str]:
    """Join chunks greedily into pieces of at most `limit` characters."""
    pieces: list[str] = []
    current = ""
    for chunk in chunks:
        for part in split_text(chunk, limit):
            candidate = f"{current}{sep}{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def description_chunks(reply: Reply) -> list[str]:
    chunks: list[str] = []
    if reply.notice:
        chunks.append(f"*{escape_markdown(reply.notice)}*")
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            chunks.append(inline(block.text))
        elif isinstance(block, Bullets):
            chunks.append("\n".join(f"• {inline(item)}" for item in block.items))
    return chunks


Field = tuple[str, str, bool]  # name, value, inline
SPACER: Field = ("\u200b", "\u200b", True)


def row_fields(reply: Reply) -> list[list[Field]]:
    """Comparison rows, one group of fields each: side by side as two inline
    fields (data scientist | ML engineer) and a blank third that ends the line
    on desktop; on phones they stack, so each name says its role. A row too
    long for a field becomes full-width fields, split as needed."""
    groups: list[list[Field]] = []
    for row in reply.rows:
        ds, mle = escape_markdown(row.data_scientist) or "—", escape_markdown(row.ml_engineer) or "—"
        if len(ds) <= FIELD_VALUE_MAX and len(mle) <= FIELD_VALUE_MAX:
            groups.append(
                [
                    (cut(f"{row.dimension} · data scientist", FIELD_NAME_MAX), ds, True),
                    (cut(f"{row.dimension} · ML engineer", FIELD_NAME_MAX), mle, True),
                    SPACER,
                ]
            )
            continue
        group: list[Field] = []
        for role, text in (("data scientist", ds), ("ML engineer", mle)):
            for i, part in enumerate(split_text(text, FIELD_VALUE_MAX, " ")):
                label = f"{row.dimension} · {role}" + (" (cont.)" if i else "")
                group.append((cut(label, FIELD_NAME_MAX), part, False))
        groups.append(group)
    return groups


def footer_text(reply: Reply) -> str | None:
    if not reply.credits:
        return None
    return cut("Sources: " + "; ".join(c.text for c in reply.credits), FOOTER_MAX)


def links(reply: Reply) -> list[tuple[Link, bool]]:
    """Suggestions (primary) then related entries, each once, never the entry itself."""
    seen = {reply.entry_id} if reply.entry_id else set()
    out: list[tuple[Link, bool]] = []
    for group, primary in ((reply.suggestions, True), (reply.related, False)):
        for link in group:
            if link.entry_id not in seen:
                seen.add(link.entry_id)
                out.append((link, primary))
    return out


def button_rows(reply: Reply) -> list[list[ButtonSpec]]:
    feedback = bool(reply.entry_id) and len(f"rd:fb:down:{reply.entry_id}") <= CUSTOM_ID_MAX
    specs = [
        ButtonSpec("show", link.entry_id, cut(link.title, BUTTON_LABEL_MAX), primary=primary)
        for link, primary in links(reply)
        if len(f"rd:show:{link.entry_id}") <= CUSTOM_ID_MAX
    ]
    specs = specs[: BUTTONS_PER_ROW * (ROWS_MAX - (1 if feedback else 0))]
    rows = [specs[i : i + BUTTONS_PER_ROW] for i in range(0, len(specs), BUTTONS_PER_ROW)]
    if feedback and reply.entry_id:
        rows.append(
            [
                ButtonSpec("up", reply.entry_id, "Helpful", emoji="👍"),
                ButtonSpec("down", reply.entry_id, "Not helpful", emoji="👎"),
            ]
        )
    return rows


def render(reply: Reply, *, echo_question: bool = False) -> list[Outgoing]:
    """The messages that carry `reply`, in order; buttons go on the last.

    `echo_question` shows what was asked above the answer (as the embed's
    author line, which Discord shows as plain text: no markdown, no mentions),
    for a slash command, whose options the channel does not see."""
    colour = COLOURS.get(reply.kind, DEFAULT_COLOUR)
    title = cut(reply.title, TITLE_MAX) or "role-diff"
    footer = footer_text(reply)
    # every embed leaves room for a full title, author line and footer, so any one fits 6,000
    budget = EMBED_TOTAL_MAX - TITLE_MAX - AUTHOR_MAX - len(footer or "")
    descriptions = pack(description_chunks(reply), min(DESCRIPTION_MAX, budget))

    embeds = [discord.Embed(title=title, description=descriptions[0] if descriptions else None, colour=colour)]
    question = " ".join(reply.question.split())
    if echo_question and question:
        embeds[0].set_author(name=cut(f"“{question}”", AUTHOR_MAX))
    for description in descriptions[1:]:
        embeds.append(discord.Embed(description=description, colour=colour))
    limit = budget + TITLE_MAX + AUTHOR_MAX  # the footer still fits on whichever embed ends up last

    def fits(embed: discord.Embed, fields: list[Field]) -> bool:
        size = len(embed) + sum(len(name) + len(value) for name, value, _ in fields)
        return len(embed.fields) + len(fields) <= FIELDS_MAX and size <= limit

    for group in row_fields(reply):
        if not fits(embeds[-1], group) and fits(discord.Embed(), group):
            embeds.append(discord.Embed(colour=colour))  # keep a row's fields together
        for name, value, is_inline in group:
            if not fits(embeds[-1], [(name, value, is_inline)]):
                embeds.append(discord.Embed(colour=colour))
            embeds[-1].add_field(name=name, value=value, inline=is_inline)
    if footer:
        embeds[-1].set_footer(text=footer)

    messages: list[Outgoing] = [Outgoing([])]
    size = 0
    for embed in embeds:
        current = messages[-1]
        if current.embeds and (len(current.embeds) >= EMBEDS_PER_MESSAGE or size + len(embed) > EMBED_TOTAL_MAX):
            current = Outgoing([])
            messages.append(current)
            size = 0
        current.embeds.append(embed)
        size += len(embed)
    messages[-1].rows = button_rows(reply)
    return messages


def choices(questions: list[str]) -> list[tuple[str, str]]:
    """Autocomplete choices (name, value): at most 25, each at most 100 characters, unique."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for q in questions:
        text = cut(" ".join(q.split()), CHOICE_MAX)
        if text and text not in seen:
            seen.add(text)
            out.append((text, text))
        if len(out) == CHOICES_MAX:
            break
    return out
