"""HTTP mode end to end: signed requests into the real slack-bolt app behind role-diff's
aiohttp server, Web API calls out to the fake Slack, assertions on both."""

from __future__ import annotations

import json
import logging
import time

from aiohttp import ClientSession

from adapters.slack import blocks as bk
from bot.log import InteractionLog
from tests.slack.conftest import HttpBot
from tests.slack.fake import BOT_ID, BOT_USER, CHANNEL, DM, USER, Planned, block_action, mention, message

QUESTION = "what is the difference between a data scientist and an ml engineer"


def texts(blocks: list[dict]) -> str:
    """All text in blocks, for "does it mention ..." checks."""
    return json.dumps(blocks, ensure_ascii=False)


def action_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


# -- signatures --------------------------------------------------------------------------


async def test_bad_signature_and_stale_timestamp_get_401(http_bot: HttpBot) -> None:
    from tests.slack.fake import command_body, signed_headers

    body = command_body(QUESTION, response_url=http_bot.fake.response_url())
    form = "application/x-www-form-urlencoded"
    status, _, _ = await http_bot.post(body, form, signed=signed_headers(body, secret="not-the-secret"))
    assert status == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)  # correctly signed, 6 minutes old
    status, _, _ = await http_bot.post(body, form, signed=stale)
    assert status == 401
    status, _, _ = await http_bot.post(body, form, signed={})
    assert status == 401
    # and the same request, properly signed, is answered
    status, text, _ = await http_bot.post(body, form)
    assert status == 200 and "blocks" in text
    await http_bot.settle()
    assert not http_bot.fake.of("chat.postMessage")


async def test_url_verification_challenge(http_bot: HttpBot) -> None:
    """What Slack sends when the Request URL is saved in the app settings."""
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    status, text, _ = await http_bot.post(body, "application/json")
    assert status == 200
    assert json.loads(text) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_healthz(http_bot: HttpBot) -> None:
    async with ClientSession() as session, session.get(http_bot.url.replace("/slack/events", "/healthz")) as resp:
        assert resp.status == 200
        assert await resp.json() == {"ok": True}


# -- slash command -------------------------------------------------------------------------


async def test_slash_command_answer_is_the_ephemeral_ack(http_bot: HttpBot, log: InteractionLog) -> None:
    status, text, ctype = await http_bot.command(QUESTION)
    assert status == 200 and ctype.startswith("application/json")
    body = json.loads(text)
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Data scientist vs ML engineer, the core difference"},
    }
    assert body["text"].startswith("Data scientist vs ML engineer, the core difference")
    ids = action_ids(body["blocks"])
    assert ids[-3:] == [bk.SHARE, "rd_fb_up:difference", "rd_fb_down:difference"]
    assert "rd_show:data-scientist" in ids
    assert f"_Question:_ {QUESTION}" in texts(body["blocks"])
    assert "*Sources:*" in texts(body["blocks"])
    await http_bot.settle()
    assert not http_bot.fake.calls or {c.method for c in http_bot.fake.calls} <= {"auth.test"}
    log.flush()
    rows = log.rows("questions")
    assert len(rows) == 1
    row = rows[0]
    assert (row["platform"], row["channel_kind"], row["outcome"], row["entry_id"]) == (
        "slack",
        "command",
        "answered",
        "difference",
    )
    assert row["user_hash"] and USER not in row["user_hash"]


async def test_slash_builtins_and_decline(http_bot: HttpBot) -> None:
    _, text, _ = await http_bot.command("")
    overview = json.loads(text)
    assert overview["blocks"][0]["text"]["text"] == "Data scientist vs ML engineer, in two lines"
    assert bk.SHARE in action_ids(overview["blocks"])
    _, text, _ = await http_bot.command("compare pay")
    compare = json.loads(text)
    fields = [b for b in compare["blocks"] if b["type"] == "section" and "fields" in b]
    assert len(fields) == 1 and fields[0]["fields"][0]["text"].startswith("*Data scientist*\n")
    _, text, _ = await http_bot.command("what's the difference between precision and recall")
    decline = json.loads(text)
    assert decline["blocks"][0]["text"]["text"] == "I don't know that one yet"
    ids = action_ids(decline["blocks"])
    assert bk.SHARE not in ids and not any(i.startswith("rd_fb_") for i in ids)


