"""Misspellings: how the answers hold when the questions are misspelt.

Every single in-scope question of the tuning sets (../shared/eval/dev.tsv,
tests/data/realistic.tsv and tests/data/tune*.tsv; never blind.tsv or
fresh.tsv) that the engine answers with a right topic is asked again with
typos put in: one, then three, of its words of four letters or more, each
with one random keyboard slip (a letter swapped for a neighbour on the
keyboard, dropped, doubled, or swapped with the next). Prints how many of
the misspelt questions still get a right topic, how many are declined, and
how many get a wrong one. Each question's typos are drawn with a seed of its
own (its text and the number of typos), so two runs on the same code print
the same figures, and a question gets the same typos whichever other
questions are asked (with one seed for the whole list, a question more or
less answered right as written changed every later question's typos).

Run: .venv/bin/python benchmarks/misspellings.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Answer, Engine  # noqa: E402
from bot.evaluate import read_cases  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DATA = ROOT / "tests" / "data"
TUNING = sorted(p for p in DATA.glob("*.tsv") if p.stem == "realistic" or p.stem.startswith("tune"))
SETS = [ROOT.parent / "shared" / "eval" / "dev.tsv", *TUNING]


def neighbours(c: str) -> str:
    for row in ROWS:
        i = row.find(c)
        if i >= 0:
            return row[max(0, i - 1) : i] + row[i + 1 : i + 2] or c
    return c


def slip(word: str, rng: random.Random) -> str:
    """One typo, never in the first letter."""
    i = rng.randrange(1, len(word))
    kind = rng.choice("kkddst")
    if kind == "k":
        return word[:i] + rng.choice(neighbours(word[i].lower())) + word[i + 1 :]
    if kind == "d":
        return word[:i] + word[i + 1 :]
    if kind == "s" or i + 1 >= len(word):
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def misspell(question: str, typos: int, rng: random.Random) -> str | None:
    words = question.split()
    slots = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not slots:
        return None
    for i in rng.sample(slots, min(typos, len(slots))):
        words[i] = slip(words[i], rng)
    return " ".join(words)


def main() -> None:
    engine = Engine(load_knowledge())
    questions: list[tuple[str, frozenset[str]]] = []
    for path in SETS:
        for case in read_cases(path):
            if case.conversation or "none" in case.expected:
                continue
            result = engine.match(case.question)
            if isinstance(result, Answer) and result.entry.topic in case.expected:
                questions.append((case.question, case.expected))
    print(f"{len(questions)} questions answered right as written, from {len(SETS)} tuning sets")
    print(f"{'typos a question':>18} {'asked':>7} {'right':>8} {'declined':>9} {'wrong':>7}")
    for typos in (1, 3):
        right = declined = wrong = asked = 0
        for question, expected in questions:
            misspelt = misspell(question, typos, random.Random(f"{typos} {question}"))
            if misspelt is None:
                continue
            asked += 1
            result = engine.match(misspelt)
            if not isinstance(result, Answer):
                declined += 1
            elif result.entry.topic in expected:
                right += 1
            else:
                wrong += 1
        print(f"{typos:>18} {asked:>7} {right / asked:>8.1%} {declined / asked:>9.1%} {wrong / asked:>7.1%}")


if __name__ == "__main__":
    main()
