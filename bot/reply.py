"""The platform-neutral reply every adapter renders natively.

The engine builds a `Reply`; it never contains platform markup. Text in
`Paragraph` and `Bullets` is the knowledge base's tiny inline language
(`**bold**` and `[label](https://url)`), which `inline_spans` splits into
spans so each adapter can render and escape them its own way. Text that came
from a user (`Reply.question`) is plain and must be escaped by the adapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ReplyKind = Literal["answer", "decline", "overview", "help", "topics", "compare", "sources", "entry"]


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Block = Paragraph | Bullets


@dataclass(frozen=True)
class ComparisonRow:
    dimension: str
    data_scientist: str
    ml_engineer: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credit:
    key: str
    text: str  # "Tina Jones, ML Engineer VS. Data Scientist: What's the Difference?"


@dataclass(frozen=True)
class Link:
    """A pointer to another entry: a related entry or a "did you mean"."""

    entry_id: str
    title: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    title: str
    blocks: tuple[Block, ...] = ()
    rows: tuple[ComparisonRow, ...] = ()
    credits: tuple[Credit, ...] = ()
    related: tuple[Link, ...] = ()
    suggestions: tuple[Link, ...] = ()
    entry_id: str | None = None
    topic: str | None = None
    score: float | None = None
    notice: str | None = None
    question: str = ""
    runners_up: tuple[str, ...] = field(default=())

    @property
    def answered(self) -> bool:
        return self.kind in ("answer", "entry")

    @property
    def feedback_allowed(self) -> bool:
        return self.entry_id is not None

    def plain_text(self) -> str:
        """The whole reply as plain text: notifications, logs, piped output."""
        parts = [self.title]
        if self.notice:
            parts.append(self.notice)
        for block in self.blocks:
            if isinstance(block, Paragraph):
                parts.append(plain(block.text))
            else:
                parts.append("\n".join(f"- {plain(item)}" for item in block.items))
        for row in self.rows:
            parts.append(f"{row.dimension}\n  Data scientist: {row.data_scientist}\n  ML engineer: {row.ml_engineer}")
        if self.suggestions:
            parts.append("Did you mean: " + "; ".join(s.title for s in self.suggestions))
        if self.related:
            parts.append("Related: " + "; ".join(r.title for r in self.related))
        if self.credits:
            parts.append("Sources: " + "; ".join(c.text for c in self.credits))
        return "\n\n".join(p for p in parts if p)

    def summary(self, limit: int = 150) -> str:
        """A one-line fallback (Slack's notification text, say)."""
        first = next((plain(b.text) for b in self.blocks if isinstance(b, Paragraph)), "")
        text = f"{self.title}: {first}" if first else self.title
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]]+)\]\((?P<url>https?://[^)\s]+)\)")


def inline_spans(text: str) -> list[Span]:
    """Split knowledge-base inline markup into spans."""
    spans: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            spans.append(Span(text[pos : m.start()]))
        if m.group("bold") is not None:
            spans.append(Span(m.group("bold"), bold=True))
        else:
            spans.append(Span(m.group("label"), url=m.group("url")))
        pos = m.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return spans


def plain(text: str) -> str:
    """Inline markup removed: bold kept as words, links as "label (url)"."""
    return "".join(s.text if s.url is None else f"{s.text} ({s.url})" for s in inline_spans(text))


def parse_blocks(markdown: str) -> tuple[Block, ...]:
    """The answer body (paragraphs and "- " bullets) as blocks."""
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Paragraph(" ".join(para)))
            para.clear()
        if items:
            blocks.append(Bullets(tuple(items)))
            items.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith(("- ", "* ", "• ")):
            if para:
                blocks.append(Paragraph(" ".join(para)))
                para.clear()
            items.append(line[2:].strip())
        elif items and raw.startswith((" ", "\t")):
            items[-1] = f"{items[-1]} {line}"  # a wrapped bullet
        else:
            if items:
                blocks.append(Bullets(tuple(items)))
                items.clear()
            para.append(line)
    flush()
    return tuple(blocks)