async def test_slash_command_never_pings(http_bot: HttpBot) -> None:
    # Slack delivers a typed "<" as "&lt;"; real mention markup arrives as <@U123>, <!channel>.
    question = "what does a data scientist do <!channel> <!here> @everyone <@U123> &lt;!channel&gt; @channel"
    status, text, _ = await http_bot.command(question)
    assert status == 200
    for ping in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "@everyone", "@channel", "@here"):
        assert ping not in text, ping
    body = json.loads(text)
    assert body["blocks"][0]["text"]["text"] == "What does a data scientist do?"


# -- mentions and DMs ----------------------------------------------------------------------


async def test_mention_answers_in_a_thread(http_bot: HttpBot, log: InteractionLog) -> None:
    status = await http_bot.event(mention(QUESTION, ts="1700000001.000100"))
    assert status == 200
    await http_bot.settle()
    posts = http_bot.fake.of("chat.postMessage")
    assert len(posts) == 1
    post = posts[0]
    assert post.headers["Authorization"] == f"Bearer {http_bot.fake.bot_token}"
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == "1700000001.000100"
    assert post.body["blocks"][0]["text"]["text"] == "Data scientist vs ML engineer, the core difference"
    assert post.body["text"].startswith("Data scientist vs ML engineer")
    assert post.body["unfurl_links"] is False
    ids = action_ids(post.body["blocks"])
    assert "rd_fb_up:difference" in ids and bk.SHARE not in ids
    log.flush()
    assert [r["channel_kind"] for r in log.rows("questions")] == ["channel"]


async def test_mention_in_a_thread_answers_in_that_thread(http_bot: HttpBot, log: InteractionLog) -> None:
    await http_bot.event(
        mention("what tools does an ml engineer use", ts="1700000009.000900", thread_ts="1700000005.5")
    )
    await http_bot.settle()
    (post,) = http_bot.fake.bodies("chat.postMessage")
    assert post["thread_ts"] == "1700000005.5"
    log.flush()
    assert [r["channel_kind"] for r in log.rows("questions")] == ["thread"]


async def test_direct_message_answers_in_the_dm(http_bot: HttpBot, log: InteractionLog) -> None:
    await http_bot.event(message("how much does an ML engineer earn?"))
    await http_bot.settle()
    (post,) = http_bot.fake.bodies("chat.postMessage")
    assert post["channel"] == DM
    assert "thread_ts" not in post or post["thread_ts"] is None
    assert post["blocks"][0]["type"] == "header"
    log.flush()
    assert [r["channel_kind"] for r in log.rows("questions")] == ["dm"]


async def test_mention_escapes_everything_it_echoes(http_bot: HttpBot) -> None:
    await http_bot.event(mention("<!channel> @everyone <@U123> what does a data scientist do &lt;!here&gt;"))
    await http_bot.settle()
    (post,) = http_bot.fake.bodies("chat.postMessage")
    raw = json.dumps(post)
    for ping in ("<!channel>", "<!here>", "<@U123>", "@everyone"):
        assert ping not in raw, ping
    assert post["blocks"][0]["text"]["text"] == "What does a data scientist do?"


