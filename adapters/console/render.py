"""Rendering a Reply for a terminal: rich when interactive, plain when piped.

rich is imported only when a reply is rendered for a terminal, so piped
output (`role-diff ask ... | less`, scripts) never pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.plaintext import render_plain
from bot.reply import Bullets, Paragraph, Reply, inline_spans

__all__ = ["render_plain", "render_rich"]

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

BULLET = "  • "


def _text(markup: str) -> Text:
    from rich.text import Text

    out = Text()
    for span in inline_spans(markup):
        if span.url:
            out.append(span.text, style=f"underline link {span.url}")
        else:
            out.append(span.text, style="bold" if span.bold else "")
    return out


def _bullets(items: tuple[str, ...]) -> RenderableType:
    """Bullets whose wrapped lines hang under their text, not under the dot."""
    from rich.table import Table

    grid = Table.grid()
    grid.add_column(width=len(BULLET), no_wrap=True)
    grid.add_column()
    for item in items:
        grid.add_row(BULLET, _text(item))
    return grid


def render_rich(reply: Reply) -> RenderableType:
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    if reply.notice:
        parts.append(Text(reply.notice, style="yellow"))
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            parts.append(_text(block.text))
        elif isinstance(block, Bullets):
            parts.append(_bullets(block.items))
    if reply.rows:
        table = Table(show_lines=True, expand=True)
        # The dimension names stay on one line when the terminal allows it.
        widest = min(max(len(row.dimension) for row in reply.rows), 26)
        table.add_column("", style="bold", width=widest)
        table.add_column("Data scientist", ratio=3)
        table.add_column("ML engineer", ratio=3)
        for row in reply.rows:
            table.add_row(escape(row.dimension), escape(row.data_scientist), escape(row.ml_engineer))
        parts.append(table)
    links = reply.suggestions or reply.related
    if links:
        # A decline's own text introduces its suggestions; related entries get a label.
        lines = Text() if reply.suggestions else Text("Related:", style="bold")
        for i, link in enumerate(links, start=1):
            if lines:
                lines.append("\n")
            lines.append(f"  {i}. {link.title}")
        parts.append(lines)
    if reply.credits:
        parts.append(Text("Sources: " + "; ".join(c.text for c in reply.credits), style="dim"))
    if reply.entry_id or links:
        hints = []
        if links:
            hints.append(f"1-{len(links)} opens one")
        if reply.entry_id:
            hints.append("+ / - rates this answer")
        parts.append(Text("(" + ", ".join(hints) + ")", style="dim italic"))
    border = "red" if reply.kind == "decline" else "cyan"
    return Panel(Group(*parts), title=Text(reply.title, style="bold"), title_align="left", border_style=border)
