"""Property tests: any string gives a well-formed reply, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.builtins import respond
from bot.engine import Answer, Decline, Engine
from bot.reply import Bullets, Paragraph
from bot.text import MAX_INPUT_CHARS, clean_input, token_sort_key

chat_words = st.sampled_from(
    [
        "ds",
        "MLE",
        "vs",
        "<@U1>",
        "<!channel>",
        "@everyone",
        "**",
        "salary",
        "what",
        "?",
        "🤖",
        "\u200b",
        "é",
        "\x00",
        "compare",
        "help",
        "<https://x|y>",
        "ＤＳ",
        "\ud800",
        "mlops",
        "]",
        "(",
        "[a](b)",
        "\n",
        "\t",
        "ml-eng",
    ]
)
questions = st.one_of(
    st.text(max_size=300),
    st.lists(chat_words, max_size=30).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1900, max_size=2300),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=questions)
def test_any_string_gives_a_well_formed_reply(engine: Engine, text: str) -> None:
    reply = respond(engine, text)
    assert reply.title
    assert reply.kind in {"answer", "decline", "overview", "help", "topics", "compare", "sources", "entry"}
    assert all(isinstance(b, (Paragraph, Bullets)) for b in reply.blocks)
    assert len(reply.question) <= MAX_INPUT_CHARS
    if reply.kind == "answer":
        assert reply.entry_id in engine.kb.by_id
        assert reply.score is not None and 0 <= reply.score <= 100
    else:
        assert reply.entry_id is None or reply.kind == "entry"
    assert len(reply.suggestions) <= 3
    if len(text) > MAX_INPUT_CHARS:
        assert reply.notice and "2,000" in reply.notice
    reply.plain_text().encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=questions)
def test_match_result_is_consistent(engine: Engine, text: str) -> None:
    result = engine.match(text)
    assert isinstance(result, (Answer, Decline))
    if isinstance(result, Answer):
        assert 0 <= result.score <= 100
        assert result.entry not in result.runners_up
    else:
        assert len(result.suggestions) <= 3


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_autocomplete_respects_discord_limits(engine: Engine, text: str) -> None:
    choices = engine.complete(text)
    assert len(choices) <= 25
    assert all(0 < len(c) <= 100 for c in choices)
    assert len(set(choices)) == len(choices)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=questions, pick=st.integers(min_value=0))
def test_token_sort_from_sorted_phrasings_is_token_sort_similarity(engine: Engine, text: str, pick: int) -> None:
    """The engine scores token-sort similarity as the plain similarity of
    each side's tokens sorted (the phrasings' sorted once, in the index):
    it must be rapidfuzz's token_sort_ratio exactly, on any question."""
    idx = engine.index
    tokens, _ = engine.tokens(clean_input(text)[0])
    query = " ".join(tokens)
    qi = pick % len(idx.q_text)
    assert fuzz.ratio(token_sort_key(query), idx.q_sorted[qi]) == fuzz.token_sort_ratio(
        query, idx.q_text[qi], processor=None
    )