async def test_ignores_bots_edits_deletions_joins_and_plain_channel_messages(http_bot: HttpBot) -> None:
    ignored = [
        message(QUESTION, bot_id="B0OTHER", user="U0OTHERBOT"),  # another bot
        message(QUESTION, subtype="bot_message", bot_id="B0OTHER"),
        message(QUESTION, user=BOT_USER, bot_id=BOT_ID),  # the bot itself
        message(
            QUESTION,
            subtype="message_changed",
            message={"type": "message", "user": USER, "text": QUESTION, "ts": "1.0"},
        ),
        message("", subtype="message_deleted", deleted_ts="1.0"),
        message("<@U0ALICE> has joined the channel", channel=CHANNEL, subtype="channel_join"),
        message(QUESTION, channel=CHANNEL),  # a channel message without a mention
        mention(QUESTION, bot_id="B0OTHER"),  # a bot mentioning role-diff
        mention(QUESTION, edited={"user": USER, "ts": "1700000001.5"}),
    ]
    for i, event in enumerate(ignored):
        event["ts"] = event["event_ts"] = f"1700000100.{i:06d}"
        assert await http_bot.event(event) == 200
    await http_bot.event({"type": "member_joined_channel", "user": USER, "channel": CHANNEL, "event_ts": "1.1"})
    await http_bot.settle()
    assert http_bot.fake.of("chat.postMessage") == []


async def test_retried_event_is_answered_once(http_bot: HttpBot) -> None:
    event = mention(QUESTION, ts="1700000200.000001")
    assert await http_bot.event(event, event_id="Ev0RETRY") == 200
    for n in (1, 2):
        headers = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        assert await http_bot.event(event, event_id="Ev0RETRY", headers=headers) == 200
    await http_bot.settle()
    assert len(http_bot.fake.of("chat.postMessage")) == 1


async def test_mention_plus_message_event_is_answered_once(http_bot: HttpBot) -> None:
    ts = "1700000300.000001"
    # A mention in a channel the bot reads (message.channels) arrives twice, with two event ids.
    await http_bot.event(mention(QUESTION, ts=ts), event_id="Ev0MENTION")
    await http_bot.event(message(f"<@{BOT_USER}> {QUESTION}", ts=ts, channel=CHANNEL), event_id="Ev0MESSAGE")
    # A mention in a DM: message.im, and app_mention too.
    await http_bot.event(message(f"<@{BOT_USER}> {QUESTION}", ts=ts, channel=DM), event_id="Ev0DM")
    await http_bot.event(mention(QUESTION, ts=ts, channel=DM), event_id="Ev0DMMENTION")
    await http_bot.settle()
    assert sorted(p["channel"] for p in http_bot.fake.bodies("chat.postMessage")) == [CHANNEL, DM]


# -- Web API failures ----------------------------------------------------------------------------


