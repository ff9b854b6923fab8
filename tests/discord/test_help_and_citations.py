"""Discord's own help and citations by name, through the real discord.py client (issue 11)."""

from __future__ import annotations

from tests.discord.fake import FakeDiscord
from tests.discord.test_bot import embeds


async def test_help_describes_discord(fake: FakeDiscord, start_bot) -> None:
    await start_bot()
    call = await fake.interact(fake.slash("help"))
    [embed] = embeds(call)
    seen = embed["description"] + "".join(f["name"] + f["value"] for f in embed.get("fields", []))
    assert "Ask in plain words: **/role-diff** and your question, mention me, or send me a direct message." in seen
    assert "In Discord:" in seen and "suggests questions as you type" in seen
    assert "**compare**: the side-by-side table" in seen  # the built-ins, the same everywhere
    assert "Ctrl-D" not in seen and "Share in channel" not in seen


async def test_answers_cite_sources_by_short_name(fake: FakeDiscord, start_bot) -> None:
    await start_bot()
    call = await fake.interact(fake.slash("what tools do data scientists use"))
    [embed] = embeds(call)
    assert "Python or R for analysis and modelling (Jones, Clarifying the Critical Roles)." in embed["description"]
    assert "(jones" not in embed["description"] and "(clarifying" not in embed["description"]
    assert "Tina Jones, ML Engineer VS. Data Scientist" in embed["footer"]["text"]
