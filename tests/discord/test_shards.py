"""Splitting a bot's shards across processes: DISCORD_SHARD_COUNT and
DISCORD_SHARD_IDS (discord.py's AutoShardedClient shard_count / shard_ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord.settings import DiscordSettings
from bot.settings import SettingsError
from tests.discord.fake import TOKEN, FakeDiscord
from tests.runproc import RoleDiffProcess, clean_env


@pytest.mark.parametrize(
    ("env", "count", "ids"),
    [
        ({}, None, None),
        ({"DISCORD_SHARD_COUNT": "4"}, 4, None),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,3"}, 4, (1, 3)),
        ({"DISCORD_SHARD_COUNT": " 8 ", "DISCORD_SHARD_IDS": "0-2, 7"}, 8, (0, 1, 2, 7)),
        ({"DISCORD_SHARDS": "6", "DISCORD_SHARD_IDS": "4-5"}, 6, (4, 5)),
        ({"DISCORD_SHARDS": "6", "DISCORD_SHARD_COUNT": "6", "DISCORD_SHARD_IDS": "0"}, 6, (0,)),
    ],
)
def test_shard_settings(env: dict[str, str], count: int | None, ids: tuple[int, ...] | None) -> None:
    settings = DiscordSettings.from_env({"DISCORD_TOKEN": TOKEN, **env})
    assert (settings.shard_count, settings.shard_ids) == (count, ids)


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT", "1 or more"),
        ({"DISCORD_SHARD_COUNT": "four"}, "DISCORD_SHARD_COUNT", "number of shards"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARDS": "2"}, "DISCORD_SHARD_COUNT", "only one"),
        ({"DISCORD_SHARD_IDS": "0,1"}, "DISCORD_SHARD_IDS", "needs DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"}, "DISCORD_SHARD_IDS", "0-1"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "a,b"}, "DISCORD_SHARD_IDS", "such as 0,1"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3-1"}, "DISCORD_SHARD_IDS", "backwards"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,1"}, "DISCORD_SHARD_IDS", "more than once"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "-1"}, "DISCORD_SHARD_IDS", "such as 0,1"),
    ],
)
def test_bad_shard_settings_name_the_variable(env: dict[str, str], variable: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        DiscordSettings.from_env({"DISCORD_TOKEN": TOKEN, **env})
    assert info.value.variable == variable and says in str(info.value)
    assert TOKEN not in str(info.value)


async def test_bad_shard_ids_stop_run_with_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="5")
    proc = await RoleDiffProcess.start(tmp_path, "run", "discord", env=env)
    try:
        code = await proc.proc.wait()
        await proc._reader
    finally:
        await proc.kill()
    assert code == 2
    [line] = proc.lines
    assert line.startswith("role-diff: DISCORD_SHARD_IDS: shard 5 does not exist")


async def test_a_process_connects_only_its_shards(fake: FakeDiscord, start_bot) -> None:
    bot = await start_bot(shard_count=4, shard_ids=(1, 3))
    assert sorted(i["shard"] for i in fake.identifies) == [[1, 4], [3, 4]]
    assert sorted(bot.shards) == [1, 3] and bot.shard_count == 4
    assert not fake.find("GET", "/gateway/bot")  # the count is given: discord.py does not ask
