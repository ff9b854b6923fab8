"""Reply -> Discord embeds and buttons, within Discord's limits (pure, no network)."""

from __future__ import annotations

import re

import discord
import pytest

from adapters.discord import render as r
from bot.reply import Bullets, ComparisonRow, Credit, Link, Paragraph, Reply


def check_limits(messages: list[r.Outgoing]) -> None:
    assert messages
    for message in messages:
        assert 1 <= len(message.embeds) <= r.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message.embeds) <= r.EMBED_TOTAL_MAX
        for embed in message.embeds:
            data = embed.to_dict()
            assert len(data.get("title", "")) <= r.TITLE_MAX
            assert len(data.get("description", "")) <= r.DESCRIPTION_MAX
            assert len(data.get("fields", [])) <= r.FIELDS_MAX
            for f in data.get("fields", []):
                assert 0 < len(f["name"]) <= r.FIELD_NAME_MAX
                assert 0 < len(f["value"]) <= r.FIELD_VALUE_MAX
            assert len(data.get("footer", {}).get("text", "")) <= r.FOOTER_MAX
    for message in messages[:-1]:
        assert not message.rows, "buttons belong on the last message only"
    rows = messages[-1].rows
    assert len(rows) <= r.ROWS_MAX
    ids = [b.custom_id for row in rows for b in row]
    assert len(ids) == len(set(ids)), "custom ids must be unique within a message"
    for row in rows:
        assert 1 <= len(row) <= r.BUTTONS_PER_ROW
        for button in row:
            assert 0 < len(button.label) <= r.BUTTON_LABEL_MAX
            assert len(button.custom_id) <= r.CUSTOM_ID_MAX


def all_text(messages: list[r.Outgoing]) -> str:
    parts = []
    for m in messages:
        for e in m.embeds:
            parts.append(e.description or "")
            parts.extend(f"{f.name}\n{f.value}" for f in e.fields)
    return "\n".join(parts)


def test_answer_embed_has_title_description_footer_and_buttons() -> None:
    reply = Reply(
        kind="answer",
        title="Who earns more?",
        blocks=(
            Paragraph("**ML engineers** earn more, says [one article](https://example.org/pay)."),
            Bullets(("a", "b")),
        ),
        credits=(Credit("jones", "Tina Jones, ML Engineer VS. Data Scientist"),),
        related=(Link("demand", "Which is in demand?"), Link("salary", "self link is dropped")),
        entry_id="salary",
    )
    [message] = r.render(reply)
    [embed] = message.embeds
    assert embed.title == "Who earns more?"
    assert embed.description == ("**ML engineers** earn more, says [one article](https://example.org/pay).\n\n• a\n• b")
    assert embed.footer.text == "Sources: Tina Jones, ML Engineer VS. Data Scientist"
    ids = [[b.custom_id for b in row] for row in message.rows]
    assert ids == [["rd:show:demand"], ["rd:fb:up:salary", "rd:fb:down:salary"]]
    check_limits([message])


def test_knowledge_text_is_escaped_but_markup_kept() -> None:
    reply = Reply(kind="entry", title="t", blocks=(Paragraph("snake_case and *stars* and **bold_word**"),))
    [message] = r.render(reply)
    assert message.embeds[0].description == r"snake\_case and \*stars\* and **bold\_word**"


def test_question_echoed_only_when_asked_for_as_plain_author_line() -> None:
    reply = Reply(kind="answer", title="t", blocks=(Paragraph("b"),), question="@everyone  who   earns **more**")
    assert r.render(reply)[0].embeds[0].author.name is None
    embed = r.render(reply, echo_question=True)[0].embeds[0]
    assert embed.author.name == "“@everyone who earns **more**”"
    long = Reply(kind="answer", title="t", question="q" * 3000)
    assert len(r.render(long, echo_question=True)[0].embeds[0].author.name) == r.AUTHOR_MAX


