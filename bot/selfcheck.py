"""The knowledge checks itself: every phrasing, taken out of its entry, must
still be answered by that entry (leave-one-out).

A phrasing answered by another entry names two entries that overlap (a
curator's cue to sharpen or merge them); one that is declined names an entry
whose other phrasings do not cover that way of asking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engine import Answer, Engine
from .text import clean_input


@dataclass(frozen=True)
class Miss:
    phrasing: str
    entry_id: str
    got: str | None  # the entry that answered instead, None if declined
    score: float
    where: str  # file:line of the entry


@dataclass
class SelfCheck:
    checked: int = 0
    right: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.right / self.checked if self.checked else 1.0

    def confusable_pairs(self) -> list[tuple[str, str, int]]:
        """(entry, entry that won, how many phrasings), most first."""
        counts: dict[tuple[str, str], int] = {}
        for m in self.misses:
            if m.got is not None:
                key = (m.entry_id, m.got)
                counts[key] = counts.get(key, 0) + 1
        return sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda x: (-x[2], x[0], x[1]))

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "right": self.right,
            "rate": self.rate,
            "confusable_pairs": [{"entry": a, "won": b, "phrasings": n} for a, b, n in self.confusable_pairs()],
            "misses": [m.__dict__ for m in self.misses],
        }


def self_check(engine: Engine) -> SelfCheck:
    idx = engine.index
    report = SelfCheck()
    for ei, entry in enumerate(idx.entries):
        for qn, phrasing in enumerate(entry.questions):
            qi = idx.question_qi.get((ei, qn))
            if qi is None:  # a phrasing of filler alone: nothing to match on
                continue
            cleaned, _ = clean_input(phrasing)
            tokens, corrected = engine.tokens(cleaned)
            result = engine.decide(engine.analyse_message(cleaned, tokens, corrected, leave_out=qi))
            report.checked += 1
            if isinstance(result, Answer) and result.entry.id == entry.id:
                report.right += 1
                continue
            got = result.entry.id if isinstance(result, Answer) else None
            report.misses.append(Miss(phrasing, entry.id, got, result.score, entry.path))
    return report


def format_self_check(report: SelfCheck, show: int = 40) -> str:
    lines = [
        f"self-check: {report.right} of {report.checked} phrasings ({report.rate * 100:.1f} %) are answered by "
        "their own entry when taken out of it"
    ]
    pairs = report.confusable_pairs()
    if pairs:
        lines.append("")
        lines.append("confusable pairs (entry <- the entry that answered its phrasing instead):")
        for a, b, n in pairs[:show]:
            lines.append(f"  {a} <- {b}: {n}")
    if report.misses:
        lines.append("")
        lines.append("phrasings:")
        for m in report.misses[:show]:
            lines.append(f"  {m.where}: {m.phrasing!r} of {m.entry_id}: {m.got or 'declined'} ({m.score:.1f})")
        if len(report.misses) > show:
            lines.append(f"  ... and {len(report.misses) - show} more (--json lists them all)")
    return "\n".join(lines)
