"""Reply -> Block Kit: escaping, mrkdwn conversion and Slack's limits, checked with
slack_sdk's own block models and the documented limits they do not check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack import blocks as bk
from adapters.slack.dedupe import Dedupe
from bot.builtins import respond
from bot.engine import Engine
from bot.reply import Bullets, ComparisonRow, Credit, Link, Paragraph, Reply


def check_limits(messages: list[bk.Message], max_blocks: int = bk.MAX_BLOCKS) -> None:
    """Every documented limit, for every block of every message."""
    for m in messages:
        assert 0 < len(m.blocks) <= max_blocks
        assert 0 < len(m.text) <= bk.FALLBACK_TEXT
        action_ids: list[str] = []
        for b in m.blocks:
            Block.parse(b).validate_json()  # slack_sdk's checks (header 150, section 3000, buttons 75, ...)
            if b["type"] == "section":
                assert "text" not in b or len(b["text"]["text"]) <= bk.SECTION_TEXT
                assert len(b.get("fields", [])) <= bk.MAX_FIELDS
                assert all(len(f["text"]) <= bk.FIELD_TEXT for f in b.get("fields", []))
            if b["type"] == "context":
                assert 0 < len(b["elements"]) <= bk.CONTEXT_ELEMENTS
                assert all(len(e["text"]) <= bk.CONTEXT_TEXT for e in b["elements"])
            if b["type"] == "actions":
                assert 0 < len(b["elements"]) <= bk.ACTION_ELEMENTS
                for e in b["elements"]:
                    assert len(e["text"]["text"]) <= bk.BUTTON_TEXT
                    assert len(e["value"]) <= bk.BUTTON_VALUE
                    assert len(e["action_id"]) <= bk.ACTION_ID
                    action_ids.append(e["action_id"])
            if b["type"] == "header":
                assert len(b["text"]["text"]) <= bk.HEADER_TEXT
        assert len(action_ids) == len(set(action_ids)), "action ids must be unique in a message"


# -- escaping ---------------------------------------------------------------------------------


def test_escape_and_neutral() -> None:
    assert bk.escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert bk.unescape("&lt;!channel&gt; &amp;lt;") == "<!channel> &lt;"
    out = bk.neutral("<!channel> <!here> <@U123> @everyone @Channel @here mail@example.com")
    assert "<" not in out and ">" not in out
    assert "@everyone" not in out and "@Channel" not in out and "@here" not in out
    assert "@\u2060everyone" in out and "mail@example.com" in out


def test_echoed_question_never_pings() -> None:
    question = "<!channel> <!here> <!everyone> <@U123> <#C1|general> @everyone @here & <https://evil|click>"
    reply = Reply(kind="decline", title="I don't know that one yet", question=question)
    (message,) = bk.render(reply, echo=question)
    raw = json.dumps(message.payload(), ensure_ascii=False)
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C1", "@everyone", "@here", "<https://evil"):
        assert ping not in raw, ping
    assert "&lt;!channel&gt;" in raw and "&amp;" in raw


def test_mrkdwn_conversion() -> None:
    text = "**Bold** words, a [label & more](https://example.com/a?x=1&y=2) and a < b."
    assert bk.mrkdwn(text) == "*Bold* words, a <https://example.com/a?x=1&amp;y=2|label &amp; more> and a &lt; b."
    assert bk.mrkdwn("**compare <dimension>**: one row") == "*compare &lt;dimension&gt;*: one row"
    reply = Reply(kind="entry", title="T", blocks=(Bullets(("**one**: first", "two")),), entry_id="e")
    (message,) = bk.render(reply)
    assert message.blocks[1]["text"]["text"] == "• *one*: first\n• two"


def test_shared_by_only_takes_a_user_id() -> None:
    reply = Reply(kind="entry", title="T", blocks=(Paragraph("x"),), entry_id="e")
    (ok,) = bk.render(reply, shared_by="U0ALICE")
    assert "Shared by <@U0ALICE>" in json.dumps(ok.blocks)
    (bad,) = bk.render(reply, shared_by="U1> <!channel")
    assert "Shared by" not in json.dumps(bad.blocks) and "<!channel" not in json.dumps(bad.blocks)


# -- limits and splitting ----------------------------------------------------------------------


def huge_reply() -> Reply:
    return Reply(
        kind="answer",
        title="A very long title " * 30,
        blocks=(
            Paragraph("word " * 3000 + "**bold words here** " * 200 + "[a link](https://example.com/?a=1&b=2) " * 100),
            Bullets(tuple(f"item{i:03d} " + "x" * 50 for i in range(400))),
            Paragraph("y" * 7000),
            Paragraph("<&>" * 2000),
        ),
        rows=tuple(ComparisonRow(f"dim {i}", "ds " * (100 if i % 2 else 800), "mle " * 100) for i in range(30)),
        credits=tuple(Credit(f"k{i}", "credit " * 100) for i in range(30)),
        related=tuple(Link(f"entry-{i}", "a long related title " * 10) for i in range(30)),
        entry_id="huge",
        question="<!channel> " * 300,
        notice="Your message was over 2,000 characters, so I only read the first 2,000.",
    )


def test_a_huge_reply_is_split_within_every_limit_and_loses_nothing() -> None:
    reply = huge_reply()
    messages = bk.render(reply, echo=reply.question, share=bk.share_value(reply, reply.question))
    assert len(messages) > 1
    check_limits(messages)
    blocks = [b for m in messages for b in m.blocks]
    assert sum(b["type"] == "header" for b in blocks) == 1 and messages[0].blocks[0]["type"] == "header"
    everything = json.dumps(blocks, ensure_ascii=False)
    assert all(f"item{i:03d}" in everything for i in range(400))
    assert everything.count("*bold words here*") == 200
    assert everything.count("<https://example.com/?a=1&amp;b=2|a link>") == 100
    ys = "".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "y" * 100 in b["text"]["text"])
    assert ys.replace(" ", "") == "y" * 7000
    assert everything.count("&lt;&amp;&gt;") == 2000
    # Sources and every button come last, in the last message.
    last = messages[-1].blocks
    ids = [e["action_id"] for b in last if b["type"] == "actions" for e in b["elements"]]
    assert len([i for i in ids if i.startswith("rd_show:")]) == 30
    assert ids[-3:] == [bk.SHARE, "rd_fb_up:huge", "rd_fb_down:huge"]
    assert "*Sources:*" in json.dumps(last)
    assert all(m.text for m in messages) and messages[1].text.endswith("(continued)")


def test_long_comparison_rows_fall_back_to_sections() -> None:
    reply = huge_reply()
    blocks = bk.row_sections(reply)
    with_fields = [b for b in blocks if "fields" in b]
    assert len(with_fields) == 15  # the odd rows are short enough for side-by-side fields
    check_limits([bk.Message("t", blocks[i : i + 50]) for i in range(0, len(blocks), 50)])


def test_every_real_reply_fits_one_message(engine: Engine) -> None:
    replies = [respond(engine, t) for t in ("", "help", "topics", "compare", "compare pay", "sources", "precision")]
    replies += [respond(engine, q) for e in engine.kb.entries for q in e.questions[:1]]
    for reply in replies:
        share = bk.share_value(reply, "x")
        messages = bk.render(reply, echo=reply.question or None, share=share, shared_by="U1")
        assert len(messages) == 1, reply.title
        check_limits(messages)


def test_share_value_fits_a_button_and_round_trips() -> None:
    reply = Reply(kind="answer", title="T", entry_id="difference", question='é<>"' * 1000)
    value = bk.share_value(reply, "ignored")
    assert value is not None and len(value) <= bk.BUTTON_VALUE
    entry, question = bk.parse_share_value(value)
    assert entry == "difference" and ('é<>"' * 1000).startswith(question) and len(question) > 400
    assert bk.share_value(Reply(kind="decline", title="no"), "x") is None
    assert bk.parse_share_value(bk.share_value(Reply(kind="help", title="h"), "help") or "") == (None, "help")
    assert bk.parse_share_value("not json") == (None, "")


def test_with_thanks_replaces_only_the_feedback_buttons() -> None:
    reply = Reply(kind="answer", title="T", entry_id="e", related=(Link("r", "R"),))
    (message,) = bk.render(reply)
    out = bk.with_thanks(message.blocks, helpful=False)
    ids = [e["action_id"] for b in out if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["rd_show:r"]
    assert "curators will look" in json.dumps(out)


def test_home_view_within_limits(engine: Engine) -> None:
    from bot.builtins import help_reply, overview_reply, topics_reply

    view = bk.home_view([overview_reply(engine.kb), help_reply(engine.kb), topics_reply(engine.kb)], "Hello **you**")
    assert view["type"] == "home" and len(view["blocks"]) <= bk.MAX_HOME_BLOCKS
    for b in view["blocks"]:
        Block.parse(b).validate_json()
    many = [Reply(kind="topics", title=f"T{i}", blocks=(Paragraph("p"), Paragraph("q"))) for i in range(60)]
    big = bk.home_view(many, "hi")
    assert len(big["blocks"]) == bk.MAX_HOME_BLOCKS and "and more" in json.dumps(big["blocks"][-1])


# -- dedupe -----------------------------------------------------------------------------------


def test_dedupe_by_any_key_with_expiry_and_a_size_bound() -> None:
    now = [0.0]
    d = Dedupe(ttl=60, max_size=3, clock=lambda: now[0])
    assert d.first(("event", "Ev1"), ("message", "C1", "1.0"))
    assert not d.first(("event", "Ev1"))  # a retry
    assert not d.first(("event", "Ev2"), ("message", "C1", "1.0"))  # the same message, another event
    assert d.first(("event", "Ev3"), None)
    now[0] = 61.0
    assert d.first(("event", "Ev1"))  # expired
    for i in range(10):
        d.first(("k", i))
    assert len(d) <= 3


@pytest.mark.parametrize("limit", [10, 75, 3000])
def test_pack_tokens_never_exceeds_the_limit(limit: int) -> None:
    tokens: list[Any] = bk.mrkdwn_tokens("**" + "b" * 5000 + "** " + "&" * 4000 + " [x](https://e.com) " * 50, limit)
    chunks = bk.pack_tokens(tokens, limit)
    assert chunks and all(0 < len(c) <= limit for c in chunks)
