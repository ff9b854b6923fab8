"""Normalisation: markup, Unicode, abbreviations."""

from __future__ import annotations

import pytest

from bot.text import MAX_INPUT_CHARS, clean_input, content_tokens, question_key, strip_markup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> what is mlops", "what is mlops"),
        ("<@U123|arthur> hi", "hi"),
        ("see <#C123|general> please", "see general please"),
        ("<!here> <!channel> <!everyone> question", "question"),
        ("<!subteam^S123|@data> ds vs mle", "ds vs mle"),
        ("read <https://example.org/a|this post>", "read this post"),
        ("<@123456789012345678> <@!123> <@&55> <#99> hello", "hello"),
        ("<:party:123> <a:wave:456> hi", "hi"),
        ("@everyone @here what's a DS", "what's a DS"),
        ("[label](https://x.org) text", "label text"),
        ("ok :skull: :money_mouth:", "ok"),
        (":+1::skin-tone-2: thanks :-1:", "thanks"),
        ("is ds dying :thinking_face:?", "is ds dying ?"),
        # colons that are not emoji stay
        ("meet at 10:30: ok, ratio 3:2:1, DS:MLE", "meet at 10:30: ok, ratio 3:2:1, DS:MLE"),
        ("tl;dr: ds vs mle: which pays", "tl;dr: ds vs mle: which pays"),
    ],
)
def test_markup_is_stripped(raw: str, expected: str) -> None:
    assert " ".join(strip_markup(raw).split()) == expected


def test_clean_input_cuts_and_reports() -> None:
    text, cut = clean_input("a" * (MAX_INPUT_CHARS + 50))
    assert cut is True
    assert len(text) == MAX_INPUT_CHARS
    text, cut = clean_input("short")
    assert (text, cut) == ("short", False)


def test_clean_input_removes_controls_and_surrogates() -> None:
    text, _ = clean_input("what\x00 is\u200b mlops\ud800?")
    assert "\x00" not in text and "\u200b" not in text
    text.encode("utf-8")  # no lone surrogate survives


@pytest.mark.parametrize(
    "phrase",
    [
        "DS",
        "ds",
        "data scientist",
        "Data Scientists",
        "data sci",
        "data-scientist",
        "ＤＡＴＡ ＳＣＩＥＮＴＩＳＴ",  # full-width, NFKC
    ],
)
def test_data_scientist_variants(phrase: str) -> None:
    assert content_tokens(phrase) == ["datascientist"]


@pytest.mark.parametrize(
    "phrase",
    ["MLE", "ML eng", "ml engineer", "ML-engineer", "machine-learning engineer", "Machine Learning Engineers", "mles"],
)
def test_ml_engineer_variants(phrase: str) -> None:
    assert content_tokens(phrase) == ["mlengineer"]


def test_fields_stand_for_their_roles() -> None:
    assert content_tokens("data science") == ["datascientist"]
    assert content_tokens("ML engineering") == ["mlengineer"]
    assert content_tokens("machine learning") == ["ml"]


def test_filler_goes_and_difference_stays() -> None:
    assert content_tokens("what's the diff btw DS vs MLE??") == ["difference", "datascientist", "mlengineer"]
    assert content_tokens("Can you please tell me") == []


def test_symbols_that_mean_something() -> None:
    assert content_tokens("C++ and CI/CD") == ["cpp", "cicd"]
    assert "kubernetes" in content_tokens("k8s")


@pytest.mark.parametrize(
    "text",
    [
        "I'm curious what she'll be doing all day",
        "we'd need to know what we'll be doing all day",
        "what’d he say they'll be doing all day",
        "I'd say it'll be doing all day",
    ],
)
def test_a_contraction_is_not_read_as_another_word(text: str) -> None:
    """ "she'll", "we'd", "I'll" are not "shell", "wed", "ill": only what is
    done stays a content word."""
    assert content_tokens(text) == content_tokens("doing all day")


def test_light_stemming() -> None:
    assert content_tokens("pipelines") == content_tokens("pipeline")
    assert content_tokens("deploying models") == content_tokens("deployment model")
    assert content_tokens("salaries") == content_tokens("pay")


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("experiences", "experience"),
        ("people's", "people"),
        ("kubernets", "kubernetes"),
        ("responsibles", "responsible"),
    ],
)
def test_a_word_stemming_as_a_canonical_token_is_that_token(variant: str, canonical: str) -> None:
    # canonical tokens are not stemmed, so their other forms must meet them
    assert content_tokens(variant) == content_tokens(canonical) == [canonical]


@pytest.mark.parametrize(
    ("variant", "phrase"), [("metaphore", "metaphor"), ("handovers", "handover"), ("wages", "wage")]
)
def test_a_word_stemming_as_a_one_word_phrase_means_what_it_means(variant: str, phrase: str) -> None:
    assert content_tokens(variant) == content_tokens(phrase)
    assert content_tokens(variant) != [variant]


def test_question_key_ignores_filler_and_spelling() -> None:
    assert question_key("How much does an MLE make?") == question_key("how much does a machine learning engineer make")
    assert question_key("DS salary") != question_key("MLE salary")


@pytest.mark.parametrize(
    "opening",
    ["morning,", "good evening", "morning all", "heya bot,", "hiya @role-diff", "good morning roldiff", "howdy bot"],
)
def test_an_opening_greeting_says_nothing_of_what_is_asked(opening: str) -> None:
    for question in ("what does an ML engineer do", "DS vs MLE salary"):
        assert content_tokens(f"{opening} {question}") == content_tokens(question)


def test_a_greeting_word_later_in_a_question_stays() -> None:
    assert content_tokens("what happens in the morning") != content_tokens("what happens")


@pytest.mark.parametrize("dismissal", ["never mind, thanks", "nvm", "ok nevermind"])
def test_a_dismissal_asks_nothing(dismissal: str) -> None:
    assert content_tokens(dismissal) == []


def test_phrases_are_found_as_one_alternation_of_every_phrase_would_find_them() -> None:
    """The word-lookup phrase rewrite gives what a regular expression
    alternating over every phrase, longest first, gives: on each phrase
    alone, glued to others, with words around it, and on every question
    and phrasing the repository holds."""
    import random
    import re
    from pathlib import Path

    from bot.text import PHRASES, fold, replace_phrases

    reference = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)) + r")\b")
    root = Path(__file__).resolve().parent.parent
    sets = [f for f in (root / "tests" / "data").glob("*.tsv") if f.stem not in ("blind", "fresh")]  # report-only
    texts = [line.split("\t")[0] for f in sets for line in f.read_text().splitlines()]
    texts += [line for f in (root / "knowledge" / "entries").glob("*.md") for line in f.read_text().splitlines()]
    texts = [fold(t) for t in texts]
    rng = random.Random(7)
    keys = sorted(PHRASES)
    pieces = [*keys, *(k.split()[0] for k in keys), *(k.split()[-1] for k in keys), "and", "the", "x", "é"]
    texts += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(3000)]
    texts += [f"{k}  salary  {k}" for k in keys]  # the intents leave double spaces
    assert len(texts) > 5000
    for text in texts:
        assert replace_phrases(text) == reference.sub(lambda m: PHRASES[m.group(0)], text), text