async def test_rate_limited_then_success(http_bot: HttpBot) -> None:
    http_bot.fake.plan("chat.postMessage", Planned(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    await http_bot.event(mention(QUESTION, ts="1700000400.000001"))
    await http_bot.settle()
    calls = http_bot.fake.of("chat.postMessage")
    assert len(calls) == 2
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After honoured
    assert calls[0].body == calls[1].body


async def test_failing_web_api_does_not_crash_the_bot(http_bot: HttpBot, slack_logs: list[logging.LogRecord]) -> None:
    fail = Planned(500, {"ok": False, "error": "internal_error"})
    http_bot.fake.plan("chat.postMessage", fail, fail, fail, Planned(200, {"ok": False, "error": "channel_not_found"}))
    await http_bot.event(mention(QUESTION, ts="1700000500.000001"))
    await http_bot.settle()
    assert len(http_bot.fake.of("chat.postMessage")) == 3  # the first try and two retries on 5xx
    await http_bot.event(mention(QUESTION, ts="1700000500.000002"))  # ok: false, not retried
    await http_bot.settle()
    assert len(http_bot.fake.of("chat.postMessage")) == 4
    warnings = [r.getMessage() for r in slack_logs if r.levelno == logging.WARNING and r.name == "role_diff.slack"]
    assert any("chat.postMessage failed: internal_error (HTTP 500)" in w for w in warnings), warnings
    assert any("chat.postMessage failed: channel_not_found" in w for w in warnings), warnings
    assert http_bot.bot.failures == 2
    # and the bot still answers
    await http_bot.event(mention(QUESTION, ts="1700000500.000003"))
    status, text, _ = await http_bot.command(QUESTION)
    await http_bot.settle()
    assert status == 200 and json.loads(text)["response_type"] == "ephemeral"
    assert len(http_bot.fake.of("chat.postMessage")) == 5
    for record in slack_logs:  # no token in any log line
        assert http_bot.fake.bot_token not in record.getMessage()


# -- buttons -------------------------------------------------------------------------------------


async def test_related_button_shows_the_entry_to_the_clicker(http_bot: HttpBot) -> None:
    url = http_bot.fake.response_url("show")
    status = await http_bot.action(block_action("rd_show:ml-engineer", "ml-engineer", response_url=url))
    assert status == 200
    await http_bot.settle()
    (call,) = http_bot.fake.of("response_url")
    assert call.path == "/response/show"
    assert call.body["response_type"] == "ephemeral" and call.body["replace_original"] is False
    assert call.body["blocks"][0]["text"]["text"] == "What does an ML engineer do?"
    assert "rd_fb_up:ml-engineer" in action_ids(call.body["blocks"])


async def test_suggestion_button_in_a_dm_posts_normally_and_unknown_entry_is_polite(http_bot: HttpBot) -> None:
    url = http_bot.fake.response_url("dm")
    await http_bot.action(block_action("rd_show:salary", "salary", response_url=url, channel=DM))
    await http_bot.action(block_action("rd_show:no-such-entry", "no-such-entry", response_url=url))
    await http_bot.settle()
    first, second = http_bot.fake.bodies("response_url")
    assert first["response_type"] == "in_channel" and first["blocks"][0]["type"] == "header"
    assert bk.SHARE not in action_ids(first["blocks"])
    assert second == {"response_type": "ephemeral", "replace_original": False, "text": bk_gone()}


def bk_gone() -> str:
    from adapters.slack.handlers import GONE

    return GONE


async def test_feedback_on_a_public_answer_is_recorded_and_buttons_become_thanks(
    http_bot: HttpBot, log: InteractionLog
) -> None:
    await http_bot.event(mention(QUESTION, ts="1700000600.000001"))
    await http_bot.settle()
    (posted,) = http_bot.fake.bodies("chat.postMessage")
    message_payload = {"type": "message", "text": posted["text"], "blocks": posted["blocks"], "ts": "1700000601.0"}
    url = http_bot.fake.response_url("fb")
    payload = block_action("rd_fb_up:difference", "difference", response_url=url, message=message_payload)
    assert await http_bot.action(payload) == 200
    await http_bot.settle()
    (call,) = http_bot.fake.of("response_url")
    assert call.body["replace_original"] is True
    ids = action_ids(call.body["blocks"])
    assert not any(i.startswith("rd_fb_") for i in ids)
    assert "rd_show:data-scientist" in ids  # related buttons stay
    assert "Thanks for the feedback" in texts(call.body["blocks"])
    log.flush()
    (row,) = log.rows("feedback")
    assert (row["platform"], row["entry_id"], bool(row["helpful"])) == ("slack", "difference", True)
    assert row["user_hash"] and USER not in row["user_hash"]


async def test_feedback_on_an_ephemeral_answer_rebuilds_it(http_bot: HttpBot, log: InteractionLog) -> None:
    _, text, _ = await http_bot.command(QUESTION)
    blocks = json.loads(text)["blocks"]
    down = next(
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"].startswith("rd_fb_down")
    )
    url = http_bot.fake.response_url("eph")
    await http_bot.action(block_action(down["action_id"], down["value"], response_url=url))  # no "message": ephemeral
    await http_bot.settle()
    (call,) = http_bot.fake.of("response_url")
    assert call.body["replace_original"] is True
    assert call.body["blocks"][0]["text"]["text"] == "Data scientist vs ML engineer, the core difference"
    assert f"_Question:_ {QUESTION}" in texts(call.body["blocks"])
    ids = action_ids(call.body["blocks"])
    assert bk.SHARE in ids and not any(i.startswith("rd_fb_") for i in ids)
    log.flush()
    (row,) = log.rows("feedback")
    assert (row["entry_id"], bool(row["helpful"])) == ("difference", False)


async def test_share_posts_the_answer_in_the_channel_credited_to_the_asker(
    http_bot: HttpBot, log: InteractionLog
) -> None:
    _, text, _ = await http_bot.command("what does an ML engineer do, &lt;really&gt;")  # typed: <really>
    blocks = json.loads(text)["blocks"]
    share = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == bk.SHARE)
    url = http_bot.fake.response_url("share")
    await http_bot.action(block_action(bk.SHARE, share["value"], response_url=url))
    await http_bot.settle()
    shared, delete = http_bot.fake.bodies("response_url")
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert shared["blocks"][0]["text"]["text"] == "What does an ML engineer do?"
    assert f"Shared by <@{USER}>" in texts(shared["blocks"])
    assert "_Question:_ what does an ML engineer do, &lt;really&gt;" in texts(shared["blocks"])  # escaped echo
    assert bk.SHARE not in action_ids(shared["blocks"]) and "rd_fb_up:ml-engineer" in action_ids(shared["blocks"])
    assert delete == {"delete_original": True}
    log.flush()
    assert len(log.rows("questions")) == 1  # sharing is not a second question


async def test_share_of_a_builtin(http_bot: HttpBot) -> None:
    _, text, _ = await http_bot.command("compare")
    blocks = json.loads(text)["blocks"]
    share = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == bk.SHARE)
    await http_bot.action(block_action(bk.SHARE, share["value"], response_url=http_bot.fake.response_url("s")))
    await http_bot.settle()
    shared = http_bot.fake.bodies("response_url")[0]
    assert shared["blocks"][0]["text"]["text"] == "Data scientist vs ML engineer"
    assert sum(1 for b in shared["blocks"] if "fields" in b) == len(http_bot.bot.service.kb.dimensions)


