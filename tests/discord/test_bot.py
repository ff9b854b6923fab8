"""End to end: the real discord.py bot against the fake Discord on 127.0.0.1.

Assertions are on the payloads discord.py really sent to the fake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from adapters.discord.bot import ShardedRoleDiffBot
from bot.engine import Engine
from bot.reply import Bullets, ComparisonRow, Credit, Link, Paragraph, Reply
from bot.service import Asker, RoleDiff
from tests.discord.fake import (
    APP_ID,
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    EPHEMERAL,
    FORBIDDEN_CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT,
    THREAD_ID,
    USER_ID,
    Call,
    FakeDiscord,
    callback_message,
)

NO_PING = {"parse": []}
DECLINED = "how do I bake a sourdough loaf at home"
MESSAGE_CONTENT_INTENT = 1 << 15


def plain(engine: Engine, text: str) -> Reply:
    """What the core answers (no logging): the reference the adapter must render."""
    return RoleDiff(engine).ask(text, Asker("test"))


@pytest.fixture(scope="module")
def answerable(engine: Engine) -> tuple[str, Reply]:
    """A knowledge question whose answer has related entries."""
    for entry in engine.kb.entries:
        for question in entry.questions:
            reply = plain(engine, question)
            if reply.kind == "answer" and reply.entry_id == entry.id and reply.related:
                return question, reply
    pytest.fail("no knowledge entry is answered with related entries")


def embeds(call: Call) -> list[dict[str, Any]]:
    data = call.body["data"] if "data" in call.body else call.body
    return data.get("embeds") or []


def custom_ids(call: Call) -> list[str]:
    data = call.body["data"] if "data" in call.body else call.body
    return [c["custom_id"] for row in data.get("components") or [] for c in row["components"]]


def flags(call: Call) -> int:
    data = call.body["data"] if "data" in call.body else call.body
    return data.get("flags") or 0


def check_message_limits(body: dict[str, Any]) -> None:
    items = body.get("embeds") or []
    assert 1 <= len(items) <= 10
    total = 0
    for e in items:
        assert len(e.get("title", "")) <= 256 and len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        assert len(e.get("footer", {}).get("text", "")) <= 2048
        total += len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
        total += len(e.get("author", {}).get("name", ""))
        for f in e.get("fields", []):
            assert len(f["name"]) <= 256 and len(f["value"]) <= 1024
            total += len(f["name"]) + len(f["value"])
    assert total <= 6000
    rows = body.get("components") or []
    assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)


# -- start-up -----------------------------------------------------------------------


async def test_logs_in_identifies_and_syncs_to_the_guild(fake: FakeDiscord, start_bot, discord_logs) -> None:
    bot = await start_bot(guild_id=GUILD_ID)
    assert bot.user is not None and bot.user.id == APP_ID
    assert bot.application_id == APP_ID
    [identify] = fake.identifies
    assert identify["token"] == fake.token
    assert not identify["intents"] & MESSAGE_CONTENT_INTENT, "the privileged message-content intent is not needed"
    assert identify["intents"] & (1 << 9) and identify["intents"] & (1 << 12), "guild and DM messages are needed"
    [me] = fake.find("GET", "/users/@me")
    assert me.authorization == f"Bot {fake.token}"
    [put] = fake.find("PUT", "/applications/")
    assert put.path == f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
    [command] = put.body
    assert command["name"] == "role-diff" and command["type"] == 1
    [option] = command["options"]
    assert option == {**option, "name": "question", "type": 3, "required": False, "autocomplete": True}
    assert len(command["description"]) <= 100 and len(option["description"]) <= 100
    # the token is never logged, even at DEBUG
    assert discord_logs, "the log guard sees discord.py's records"
    assert not [r for r in discord_logs if fake.token in r.getMessage()]


async def test_syncs_globally_without_a_guild(fake: FakeDiscord, start_bot) -> None:
    await start_bot()
    [put] = fake.find("PUT", "/applications/")
    assert put.path == f"/applications/{APP_ID}/commands"
    assert [c["name"] for c in put.body] == ["role-diff"]
    assert put.body[0]["contexts"] == [0, 1], "usable in servers and in the bot's DMs"


async def test_sync_skipped_on_the_next_start_when_unchanged(fake: FakeDiscord, start_bot, tmp_path) -> None:
    first = await start_bot(guild_id=GUILD_ID)
    await first.close()
    await fake.wait_for(lambda: fake.connected == 0)
    await start_bot(guild_id=GUILD_ID)
    assert len(fake.find("PUT", "/applications/")) == 1, "unchanged commands are not synced again"
    state = tmp_path / "state" / "command-sync.json"
    assert f"{APP_ID}:{GUILD_ID}" in state.read_text()
    # another scope (global) has never been synced: it is
    await start_bot()
    puts = fake.find("PUT", "/applications/")
    assert [p.path for p in puts] == [
        f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands",
        f"/applications/{APP_ID}/commands",
    ]


async def test_changed_command_is_synced_again(fake: FakeDiscord, start_bot, tmp_path) -> None:
    bot = await start_bot()
    await bot.close()
    await fake.wait_for(lambda: fake.connected == 0)
    state = tmp_path / "state" / "command-sync.json"
    state.write_text(state.read_text().replace('"', '"x', 3).replace('"x', '"', 2))  # another hash
    await start_bot()
    assert len(fake.find("PUT", "/applications/")) == 2


async def test_failed_sync_is_a_warning_and_the_bot_runs(fake: FakeDiscord, start_bot, discord_logs) -> None:
    other_guild = 1299999999999999999  # the fake answers 403 Missing Access, as for a server the bot is not in
    await start_bot(guild_id=other_guild)
    warnings = [r.getMessage() for r in discord_logs if r.levelno == logging.WARNING and r.name == "role_diff.discord"]
    assert any("could not sync /role-diff: 403" in w and "applications.commands" in w for w in warnings)
    call = await fake.interact(fake.slash("help", dm=True))
    assert call.body["type"] == 4


async def test_auto_sharding_asks_for_the_shard_count(fake: FakeDiscord, start_bot, answerable) -> None:
    question, expected = answerable
    bot = await start_bot(shards="auto")
    assert isinstance(bot, ShardedRoleDiffBot)
    assert fake.find("GET", "/gateway/bot")
    assert [i["shard"] for i in fake.identifies] == [[0, 1]]
    call = await fake.interact(fake.slash(question))
    assert embeds(call)[0]["title"] == expected.title


async def test_an_explicit_gateway_url_wins_over_gateway_bot(fake: FakeDiscord, start_bot) -> None:
    fake.bot_gateway_url = "ws://127.0.0.1:9/nowhere/"  # nothing listens there
    await start_bot(shards="auto", gateway_url=fake.gateway_url)
    assert fake.identifies


async def test_a_fixed_shard_count_does_not_ask(fake: FakeDiscord, start_bot) -> None:
    await start_bot(shards=1)
    assert not fake.find("GET", "/gateway/bot")
    assert [i["shard"] for i in fake.identifies] == [[0, 1]]


# -- slash command --------------------------------------------------------------------


async def test_slash_answer_is_public_with_embed_buttons_and_no_mentions(
    fake: FakeDiscord, start_bot, answerable, service
) -> None:
    question, expected = answerable
    await start_bot(guild_id=GUILD_ID)
    call = await fake.interact(fake.slash(question))
    assert call.authorization is None, "interaction callbacks carry no bot token"
    assert call.query == {"with_response": "1"}
    assert call.body["type"] == 4
    assert call.body["data"]["allowed_mentions"] == NO_PING
    assert not flags(call) & EPHEMERAL, "answers are public"
    [embed] = embeds(call)
    assert embed["title"] == expected.title
    assert embed["author"]["name"] == f"“{expected.question}”"
    assert embed["footer"]["text"] == "Sources: " + "; ".join(c.text for c in expected.credits)
    ids = custom_ids(call)
    assert f"rd:fb:up:{expected.entry_id}" in ids and f"rd:fb:down:{expected.entry_id}" in ids
    assert f"rd:show:{expected.related[0].entry_id}" in ids
    service.log.flush()
    [row] = service.log.rows("questions")
    assert (row["platform"], row["channel_kind"], row["outcome"], row["entry_id"]) == (
        "discord",
        "command",
        "answered",
        expected.entry_id,
    )
    assert row["user_hash"] and str(USER_ID) not in row["user_hash"]


async def test_slash_decline_is_ephemeral(fake: FakeDiscord, start_bot, engine, service) -> None:
    expected = plain(engine, DECLINED)
    assert expected.kind == "decline"
    await start_bot()
    call = await fake.interact(fake.slash(DECLINED))
    assert flags(call) & EPHEMERAL
    assert embeds(call)[0]["title"] == expected.title
    assert not [i for i in custom_ids(call) if i.startswith("rd:fb:")], "no feedback on a decline"
    assert [i for i in custom_ids(call)] == [f"rd:show:{s.entry_id}" for s in expected.suggestions]
    service.log.flush()
    assert [r["outcome"] for r in service.log.rows("questions")] == ["declined"]


@pytest.mark.parametrize("question", [None, "help", "topics", "compare", "sources"])
async def test_slash_builtins(fake: FakeDiscord, start_bot, engine, question: str | None) -> None:
    expected = plain(engine, question or "")
    await start_bot()
    call = await fake.interact(fake.slash(question))
    assert embeds(call)[0]["title"] == expected.title
    assert not flags(call) & EPHEMERAL
    check_message_limits(call.body["data"])


async def test_slash_in_a_dm(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    await start_bot()
    call = await fake.interact(fake.slash(question, dm=True))
    assert embeds(call)[0]["title"] == expected.title
    assert call.body["data"]["allowed_mentions"] == NO_PING


async def test_slash_question_with_everyone_pings_no_one(fake: FakeDiscord, start_bot, answerable) -> None:
    question, expected = answerable
    await start_bot()
    call = await fake.interact(fake.slash(f"@everyone @here <@{USER_ID}> <@&{GUILD_ID}> {question}"))
    assert call.body["data"]["allowed_mentions"] == NO_PING
    assert not call.body["data"].get("content"), "no message content that could mention anyone"
    assert embeds(call)[0]["title"] == expected.title
    assert "<@" not in embeds(call)[0]["author"]["name"]  # the echo is the core's cleaned question


async def test_a_stale_command_gets_a_private_hint_not_an_error(fake: FakeDiscord, start_bot, discord_logs) -> None:
    await start_bot()
    payload = fake.slash("help")
    payload["data"]["name"] = "old-name"
    call = await fake.interact(payload)
    assert flags(call) & EPHEMERAL and "out of date" in call.body["data"]["content"]
    assert any("unknown command /old-name" in r.getMessage() for r in discord_logs if r.levelno == logging.WARNING)


async def test_autocomplete_returns_ranked_choices(fake: FakeDiscord, start_bot, answerable, engine) -> None:
    question, _ = answerable
    partial = " ".join(question.split()[:3])
    await start_bot(guild_id=GUILD_ID)
    call = await fake.interact(fake.autocomplete(partial))
    assert call.body["type"] == 8
    choices = call.body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(0 < len(c["name"]) <= 100 and 0 < len(c["value"]) <= 100 for c in choices)
    assert [c["value"] for c in choices] == engine.complete(partial)[:25], "the engine's ranking, in order"
    empty = await fake.interact(fake.autocomplete(""))
    assert 1 <= len(empty.body["data"]["choices"]) <= 25


# -- buttons --------------------------------------------------------------------------


async def test_feedback_buttons_are_recorded_and_acknowledged(
    fake: FakeDiscord, start_bot, answerable, service
) -> None:
    question, expected = answerable
    await start_bot()
    message = callback_message(await fake.interact(fake.slash(question)))
    up = await fake.interact(fake.click(message, f"rd:fb:up:{expected.entry_id}"))
    down = await fake.interact(fake.click(message, f"rd:fb:down:{expected.entry_id}"))
    for ack in (up, down):
        assert ack.body["type"] == 4 and flags(ack) & EPHEMERAL
        assert ack.body["data"]["content"].startswith("Thanks")
        assert ack.body["data"]["allowed_mentions"] == NO_PING
    service.log.flush()
    rows = service.log.rows("feedback")
    assert [(r["platform"], r["entry_id"], r["helpful"]) for r in rows] == [
        ("discord", expected.entry_id, True),
        ("discord", expected.entry_id, False),
    ]


async def test_feedback_for_an_unknown_entry_is_not_recorded(fake: FakeDiscord, start_bot, service) -> None:
    await start_bot()
    message = callback_message(await fake.interact(fake.slash("help")))
    message["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "rd:fb:up:no-such-entry"}]}
    ]
    ack = await fake.interact(fake.click(message, "rd:fb:up:no-such-entry"))
    assert flags(ack) & EPHEMERAL and "no longer" in ack.body["data"]["content"]
    service.log.flush()
    assert service.log.rows("feedback") == []


async def test_related_button_shows_that_entry(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    related = expected.related[0]
    await start_bot()
    message = callback_message(await fake.interact(fake.slash(question)))
    call = await fake.interact(fake.click(message, f"rd:show:{related.entry_id}"))
    shown = service.show(related.entry_id)
    assert shown is not None
    assert embeds(call)[0]["title"] == shown.title == related.title
    assert flags(call) & EPHEMERAL, "shown to the one who clicked"
    assert f"rd:fb:up:{related.entry_id}" in custom_ids(call)


async def test_suggestion_button_on_a_decline_shows_the_entry(fake: FakeDiscord, start_bot, engine) -> None:
    entry = engine.kb.entries[0]
    await start_bot()
    message = callback_message(await fake.interact(fake.slash(DECLINED)))
    message["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": f"rd:show:{entry.id}"}]}
    ]
    call = await fake.interact(fake.click(message, f"rd:show:{entry.id}"))
    assert embeds(call)[0]["title"] == entry.title


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    first = await start_bot()
    message = callback_message(await fake.interact(fake.slash(question)))
    await first.close()
    await fake.wait_for(lambda: fake.connected == 0)
    await start_bot()  # a new process would be the same: nothing is carried over but the custom ids
    ack = await fake.interact(fake.click(message, f"rd:fb:down:{expected.entry_id}"))
    assert ack.body["data"]["content"].startswith("Thanks")
    service.log.flush()
    assert [(r["entry_id"], r["helpful"]) for r in service.log.rows("feedback")] == [(expected.entry_id, False)]


# -- messages -------------------------------------------------------------------------


async def test_mention_gets_a_reply_to_the_message(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    await start_bot()
    message_id = await fake.user_message("{bot} " + question)
    [post] = await fake.wait_for(lambda: fake.posted())
    assert post.path == f"/channels/{CHANNEL_ID}/messages"
    assert post.authorization == f"Bot {fake.token}"
    assert post.body["message_reference"]["message_id"] == int(message_id)
    assert post.body["message_reference"]["fail_if_not_exists"] is False
    assert post.body["allowed_mentions"] == NO_PING
    assert embeds(post)[0]["title"] == expected.title
    assert f"rd:fb:up:{expected.entry_id}" in custom_ids(post)
    service.log.flush()
    assert [(r["channel_kind"], r["entry_id"]) for r in service.log.rows("questions")] == [
        ("channel", expected.entry_id)
    ]


async def test_mention_in_a_thread_is_answered_in_the_thread(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    await start_bot()
    message_id = await fake.user_message("{bot} " + question, channel_id=THREAD_ID)
    [post] = await fake.wait_for(lambda: fake.posted())
    assert post.path == f"/channels/{THREAD_ID}/messages"
    assert post.body["message_reference"]["message_id"] == int(message_id)
    assert embeds(post)[0]["title"] == expected.title
    service.log.flush()
    assert [r["channel_kind"] for r in service.log.rows("questions")] == ["thread"]


async def test_mention_of_the_bots_role_counts(fake: FakeDiscord, start_bot, answerable) -> None:
    question, expected = answerable
    await start_bot()
    await fake.user_message("{role} " + question, mention_bot=False, mention_role=True)
    [post] = await fake.wait_for(lambda: fake.posted())
    assert embeds(post)[0]["title"] == expected.title


async def test_direct_message_is_answered_in_the_dm(fake: FakeDiscord, start_bot, answerable, service) -> None:
    question, expected = answerable
    await start_bot()
    await fake.user_message(question, channel_id=DM_CHANNEL_ID, mention_bot=False)
    [post] = await fake.wait_for(lambda: fake.posted())
    assert post.path == f"/channels/{DM_CHANNEL_ID}/messages"
    assert "message_reference" not in post.body
    assert post.body["allowed_mentions"] == NO_PING
    assert embeds(post)[0]["title"] == expected.title
    service.log.flush()
    assert [r["channel_kind"] for r in service.log.rows("questions")] == ["dm"]


async def test_bots_self_unmentioned_and_repeated_messages_get_no_reply(
    fake: FakeDiscord, start_bot, answerable
) -> None:
    question, _ = answerable
    await start_bot()
    await fake.user_message("{bot} " + question, author=OTHER_BOT)
    await fake.user_message("{bot} " + question, author=BOT_USER)
    await fake.user_message(question, channel_id=DM_CHANNEL_ID, author=OTHER_BOT, mention_bot=False)
    await fake.user_message(question, mention_bot=False)  # the fake blanks it, as Discord does
    await fake.user_message("@everyone " + question, mention_bot=False, everyone=True)
    once = await fake.user_message("{bot} " + question, message_id="1810000000000000001")
    await fake.user_message("{bot} " + question, message_id=once)  # redelivered
    last = await fake.user_message("{bot} help")
    await fake.wait_for(lambda: len(fake.posted()) >= 2)
    await asyncio.sleep(0.2)  # room for any wrong reply to arrive
    replied_to = [p.body["message_reference"]["message_id"] for p in fake.posted()]
    assert replied_to == [int(once), int(last)]


async def test_everyone_in_a_mention_pings_no_one(fake: FakeDiscord, start_bot, answerable) -> None:
    question, expected = answerable
    await start_bot()
    await fake.user_message(f"@everyone @here {{bot}} <@{USER_ID}> {question}", everyone=True)
    [post] = await fake.wait_for(lambda: fake.posted())
    assert post.body["allowed_mentions"] == NO_PING
    assert not post.body.get("content")
    assert embeds(post)[0]["title"] == expected.title, "mention markup is not part of the question"


async def test_a_failing_send_is_logged_and_the_bot_goes_on(
    fake: FakeDiscord, start_bot, answerable, discord_logs
) -> None:
    question, _ = answerable
    await start_bot()
    await fake.user_message("{bot} " + question, channel_id=FORBIDDEN_CHANNEL_ID)
    await fake.wait_for(lambda: fake.posted(FORBIDDEN_CHANNEL_ID))
    await fake.user_message("{bot} " + question)
    await fake.wait_for(lambda: fake.posted(CHANNEL_ID))
    warnings = [r.getMessage() for r in discord_logs if r.name == "role_diff.discord" and r.levelno == logging.WARNING]
    assert any(f"could not reply in channel {FORBIDDEN_CHANNEL_ID}: 403" in w for w in warnings)


# -- long replies -----------------------------------------------------------------------


def huge_reply() -> Reply:
    return Reply(
        kind="compare",
        title="Everything side by side",
        blocks=(Paragraph("intro " * 300), Bullets(tuple(f"point {i} " + "detail " * 60 for i in range(60)))),
        rows=tuple(ComparisonRow(f"dimension {i}", "ds " * 150, "mle " * 150) for i in range(40)),
        credits=(Credit("jones", "Tina Jones, ML Engineer VS. Data Scientist"),),
        related=(Link("salary", "Who earns more?"),),
        entry_id="salary",
    )


async def test_a_long_reply_is_split_into_followups_within_limits(
    fake: FakeDiscord, start_bot, service, monkeypatch
) -> None:
    monkeypatch.setattr(service, "ask", lambda text, asker: huge_reply())
    await start_bot()
    call = await fake.interact(fake.slash("compare everything"))
    # The last follow-up carries the buttons: wait for it (a fixed sleep lost the race on a busy machine).
    await fake.wait_for(
        lambda: any(f.body.get("components") for f in fake.find("POST", f"/webhooks/{APP_ID}/")), timeout=30
    )
    followups = fake.find("POST", f"/webhooks/{APP_ID}/")
    bodies = [call.body["data"], *(f.body for f in followups)]
    assert len(bodies) >= 3
    for body in bodies:
        check_message_limits(body)
        assert body["allowed_mentions"] == NO_PING
    assert all(f.path.endswith(call.path.split("/")[3]) for f in followups), "follow-ups use the interaction token"
    assert [bool(b.get("components")) for b in bodies] == [False] * (len(bodies) - 1) + [True]
    names = [f["name"] for b in bodies for e in b["embeds"] for f in e.get("fields", [])]
    assert [n for n in names if n.endswith(" · data scientist")] == [
        f"dimension {i} · data scientist" for i in range(40)
    ]
    descriptions = "".join(e.get("description", "") for b in bodies for e in b["embeds"])
    assert all(f"point {i} " in descriptions for i in range(60))
