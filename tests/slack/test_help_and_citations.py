"""Slack's own help and citations by name, through the real slack-bolt app (issue 11)."""

from __future__ import annotations

import json

from tests.slack.conftest import HttpBot
from tests.slack.fake import mention


async def test_help_describes_slack(http_bot: HttpBot) -> None:
    status, text, _ = await http_bot.command("help")
    assert status == 200
    seen = json.dumps(json.loads(text)["blocks"], ensure_ascii=False)
    assert "Ask in plain words: */role-diff* and your question, mention me, or send me a direct message." in seen
    assert "In Slack:" in seen and "*📣 Share in channel*" in seen
    assert "*compare*: the side-by-side table" in seen  # the built-ins, the same everywhere
    assert "Ctrl-D" not in seen and "quit" not in seen and "In this terminal" not in seen


async def test_answers_cite_sources_by_short_name(http_bot: HttpBot) -> None:
    await http_bot.event(mention("what tools do data scientists use", ts="1700000002.000100"))
    await http_bot.settle()
    [post] = http_bot.fake.of("chat.postMessage")
    seen = json.dumps(post.body["blocks"], ensure_ascii=False)
    assert "Python or R for analysis and modelling (Jones, Clarifying the Critical Roles)." in seen
    assert "(jones" not in seen and "(clarifying" not in seen
    assert "Tina Jones, ML Engineer VS. Data Scientist" in seen  # the full credit in the sources line
