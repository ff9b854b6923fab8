"""Off-topic follow-ups: how often context turns an unrelated message into an answer.

Every CLINC150 query (../shared/eval/offtopic-clinc150.tsv: real requests to
a virtual assistant, none about the roles) is asked as the second turn of a
conversation whose first turn is an in-domain question the bot answers
(the first turns take turns over a fixed list). A right bot declines every
one of them: context may complete a question, never turn an unrelated one
into an answer. Prints how many were answered, by entry, and a few of them.
Alone, the same queries are CLINC's false-answer figure of `role-diff eval`.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N queries (0: all)")
    args = parser.parse_args()
    queries = [case.question for case in read_cases(CLINC)]
    if args.limit:
        queries = queries[: args.limit]
    service = RoleDiff(Engine(load_knowledge()))
    answered: Counter[str] = Counter()
    examples: list[str] = []
    for i, query in enumerate(queries):
        asker = Asker("bench", None, "dm", f"c{i}")
        first = FIRST_TURNS[i % len(FIRST_TURNS)]
        if service.ask(first, asker).kind != "answer":
            raise SystemExit(f"the first turn {first!r} is not answered: the benchmark needs it to be")
        reply = service.ask(query, asker)
        if reply.kind == "answer" and reply.entry_id is not None:
            answered[reply.entry_id] += 1
            if len(examples) < 10:
                examples.append(f"  {first!r} -> {query!r}: {reply.entry_id}")
    total = sum(answered.values())
    share = 100 * total / len(queries)
    print(f"{len(queries)} CLINC150 queries asked as a follow-up; answered: {total} ({share:.2f} %)")
    for entry_id, n in answered.most_common():
        print(f"  {entry_id:28} {n}")
    if examples:
        print("for example:")
        print("\n".join(examples))


if __name__ == "__main__":
    main()