# -- App Home ------------------------------------------------------------------------------------


async def test_app_home_is_published(http_bot: HttpBot) -> None:
    await http_bot.event({"type": "app_home_opened", "user": USER, "channel": DM, "tab": "home", "event_ts": "1.2"})
    await http_bot.event({"type": "app_home_opened", "user": USER, "channel": DM, "tab": "messages", "event_ts": "1.3"})
    await http_bot.settle()
    (body,) = http_bot.fake.bodies("views.publish")
    assert body["user_id"] == USER
    view = body["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= bk.MAX_HOME_BLOCKS
    everything = texts(view["blocks"])
    assert "/role-diff" in everything and "How to ask role-diff" in everything
    for entry in http_bot.bot.service.kb.entries:
        assert json.dumps(bk.escape(entry.title), ensure_ascii=False)[1:-1] in everything


# -- long answers ------------------------------------------------------------------------------


async def test_long_answer_is_split_over_messages_slack_accepts(http_bot: HttpBot, monkeypatch) -> None:
    from tests.slack.test_blocks import check_limits, huge_reply

    monkeypatch.setattr(http_bot.bot.service, "ask", lambda text, asker: huge_reply())
    status, text, _ = await http_bot.command("anything")
    assert status == 200
    first = json.loads(text)
    await http_bot.event(mention("anything", ts="1700000700.000001"))
    await http_bot.settle()
    follow_ups = http_bot.fake.bodies("response_url")
    assert len(follow_ups) >= 1
    assert all(f["response_type"] == "ephemeral" and f["replace_original"] is False for f in follow_ups)
    check_limits([bk.Message(m["text"], m["blocks"]) for m in [first, *follow_ups]])
    assert bk.SHARE in action_ids(follow_ups[-1]["blocks"])  # buttons come with the last part
    posts = http_bot.fake.bodies("chat.postMessage")
    assert len(posts) == len(follow_ups) + 1
    assert {p["thread_ts"] for p in posts} == {"1700000700.000001"}
    check_limits([bk.Message(p["text"], p["blocks"]) for p in posts])
    assert posts[0]["blocks"][0]["type"] == "header" and posts[1]["blocks"][0]["type"] != "header"
