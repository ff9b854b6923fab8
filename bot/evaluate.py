"""Measuring answer quality on evaluation files (../shared/eval format).

Each file is tab-separated UTF-8 with a header; the first column is the
question and the `expected` column (when present) lists the right topic ids,
or `none` (declining is right). Files without an `expected` column (the
CLINC off-topic queries) expect `none` for every row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .builtins import respond_turn
from .context import Turn
from .engine import Engine
from .reply import Reply


class EvalFileError(Exception):
    pass


@dataclass(frozen=True)
class Case:
    question: str
    expected: frozenset[str]  # topic ids, and/or "none"
    source: str
    line: int
    conversation: str | None = None  # rows with one id are turns of one conversation, in file order
    kind: str | None = None  # the file's own label for the row (`kind` column), for reporting apart


@dataclass
class Outcome:
    case: Case
    topic: str | None
    entry_id: str | None
    score: float | None

    @property
    def kind(self) -> str:
        exp = self.case.expected
        if self.topic is None:
            return "right" if "none" in exp else "declined"
        if self.topic in exp:
            return "right"
        return "false-answer" if exp == {"none"} else "wrong-topic"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    follow_ups: set[int] = field(default_factory=set)  # ids of cases that are a conversation's later turns

    def part(self, keep: Callable[[Outcome], bool]) -> Report:
        return Report([o for o in self.outcomes if keep(o)], self.follow_ups)

    def parts(self) -> dict[str, Report]:
        """Single questions and follow-up turns apart, and each `kind`."""
        out: dict[str, Report] = {}
        if self.follow_ups:
            out["single questions"] = self.part(lambda o: id(o.case) not in self.follow_ups)
            out["follow-up turns"] = self.part(lambda o: id(o.case) in self.follow_ups)
        for kind in sorted({o.case.kind for o in self.outcomes if o.case.kind}):
            out[f"kind {kind}"] = self.part(lambda o, k=kind: o.case.kind == k)
        return out

    def _in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.expected != frozenset({"none"})]

    def _none_rows(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.expected == frozenset({"none"})]

    def summary(self) -> dict[str, object]:
        ins, nones = self._in_scope(), self._none_rows()
        return {
            "questions": len(self.outcomes),
            "in_scope": len(ins),
            "in_scope_accuracy": sum(o.kind == "right" for o in ins) / len(ins) if ins else None,
            "wrong_topic_rate": sum(o.kind == "wrong-topic" for o in ins) / len(ins) if ins else None,
            "none_rows": len(nones),
            "false_answer_rate": sum(o.kind == "false-answer" for o in nones) / len(nones) if nones else None,
        }

    def figures(self) -> dict[str, object]:
        ins = self._in_scope()
        per_topic: dict[str, dict[str, int]] = {}
        for o in ins:
            for topic in sorted(o.case.expected - {"none"})[:1]:
                row = per_topic.setdefault(topic, {"n": 0, "right": 0, "wrong": 0, "declined": 0})
                row["n"] += 1
                row[{"right": "right", "wrong-topic": "wrong", "declined": "declined"}[o.kind]] += 1
        return {
            **self.summary(),
            "per_topic": per_topic,
            "parts": {name: part.summary() for name, part in self.parts().items()},
            "misses": [
                {
                    "question": o.case.question,
                    "expected": sorted(o.case.expected),
                    "got": o.topic,
                    "entry_id": o.entry_id,
                    "score": o.score,
                    "kind": o.kind,
                    "where": f"{o.case.source}:{o.case.line}",
                }
                for o in self.outcomes
                if o.kind != "right"
            ],
        }


def read_cases(path: Path) -> list[Case]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read ({exc.strerror})") from exc
    with handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            header = next(reader)
        except StopIteration:
            raise EvalFileError(f"{path}: empty file (a header line is needed)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise EvalFileError(f"{path}:1: {exc}") from exc
        cols = [h.strip().lower() for h in header]
        if "question" not in cols:
            raise EvalFileError(f"{path}:1: no 'question' column in the header")
        qi = cols.index("question")
        ei = cols.index("expected") if "expected" in cols else None
        ci = cols.index("conversation") if "conversation" in cols else None
        ki = cols.index("kind") if "kind" in cols else None
        cases: list[Case] = []
        try:
            for lineno, row in enumerate(reader, start=2):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) <= qi or (ei is not None and len(row) <= ei):
                    raise EvalFileError(f"{path}:{lineno}: expected {len(cols)} tab-separated fields")
                expected = {"none"} if ei is None else {t.strip() for t in row[ei].split(",") if t.strip()}
                conv = row[ci].strip() if ci is not None and len(row) > ci else ""
                kind = row[ki].strip() if ki is not None and len(row) > ki else ""
                cases.append(
                    Case(
                        row[qi],
                        frozenset(expected or {"none"}),
                        str(path),
                        lineno,
                        f"{path}#{conv}" if conv else None,
                        kind or None,
                    )
                )
        except (csv.Error, UnicodeDecodeError) as exc:
            raise EvalFileError(f"{path}: {exc}") from exc
    return cases


def replay(engine: Engine, cases: Iterable[Case]) -> Iterator[tuple[Case, Turn | None, Reply, Turn | None]]:
    """Answer every case as the service does: turns of one conversation in
    order, each with its conversation's last answered turn. Yields (case,
    the previous turn it was asked after, its reply, the turn it leaves)."""
    context: dict[str, Turn] = {}
    for case in cases:
        previous = context.get(case.conversation) if case.conversation else None
        reply, turn = respond_turn(engine, case.question, previous)
        if case.conversation and turn is not None:
            context[case.conversation] = turn
        yield case, previous, reply, turn


def evaluate(engine: Engine, cases: Iterable[Case]) -> Report:
    """Answer every case (`replay`) and count how."""
    report = Report()
    seen: set[str] = set()
    for case, _, reply, _ in replay(engine, cases):
        if case.conversation:
            if case.conversation in seen:
                report.follow_ups.add(id(case))
            seen.add(case.conversation)
        if reply.kind == "answer":
            report.outcomes.append(Outcome(case, reply.topic, reply.entry_id, reply.score))
        else:
            topic = "about" if reply.kind in ("help", "overview") else None
            report.outcomes.append(Outcome(case, topic, None, reply.score))
    return report


def follow_up_counts(engine: Engine, cases: Iterable[Case]) -> tuple[int, int, int, int]:
    """A set asked as the service asks it, its follow-up turns counted as
    `role-diff eval` counts them: (in-scope turns, right, wrong topic, false
    answers on the off-topic turns)."""
    report = evaluate(engine, cases)
    later = [o for o in report.outcomes if id(o.case) in report.follow_ups]
    turns = [o for o in later if "none" not in o.case.expected]
    return (
        len(turns),
        sum(o.kind == "right" for o in turns),
        sum(o.kind == "wrong-topic" for o in turns),
        sum(o.kind == "false-answer" for o in later),
    )


def _pct(x: object) -> str:
    return "n/a" if x is None else f"{float(x) * 100:.1f} %"  # type: ignore[arg-type]


def format_report(figures: dict[str, object], show_misses: int = 60) -> str:
    lines = [f"questions: {figures['questions']}"]
    per_topic = figures["per_topic"]
    assert isinstance(per_topic, dict)
    if per_topic:
        lines.append("")
        lines.append(f"{'topic':<18} {'n':>3} {'right':>5} {'wrong':>5} {'declined':>8}")
        for topic, row in sorted(per_topic.items()):
            lines.append(f"{topic:<18} {row['n']:>3} {row['right']:>5} {row['wrong']:>5} {row['declined']:>8}")
    misses = figures["misses"]
    assert isinstance(misses, list)
    if misses:
        lines.append("")
        lines.append(f"misses ({len(misses)}):")
        for m in misses[:show_misses]:
            got = m["got"] or "declined"
            lines.append(
                f"  [{m['kind']}] {m['question']!r}: expected {','.join(m['expected'])}, got {got} ({m['score']})"
            )
        if len(misses) > show_misses:
            lines.append(f"  ... and {len(misses) - show_misses} more (--json lists them all)")
    lines.append("")
    lines.append(f"in-scope accuracy: {_pct(figures['in_scope_accuracy'])} of {figures['in_scope']}")
    lines.append(f"wrong-topic rate: {_pct(figures['wrong_topic_rate'])} of {figures['in_scope']}")
    lines.append(f"false answers on none rows: {_pct(figures['false_answer_rate'])} of {figures['none_rows']}")
    parts = figures.get("parts") or {}
    assert isinstance(parts, dict)
    if parts:
        lines.append("")
        lines.append(f"{'part':<20} {'rows':>5} {'in-scope right':>15} {'wrong topic':>12} {'false answers':>14}")
        for name, f in parts.items():
            lines.append(
                f"{name:<20} {f['questions']:>5} {_pct(f['in_scope_accuracy']):>15}"
                f" {_pct(f['wrong_topic_rate']):>12} {_pct(f['false_answer_rate']):>14}"
            )
    return "\n".join(lines)
