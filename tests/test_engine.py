"""Engine behaviour: abbreviations, typos, markup, near-misses, built-ins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.builtins import respond
from bot.engine import Answer, Decline, Engine


def topic_of(engine: Engine, text: str) -> str | None:
    result = engine.match(text)
    return result.entry.topic if isinstance(result, Answer) else None


@pytest.mark.parametrize(
    "text",
    [
        "what is the difference between a data scientist and a machine learning engineer",
        "DS vs MLE?",
        "data sci vs ML eng",
        "data-scientist versus ml-engineer, what's the diff",
        "<@U0BOT> ds vs mle",
        "<@123456789> DS vs MLE",
    ],
)
def test_the_core_question_in_many_spellings(engine: Engine, text: str) -> None:
    assert topic_of(engine, text) == "difference"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("diffrence between data scinetist and machine lerning engineer", "difference"),
        ("how much do ML engineers earn", "salary"),
        ("waht is mlops", "mlops"),
        ("salry of a data scientist", "salary"),
    ],
)
def test_typos_are_forgiven(engine: Engine, text: str, topic: str) -> None:
    assert topic_of(engine, text) == topic


@pytest.mark.parametrize(
    "text",
    [
        "what's the difference between precision and recall",
        "difference between staging and prod",
        "what's the difference between L1 and L2 regularization",
        "what's the difference between a list and a tuple in python",
        "how do I fix a pandas SettingWithCopyWarning",
        "what's the weather tomorrow",
        "can you book a meeting room for 3pm",
        "lol",
        "thanks!",
        "🤖🤖🤖",
        "?",
        "what is the",
        # assistant small talk that shares a word with the knowledge
        "what's my salary",
        "how much do I get paid this year",
        "are you a bot",
        "hello there ai",
        "who do you report to for your work",
        "that might be the case",
    ],
)
def test_near_misses_and_chatter_are_declined(engine: Engine, text: str) -> None:
    assert isinstance(engine.match(text), Decline)


@pytest.mark.parametrize("text", ["who programmed you", "who wrote your code", "who programmed this bot"])
def test_a_question_to_the_bot_sharing_a_word_with_the_knowledge_gets_only_the_entry_about_it(
    engine: Engine, text: str
) -> None:
    """A question such as "who programmed you" shares "program" with the
    entry on programmers and architects; asked of the bot, it is declined or
    answered with the entry about the bot (the topic model reads it as about
    the bot since the fourteenth round's refit), never with the
    programmers' entry."""
    result = engine.match(text)
    assert isinstance(result, Decline) or result.entry.topic == "about", (text, result)


@pytest.mark.parametrize(
    ("word", "not_into"),
    [("deeply", "deploy"), ("mode", "model"), ("loud", "cloud"), ("employ", "deploy"), ("alive", "live")],
)
def test_real_words_are_not_corrected_into_topic_words(engine: Engine, word: str, not_into: str) -> None:
    _, corrected = engine.tokens(f"do data scientists {word} it")
    assert corrected.get(word) != not_into


def test_field_names_and_role_references_count_as_roles(engine: Engine) -> None:
    assert topic_of(engine, "data science vs ML engineering, what's the difference?") == "difference"
    assert engine.analyse("which skills overlap between the two roles").has_role


def test_capability_questions_get_the_about_entry(engine: Engine) -> None:
    for text in ("what can you answer?", "What kinds of questions can I ask you?", "what questions can you answer"):
        reply = respond(engine, text)
        assert reply.kind == "answer" and reply.entry_id == "about", text


def test_decline_suggests_only_when_something_came_close(engine: Engine) -> None:
    far = engine.match("what's the weather tomorrow")
    assert isinstance(far, Decline) and far.suggestions == ()
    near = engine.match("data scientist pizza toppings favourite")
    assert isinstance(near, Decline)
    assert 1 <= len(near.suggestions) <= 3


def test_answer_carries_score_and_runners_up(engine: Engine) -> None:
    result = engine.match("ds vs mle")
    assert isinstance(result, Answer)
    assert 0 < result.score <= 100
    assert result.entry not in result.runners_up


def test_builtins(engine: Engine) -> None:
    assert respond(engine, "").kind == "overview"
    assert respond(engine, "   ").kind == "overview"
    assert respond(engine, "<@U0BOT>").kind == "overview"
    assert respond(engine, "help").kind == "help"
    assert respond(engine, "HELP").kind == "help"
    topics = respond(engine, "topics")
    assert topics.kind == "topics"
    assert sum(len(b.items) for b in topics.blocks if hasattr(b, "items")) == len(engine.kb.entries)
    sources = respond(engine, "sources")
    assert sources.kind == "sources" and len(sources.credits) == 5
    assert any("Tina Jones" in c.text for c in sources.credits)


def test_compare(engine: Engine) -> None:
    table = respond(engine, "compare")
    assert table.kind == "compare" and len(table.rows) == len(engine.kb.dimensions) >= 9
    pay = respond(engine, "compare pay")
    assert pay.kind == "compare" and len(pay.rows) == 1 and pay.rows[0].dimension.lower() in {"pay", "salary"}
    assert respond(engine, "compare salary").rows == pay.rows
    tools = respond(engine, "compare tools")
    assert len(tools.rows) == 1 and "python" in (tools.rows[0].data_scientist + tools.rows[0].ml_engineer).lower()
    assert len(respond(engine, "compare ds and mle").rows) == len(engine.kb.dimensions)
    # not a dimension: the rows that exist, not a guess at an entry
    unknown = respond(engine, "compare the weather in paris and rome")
    assert unknown.kind == "compare" and not unknown.rows and unknown.title == "No such row in the comparison"


def test_help_inside_a_sentence_is_a_question(engine: Engine) -> None:
    reply = respond(engine, "help me choose between DS and MLE")
    assert reply.kind == "answer" and reply.topic == "choosing"


def test_long_input_is_cut_and_says_so(engine: Engine) -> None:
    reply = respond(engine, "what is mlops " + "x" * 5000)
    assert reply.notice and "2,000" in reply.notice
    assert len(reply.question) == 2000


def test_answer_reply_has_sources_related_and_feedback_id(engine: Engine) -> None:
    reply = respond(engine, "who earns more, DS or MLE?")
    assert reply.kind == "answer" and reply.topic == "salary"
    assert reply.entry_id and reply.credits
    assert any("Tina Jones" in c.text for c in reply.credits)
    assert all(link.entry_id in engine.kb.by_id for link in reply.related)
    assert reply.entry_id not in {link.entry_id for link in reply.related}


def test_one_engine_serves_concurrent_requests(engine: Engine) -> None:
    questions = ["ds vs mle", "what is mlops", "lol", "compare pay", "who earns more"] * 40
    expected = [respond(engine, q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: respond(engine, q), questions))
    assert got == expected


def test_autocomplete_ranks_knowledge_questions(engine: Engine) -> None:
    choices = engine.complete("salar")
    assert choices and len(choices) <= 25
    top_entries = {e.topic for e in engine.kb.entries for q in e.questions if q in choices[:3]}
    assert "salary" in top_entries
    assert len(engine.complete("")) <= 25


def test_settle_heap_freezes_what_is_built_and_unfreezes_first() -> None:
    import gc

    from bot.engine import settle_heap

    try:
        settle_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        settle_heap()  # a reload: the earlier objects are unfrozen, collected, frozen again
        assert gc.get_freeze_count() <= frozen + 1000
    finally:
        gc.unfreeze()
