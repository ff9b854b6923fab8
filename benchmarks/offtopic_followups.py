"""Off-topic follow-ups: how often context turns an unrelated message into an answer.

Every CLINC150 query (../shared/eval/offtopic-clinc150.tsv: real requests to
a virtual assistant, none about the roles) is asked as the second turn of a
conversation whose first turn is an in-domain question the bot answers
(the first turns take turns over a fixed list). A right bot declines every
one of them: context may complete a question, never turn an unrelated one
into an answer. Prints how many were answered, by entry, and a few of them.
Alone, the same queries are CLINC's false-answer figure of `role-diff eval`.

Then the same for the near misses of the tuning sets in tests/data (rows of
kind `nearmiss`: questions from the ML world that are not about the roles,
such as "what is a feature store?"), each asked after every first turn.

Run: .venv/bin/python benchmarks/offtopic_followups.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402
from bot.evaluate import read_cases  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.service import Asker, RoleDiff  # noqa: E402

CLINC = ROOT.parent / "shared" / "eval" / "offtopic-clinc150.tsv"
DATA = ROOT / "tests" / "data"
REPORT_ONLY = ("blind", "fresh")  # measured once a round, never run here
FIRST_TURNS = (
    "how much do data scientists make?",
    "what does an ML engineer do all day?",
    "can a data scientist become an ML engineer?",
    "what tools do ML engineers use?",
    "what is MLOps?",
    "is the DS job market growing?",
    "should I pick DS or MLE?",
    "who deploys the model, DS or MLE?",
)


def near_misses() -> list[str]:
    """The tuning sets' near misses, each once."""
    found: dict[str, None] = {}
    for path in sorted(DATA.glob("*.tsv")):
        if path.stem in REPORT_ONLY:
            continue
        for case in read_cases(path):
            if case.kind == "nearmiss" and case.conversation is None and case.expected == {"none"}:
                found[case.question] = None
    return list(found)


def ask_after(service: RoleDiff, pairs: list[tuple[str, str]], label: str) -> None:
    """Ask each (first turn, query) pair as a two-turn conversation; print what was answered."""
    answered: Counter[str] = Counter()
    examples: list[str] = []
    for i, (first, query) in enumerate(pairs):
        asker = Asker("bench", None, "dm", f"{label}{i}")
        if service.ask(first, asker).kind != "answer":
            raise SystemExit(f"the first turn {first!r} is not answered: the benchmark needs it to be")
        reply = service.ask(query, asker)
        if reply.kind == "answer" and reply.entry_id is not None:
            answered[reply.entry_id] += 1
            if len(examples) < 10:
                examples.append(f"  {first!r} -> {query!r}: {reply.entry_id}")
    total = sum(answered.values())
    share = 100 * total / len(pairs) if pairs else 0.0
    print(f"{len(pairs)} {label} asked as a follow-up; answered: {total} ({share:.2f} %)")
    for entry_id, n in answered.most_common():
        print(f"  {entry_id:28} {n}")
    if examples:
        print("for example:")
        print("\n".join(examples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N queries (0: all)")
    args = parser.parse_args()
    queries = [case.question for case in read_cases(CLINC)]
    if args.limit:
        queries = queries[: args.limit]
    service = RoleDiff(Engine(load_knowledge()))
    ask_after(service, [(FIRST_TURNS[i % len(FIRST_TURNS)], q) for i, q in enumerate(queries)], "CLINC150 queries")
    print()
    misses = near_misses()
    if args.limit:
        misses = misses[: args.limit]
    pairs = [(first, q) for q in misses for first in FIRST_TURNS]
    ask_after(service, pairs, "near misses x first turns")


if __name__ == "__main__":
    main()
