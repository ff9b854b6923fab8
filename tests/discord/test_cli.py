"""Settings, the invite URL and the `role-diff` commands for Discord, as a user runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from adapters.discord import cli
from adapters.discord.settings import (
    PERMISSIONS_VALUE,
    DiscordSettings,
    application_id_from_token,
    invite_application_id,
    invite_url,
)
from bot.settings import SettingsError
from tests.discord.fake import APP_ID, GUILD_ID, TOKEN, FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
OTHER_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gxyz12.another-token-discord-will-reject"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment without any Discord or proxy settings from the outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ROLE_DIFF_")) and "PROXY" not in k}
    env.update(PYTHONPATH=str(ROOT), ROLE_DIFF_LOG="off", DISCORD_STATE_DIR=str(tmp_path / "state"), **extra)
    return env


async def role_diff(tmp_path: Path, *args: str, env: dict[str, str], timeout: float = 20) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=tmp_path,  # no .env from the checkout
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


# -- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "   "}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "Bot " + TOKEN}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "no-dots-here"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "my-server"}, "DISCORD_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "0"}, "DISCORD_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "9" * 21}, "DISCORD_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": "discord.com/api"}, "DISCORD_API_URL"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GATEWAY_URL": "https://gateway.discord.gg"}, "DISCORD_GATEWAY_URL"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_SHARDS": "many"}, "DISCORD_SHARDS"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_SHARDS": "0"}, "DISCORD_SHARDS"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        DiscordSettings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable + ":")
    assert TOKEN not in str(info.value)


def test_good_settings(tmp_path: Path) -> None:
    settings = DiscordSettings.from_env(
        {
            "DISCORD_TOKEN": f" {TOKEN} ",
            "DISCORD_GUILD_ID": str(GUILD_ID),
            "DISCORD_API_URL": "http://127.0.0.1:1/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:1/gateway/",
            "DISCORD_SHARDS": "AUTO",
            "DISCORD_STATE_DIR": str(tmp_path),
        }
    )
    assert settings.token == TOKEN and settings.guild_id == GUILD_ID
    assert settings.api_url == "http://127.0.0.1:1/api/v10"
    assert settings.shards == "auto" and settings.state_dir == tmp_path
    assert TOKEN not in repr(settings)
    assert DiscordSettings.from_env({"DISCORD_TOKEN": TOKEN, "DISCORD_SHARDS": "4"}).shards == 4


def test_application_id_is_read_from_the_token() -> None:
    assert application_id_from_token(TOKEN) == APP_ID
    assert application_id_from_token("not base64!.x.y") is None
    assert application_id_from_token("aGVsbG8.x.y") is None  # "hello": not an id


def test_invite_url_has_both_scopes_and_the_least_permissions() -> None:
    url = urlsplit(invite_url(APP_ID))
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    expected = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
    )
    assert int(query["permissions"][0]) == PERMISSIONS_VALUE == expected.value
    assert not discord.Permissions(PERMISSIONS_VALUE).administrator


def test_invite_application_id_sources() -> None:
    assert invite_application_id({"DISCORD_APPLICATION_ID": "123456789012345678", "DISCORD_TOKEN": TOKEN}) == (
        123456789012345678
    )
    assert invite_application_id({"DISCORD_CLIENT_ID": "223456789012345678"}) == 223456789012345678
    assert invite_application_id({"DISCORD_TOKEN": TOKEN}) == APP_ID
    for env in ({}, {"DISCORD_TOKEN": "garbage.x.y"}, {"DISCORD_APPLICATION_ID": "abc"}):
        with pytest.raises(SettingsError) as info:
            invite_application_id(env)
        assert info.value.variable == "DISCORD_APPLICATION_ID"


# -- the commands, as a user runs them ---------------------------------------------------


async def test_run_discord_without_a_token_prints_one_line(tmp_path: Path) -> None:
    code, out, err = await role_diff(tmp_path, "run", "discord", env=clean_env(tmp_path))
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("role-diff: DISCORD_TOKEN: is not set")


async def test_invite_url_command_prints_a_valid_url(tmp_path: Path) -> None:
    code, out, err = await role_diff(tmp_path, "discord", "invite-url", env=clean_env(tmp_path, DISCORD_TOKEN=TOKEN))
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    query = parse_qs(urlsplit(line).query)
    assert query["client_id"] == [str(APP_ID)] and query["scope"] == ["bot applications.commands"]
    assert int(query["permissions"][0]) == PERMISSIONS_VALUE
    code, out, err = await role_diff(tmp_path, "discord", "invite-url", env=clean_env(tmp_path))
    assert code == 2 and out == "" and err.startswith("role-diff: DISCORD_APPLICATION_ID: is not set")


async def test_rejected_token_prints_one_line_without_the_token(fake: FakeDiscord, tmp_path: Path) -> None:
    env = clean_env(tmp_path, DISCORD_TOKEN=OTHER_TOKEN, DISCORD_API_URL=fake.api_url)
    code, out, err = await role_diff(tmp_path, "run", "discord", env=env)
    assert code == 1
    [line] = err.splitlines()
    assert line.startswith("role-diff: DISCORD_TOKEN was rejected by Discord (401")
    assert OTHER_TOKEN not in out + err and OTHER_TOKEN.split(".")[2] not in out + err
    assert [c.path for c in fake.calls] == ["/users/@me"]


async def test_unreachable_discord_prints_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_API_URL="http://127.0.0.1:9/api/v10")
    code, _out, err = await role_diff(tmp_path, "run", "discord", env=env)
    assert code == 1
    [line] = err.splitlines()
    assert line.startswith("role-diff: cannot reach Discord at http://127.0.0.1:9/api/v10")
    assert TOKEN not in err


async def test_run_discord_answers_and_stops_on_sigterm(fake: FakeDiscord, tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_URL=fake.api_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DISCORD_GUILD_ID=str(GUILD_ID),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "discord",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.identifies, timeout=20)
        await asyncio.sleep(0.2)  # guild_ready_timeout: the default 2 s is not needed for interactions
        call = await fake.interact(fake.slash("help"), timeout=10)
        assert call.body["type"] == 4 and call.body["data"]["allowed_mentions"] == {"parse": []}
        assert fake.find("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert TOKEN not in err.decode()
    assert "WARNING" not in err.decode() and "ERROR" not in err.decode()


async def test_sync_command_forces_a_sync(fake: FakeDiscord, tmp_path: Path, monkeypatch, capsys) -> None:
    for name, value in clean_env(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_API_URL=fake.api_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DISCORD_GUILD_ID", str(GUILD_ID))
    for _ in range(2):  # the second time, too: `sync` does not look at the stored hash
        assert await asyncio.to_thread(cli.sync) == 0
    puts = fake.find("PUT", "/applications/")
    assert [p.path for p in puts] == [f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"] * 2
    assert capsys.readouterr().out.splitlines() == [f"synced /role-diff to server {GUILD_ID}"] * 2
    assert (tmp_path / "state" / "command-sync.json").is_file()
    assert discord.http.Route.BASE == fake.api_url, "the fixture's endpoint is restored after the command"


async def test_sync_command_with_a_rejected_token(fake: FakeDiscord, tmp_path: Path, monkeypatch, capsys) -> None:
    for name, value in clean_env(tmp_path, DISCORD_TOKEN=OTHER_TOKEN, DISCORD_API_URL=fake.api_url).items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(cli.sync) == 1
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN was rejected" in err and OTHER_TOKEN not in err
    assert not fake.find("PUT", "/applications/")


def test_importing_the_adapter_and_its_cli_imports_no_sdk() -> None:
    import subprocess

    code = (
        "import sys, adapters.discord, adapters.discord.cli, adapters.discord.settings; "
        "print(sorted(m for m in ('discord', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
