"""A reply as plain text: for pipes, scripts and tests (no colour, no box).

Here rather than in the console adapter so that `role-diff ask ... | less`
imports neither the adapter nor rich.
"""

from __future__ import annotations

from .reply import Paragraph, Reply, plain


def render_plain(reply: Reply) -> str:
    """Plain text, for pipes and tests: no colour, no box."""
    lines = [reply.title, "=" * min(len(reply.title), 78)]
    if reply.notice:
        lines.append(reply.notice)
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            lines.append(plain(block.text))
        else:
            lines.extend(f"  - {plain(item)}" for item in block.items)
    for row in reply.rows:
        lines.append(f"{row.dimension}:")
        lines.append(f"  data scientist: {row.data_scientist}")
        lines.append(f"  ML engineer:    {row.ml_engineer}")
    links = reply.suggestions or reply.related
    if links:
        if not reply.suggestions:  # a decline's own text introduces its suggestions
            lines.append("Related:")
        lines.extend(f"  {i}. {link.title}" for i, link in enumerate(links, start=1))
    if reply.credits:
        lines.append("Sources: " + "; ".join(c.text for c in reply.credits))
    return "\n".join(lines)
