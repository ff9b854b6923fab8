"""Typo correction against a brute-force reference: the engine's corrector
must pick what an OSA scan over every correction target picks, with the
same rules (same first letter, within the edit limit, a real English word
that is another with letters added or cut at the end is not a typo of it, nor
is a short one a role's shorthand, while a non-word is: "driftt", "mlpos";
ties: the word the knowledge is asked with most, then shorter, then everyday
words, then alphabetical). A guard for any faster index of the targets."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import OSA, Indel

from bot.engine import ROLE_SHORTHANDS, Engine
from bot.text import STOPWORDS, stem
from bot.words import english_words

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def targets(engine: Engine) -> list[str]:
    return sorted({w for words in engine.index.targets_by_shape.values() for w in words})


def reference(engine: Engine, word: str) -> str:
    """The correction by scanning every target."""
    t = engine.t
    n = len(word)
    limit = t.typo_edits_short if n < t.typo_long_len else t.typo_edits_long
    real = word in english_words()
    best: tuple[int, int, int, bool, str] | None = None
    for w in targets(engine):
        if w[0] != word[0] or abs(len(w) - n) > limit:
            continue
        if real and len(w) != n and (w.startswith(word) or word.startswith(w)):
            continue  # "mode" / "model": another word, not a typo
        if real and n < t.typo_role_len and w in ROLE_SHORTHANDS:
            continue  # "miles" is not "mles"
        d = OSA.distance(word, w)
        if d <= limit:
            key = (d, -engine.index.target_freq.get(w, 0), len(w), w not in STOPWORDS, w)
            if best is None or key < best:
                best = key
    if best is not None:
        return best[-1]
    known = engine.index.known_words
    part = t.typo_split_part
    splits = [(min(i, n - i), word[:i], word[i:]) for i in range(part, n - part + 1)]
    splits = [s for s in splits if s[1] in known and s[2] in known]
    return f"{max(splits)[1]} {max(splits)[2]}" if splits and not real else word


def correctable(engine: Engine, word: str) -> bool:
    """A word the corrector looks at (the others it returns as they are)."""
    idx = engine.index
    return (
        len(word) >= engine.t.typo_min_len
        and not word.isdigit()
        and word not in idx.known_words
        and stem(word) not in idx.known_stems
    )


def misspell(rng: random.Random, word: str) -> str:
    """One or two random deletions, insertions, substitutions or transpositions."""
    chars = list(word)
    for _ in range(rng.choice((1, 1, 2))):
        j = rng.randrange(len(chars))
        kind = rng.randrange(4)
        if kind == 0 and len(chars) > 1:
            del chars[j]
        elif kind == 1:
            chars.insert(j, rng.choice(LETTERS))
        elif kind == 2:
            chars[j] = rng.choice(LETTERS)
        elif j + 1 < len(chars):
            chars[j], chars[j + 1] = chars[j + 1], chars[j]
    return "".join(chars)


def test_the_corrector_agrees_with_a_brute_force_scan(engine: Engine) -> None:
    rng = random.Random(20240617)
    words = targets(engine)
    cases: list[str] = []
    while len(cases) < 400:
        typo = misspell(rng, rng.choice(words))
        if correctable(engine, typo) and typo not in cases:
            cases.append(typo)
    fix = engine._corrector({})
    got = {w: fix(w) for w in cases}
    want = {w: reference(engine, w) for w in cases}
    assert got == want
    assert sum(got[w] != w for w in cases) > len(cases) // 2  # most are corrected


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [("salry", "salary"), ("diffrence", "difference"), ("scinetist", "scientist")],
)
def test_common_typos(engine: Engine, typo: str, fixed: str) -> None:
    assert engine._corrector({})(typo) == fixed == reference(engine, typo)


def test_the_first_letter_is_never_corrected(engine: Engine) -> None:
    fix = engine._corrector({})
    rng = random.Random(7)
    checked = 0
    for w in targets(engine):
        if len(w) < 5:
            continue
        typo = rng.choice([c for c in LETTERS if c != w[0]]) + w[1:]  # only the first letter wrong
        if not correctable(engine, typo):
            continue
        assert fix(typo)[0] == typo[0]
        checked += 1
    assert checked > 100


def test_a_real_word_with_letters_added_or_cut_at_the_end_is_not_a_typo(engine: Engine) -> None:
    fix = engine._corrector({})
    english = english_words()
    checked = 0
    for w in targets(engine):
        for word in (w[:-1], w[:-2], w + "s", w + "ly", w + "er", w + "ed"):
            if word in english and len(word) >= engine.t.typo_min_len and correctable(engine, word):
                assert fix(word) != w, word
                assert fix(word) == reference(engine, word)
                checked += 1
    assert checked > 50


def test_a_non_word_with_a_letter_doubled_or_lost_at_the_end_is_a_typo(engine: Engine) -> None:
    """ "driftt", "skillss", "actuall": no word of the language, so corrected."""
    fix = engine._corrector({})
    english = english_words()
    checked = fixed = 0
    for w in targets(engine):
        if len(w) < 5:
            continue
        for typo in (w + w[-1], w[:-1]):
            if typo not in english and correctable(engine, typo):
                assert fix(typo) == reference(engine, typo)
                checked += 1
                fixed += fix(typo) == w
    assert checked > 100
    assert fixed > checked * 0.8


def test_short_real_words_never_become_a_role_shorthand(engine: Engine) -> None:
    fix = engine._corrector({})
    english = english_words()
    real = typos = 0
    for shorthand in sorted(ROLE_SHORTHANDS):
        for j in range(1, len(shorthand)):
            for c in LETTERS:
                word = shorthand[:j] + c + shorthand[j:]  # "mles" -> "miles"
                if len(word) >= engine.t.typo_role_len or not correctable(engine, word):
                    continue
                if word in english:
                    assert fix(word) not in ROLE_SHORTHANDS, word
                    real += 1
                else:
                    assert fix(word) == reference(engine, word)
                    typos += fix(word) in ROLE_SHORTHANDS
    assert real > 0
    assert typos > 0
    assert fix("miles") == "miles"
    assert fix("mlpos") == "mlops"


def test_on_a_tie_the_word_the_knowledge_is_asked_with_most_wins(engine: Engine) -> None:
    fix = engine._corrector({})
    assert fix("waht") == "what"  # not "want" or "wait": one edit each, as long
    assert fix("deloys") == "deploys"  # not the shorter "delays"
    freq = engine.index.target_freq
    assert freq.get("what", 0) > freq.get("want", 0)


def test_two_words_run_together_are_split(engine: Engine) -> None:
    fix = engine._corrector({})
    assert fix("differencebetween") == "difference between"
    assert fix("whatsthe") == "whats the"
    assert fix("datapipeline") == "data pipeline"
    # a typo one edit off a known word is corrected, not split
    assert fix("drfit") == "drift"
    # a real word is not two ("payday", "fords" from "ford's")
    assert fix("payday") == "payday"
    assert fix("fords") == "fords"


def test_three_letter_words_with_the_last_two_letters_swapped(engine: Engine) -> None:
    fix = engine._corrector({})
    assert [fix(w) for w in ("hwo", "teh", "adn", "waht")] == ["how", "the", "and", "what"]
    assert fix("tow") == "tow"  # a real word, not "two"
    assert fix("xyz") == "xyz"  # no known word two letters swapped


def test_three_letter_words_a_letter_short_of_a_four_letter_word(engine: Engine) -> None:
    fix = engine._corrector({})
    assert [fix(w) for w in ("ful", "giv", "hav", "dta")] == ["full", "give", "have", "data"]
    assert fix("car") == "car"  # a real word, not "care" or "card"
    assert fix("bat") == "bat"  # nor "beat"
    idx = engine.index
    for w in targets(engine):
        short = w[:3]
        if len(w) != 4 or not short.isalpha() or short in idx.known_words or short in idx.real_words:
            continue
        if short[0] + short[2] + short[1] in idx.known_words:
            continue  # a swap ("hwo") comes first
        got = fix(short)
        assert len(got) == 4 and got[0] == short[0] and Indel.distance(short, got) == 1, (short, got)
        # the most asked of the four-letter words it is a letter short of
        freq = idx.target_freq.get
        fours = [x for x in targets(engine) if len(x) == 4 and x[0] == short[0] and Indel.distance(short, x) == 1]
        assert freq(got, 0) == max(freq(x, 0) for x in fours)