def test_decline_has_primary_suggestion_buttons_and_no_feedback() -> None:
    reply = Reply(
        kind="decline",
        title="I don't know that one yet",
        blocks=(Paragraph("Did you mean one of these?"),),
        suggestions=(Link("salary", "Who earns more?"), Link("skills", "Skills")),
    )
    [message] = r.render(reply)
    [row] = message.rows
    assert [(b.custom_id, b.primary) for b in row] == [("rd:show:salary", True), ("rd:show:skills", True)]
    assert message.embeds[0].colour == discord.Colour(r.COLOURS["decline"])


def test_long_reply_is_split_within_every_limit_and_loses_nothing() -> None:
    items = tuple(f"item {i} " + "word " * (i % 40) for i in range(400))
    huge_line = "x" * 9000
    rows = tuple(
        ComparisonRow(f"dimension {i}", "ds " * (50 if i % 7 else 400), "mle " * 60, ("jones",)) for i in range(60)
    )
    links = tuple(Link(f"entry-{i}", f"A very long related title number {i} " * 3) for i in range(30))
    reply = Reply(
        kind="compare",
        title="T" * 400,
        blocks=(Paragraph("intro"), Bullets(items), Paragraph(huge_line)),
        rows=rows,
        credits=tuple(Credit(f"k{i}", f"Author {i}, a long source title " * 5) for i in range(30)),
        related=links,
        entry_id="compare-all",
        notice="Your message was cut.",
        question="q" * 2000,
    )
    messages = r.render(reply, echo_question=True)
    check_limits(messages)
    assert len(messages) > 1
    text = all_text(messages)
    for item in items:
        assert r.escape_markdown(item.strip()) in text
    assert text.count("x") >= 9000
    for row in rows:
        assert row.dimension in text
    assert messages[0].embeds[0].title.endswith("…") and len(messages[0].embeds[0].title) == r.TITLE_MAX
    assert messages[-1].embeds[-1].footer.text.startswith("Sources: ")
    assert sum(1 for m in messages for e in m.embeds if e.footer.text) == 1
    # 4 rows of links + the feedback row
    assert len(messages[-1].rows) == 5 and messages[-1].rows[-1][0].custom_id == "rd:fb:up:compare-all"


def test_comparison_rows_are_side_by_side_inline_fields() -> None:
    rows = tuple(ComparisonRow(f"dim {i}", f"ds {i}", f"mle {i}") for i in range(12))
    messages = r.render(Reply(kind="compare", title="t", rows=rows))
    check_limits(messages)
    [message] = messages
    first, second = message.embeds
    assert len(first.fields) == 24, "8 rows of three: a row is never split over two embeds"
    assert [(f.name, f.value, f.inline) for f in first.fields[:3]] == [
        ("dim 0 · data scientist", "ds 0", True),
        ("dim 0 · ML engineer", "mle 0", True),
        ("\u200b", "\u200b", True),
    ]
    assert second.fields[0].name == "dim 8 · data scientist"


@pytest.mark.parametrize("limit", [10, 100, 4096])
def test_split_text_respects_limit(limit: int) -> None:
    text = "\n".join(["short line", "y" * (limit * 3), "word " * limit, ""])
    pieces = r.split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_autocomplete_choices_within_limits() -> None:
    questions = [f"question {i} " + "q" * 150 for i in range(40)] + ["dup", "dup", "  spaced   out  "]
    out = r.choices(questions)
    assert len(out) == r.CHOICES_MAX
    assert all(0 < len(name) <= 100 and name == value for name, value in out)
    assert r.choices(["dup", "dup", "  spaced   out  "]) == [("dup", "dup"), ("spaced out", "spaced out")]


def test_custom_ids_match_the_persistent_items() -> None:
    from adapters.discord.bot import FeedbackButton, ShowButton

    show = re.compile(ShowButton.__discord_ui_compiled_template__.pattern)
    feedback = re.compile(FeedbackButton.__discord_ui_compiled_template__.pattern)
    assert show.fullmatch(r.ButtonSpec("show", "salary", "x").custom_id)
    assert feedback.fullmatch(r.ButtonSpec("down", "concept-drift", "x").custom_id)
    assert not show.fullmatch("rd:show:has space")
