"""Writes small, valid knowledge directories for tests to break on purpose."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge import TOPICS

SOURCES = """\
- key: jones
  title: "ML Engineer VS. Data Scientist: What's the Difference?"
  author: Tina Jones
  date: null
- key: process
  title: "Forget the Definition, Focus on the Process!"
  author: unknown
  date: 2021-08-20
"""

COMPARE = """\
dimensions:
  - id: pay
    name: Pay
    aliases: [salary]
    data_scientist: "lower on average"
    ml_engineer: "higher on average"
    sources: [jones]
"""


def entry_text(entry_id: str, topic: str, *, questions: list[str] | None = None, related: str = "[]") -> str:
    qs = questions or [f"synthetic question {entry_id} number {word}" for word in "abcdef"]
    q_lines = "\n".join(f"  - {q}" for q in qs)
    return (
        f"---\nid: {entry_id}\ntopic: {topic}\ntitle: Title of {entry_id}\nquestions:\n{q_lines}\n"
        f"sources: [jones]\nrelated: {related}\n---\nThe answer of {entry_id}.\n"
    )


def make_kb(root: Path) -> Path:
    (root / "entries").mkdir(parents=True, exist_ok=True)
    (root / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (root / "compare.yaml").write_text(COMPARE, encoding="utf-8")
    for topic in TOPICS:
        (root / "entries" / f"{topic}.md").write_text(entry_text(topic, topic), encoding="utf-8")
    return root
