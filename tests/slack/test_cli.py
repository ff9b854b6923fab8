"""Settings, the manifest and `role-diff run slack` as a user runs it (in a subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from adapters.slack import cli
from adapters.slack.settings import SlackSettings
from bot.settings import SettingsError
from tests.slack.fake import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, signed_headers

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}


def clean_env(**extra: str) -> dict[str, str]:
    """An environment without Slack, role-diff or proxy settings from the outside."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLE_DIFF_")) and "PROXY" not in k.upper()
    }
    env.update(PYTHONPATH=str(ROOT), ROLE_DIFF_LOG="off", **extra)
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


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "http", "variable"),
    [
        ({}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "  "}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": APP_TOKEN}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN + " x"}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, False, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": BOT_TOKEN}, False, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "1234"}, False, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, True, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": BOT_TOKEN}, True, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_API_URL": "slack.com/api"}, False, "SLACK_API_URL"),
        ({**GOOD, "SLACK_API_URL": "ftp://slack.com/api/"}, False, "SLACK_API_URL"),
        ({**GOOD, "SLACK_API_URL": "https://slack.com/api/?x=1"}, False, "SLACK_API_URL"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], http: bool, variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        SlackSettings.from_env(env, http=http)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable + ":")
    for secret in (BOT_TOKEN, APP_TOKEN):
        assert secret not in str(info.value)


def test_missing_app_token_mentions_http() -> None:
    with pytest.raises(SettingsError) as info:
        SlackSettings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN})
    assert "--http" in str(info.value) and "xapp-" in str(info.value)


def test_good_settings() -> None:
    s = SlackSettings.from_env({**GOOD, "SLACK_API_URL": " http://127.0.0.1:9/api "})
    assert (s.bot_token, s.app_token, s.signing_secret, s.api_url) == (
        BOT_TOKEN,
        APP_TOKEN,
        None,
        "http://127.0.0.1:9/api/",
    )
    h = SlackSettings.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}, http=True)
    assert h.signing_secret == SIGNING_SECRET and h.app_token is None and h.base_url == "https://slack.com/api/"
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in repr(s) + repr(h)


def test_importing_the_adapter_imports_no_sdk() -> None:
    code = (
        "import sys, adapters.slack, adapters.slack.cli, adapters.slack.settings, adapters.slack.blocks;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk', 'aiohttp')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- manifest --------------------------------------------------------------------------------


def test_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.print_manifest() == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/role-diff"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
    }
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_home_opened", "app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True and settings["socket_mode_enabled"] is True


async def test_manifest_command(tmp_path: Path) -> None:
    code, out, err = await role_diff(tmp_path, "slack", "manifest", env=clean_env())
    assert code == 0 and err == ""
    assert yaml.safe_load(out)["display_information"]["name"] == "role-diff"


# -- run slack -------------------------------------------------------------------------------


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


async def test_run_without_settings_says_which_one(tmp_path: Path) -> None:
    code, _, err = await role_diff(tmp_path, "run", "slack", env=clean_env())
    assert code == 2
    assert one_line(err).startswith("role-diff: SLACK_BOT_TOKEN: is not set")
    code, _, err = await role_diff(tmp_path, "run", "slack", env=clean_env(SLACK_BOT_TOKEN=BOT_TOKEN))
    assert code == 2
    line = one_line(err)
    assert line.startswith("role-diff: SLACK_APP_TOKEN: is not set") and "--http" in line
    code, _, err = await role_diff(tmp_path, "run", "slack", "--http", env=clean_env(SLACK_BOT_TOKEN=BOT_TOKEN))
    assert code == 2 and one_line(err).startswith("role-diff: SLACK_SIGNING_SECRET: is not set")


async def test_run_with_a_token_slack_rejects(tmp_path: Path) -> None:
    fake = await FakeSlack(bot_token="xoxb-the-real-one").start()
    try:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.api_url)
        code, out, err = await role_diff(tmp_path, "run", "slack", env=env)
    finally:
        await fake.close()
    assert code == 1 and out == ""
    line = one_line(err)
    assert line.startswith("role-diff: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)")
    assert BOT_TOKEN not in err
    assert [c.method for c in fake.calls] == ["auth.test"]


async def test_run_with_an_app_token_slack_rejects(tmp_path: Path) -> None:
    fake = await FakeSlack(app_token="xapp-the-real-one").start()
    try:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.api_url)
        code, _, err = await role_diff(tmp_path, "run", "slack", env=env)
    finally:
        await fake.close()
    assert code == 1
    assert one_line(err).startswith("role-diff: SLACK_APP_TOKEN was rejected by Slack (invalid_auth)")
    assert APP_TOKEN not in err


async def test_run_when_slack_is_unreachable(tmp_path: Path) -> None:
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL="http://127.0.0.1:9/api/")
    code, _, err = await role_diff(tmp_path, "run", "slack", env=env)
    assert code == 1
    assert one_line(err).startswith("role-diff: cannot reach Slack at http://127.0.0.1:9/api/")


async def test_run_http_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "slack",
        "--http",
        "--port",
        "0",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        port = None
        lines: list[str] = []
        while port is None:
            line = (await asyncio.wait_for(proc.stderr.readline(), 20)).decode()
            assert line, "the server stopped: " + "".join(lines)
            lines.append(line)
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/slack/events", line)
            port = int(m.group(1)) if m else None
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/healthz") as resp:
                assert resp.status == 200
            body = command_body("help", response_url=fake.response_url())
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
            async with session.post(base + "/slack/events", data=body, headers=headers) as resp:
                assert resp.status == 200
                answer = json.loads(await resp.text())
        assert answer["blocks"][0]["text"]["text"] == "How to ask role-diff"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        rest = (await proc.stderr.read()).decode()
        everything = "".join(lines) + rest
        assert "Traceback" not in everything and BOT_TOKEN not in everything and SIGNING_SECRET not in everything
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(TimeoutError):  # bounded: an unread pipe would hold wait() forever
                await asyncio.wait_for(proc.wait(), 10)
        await fake.close()


async def test_run_socket_mode_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    from tests.slack.fake import command_fields

    fake = await FakeSlack().start()
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.api_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "slack", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake.connected(timeout=20)
        fields = command_fields("topics", response_url=fake.response_url())
        envelope_id = await fake.send_envelope("slash_commands", fields, accepts_response_payload=True)
        ack = await fake.ack(envelope_id, timeout=10)
        assert ack["payload"]["blocks"][0]["text"]["text"].startswith("What I can answer")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        assert proc.stderr is not None
        err = (await proc.stderr.read()).decode()
        assert "Traceback" not in err and BOT_TOKEN not in err and APP_TOKEN not in err
        assert [c.method for c in fake.calls[:2]] == ["auth.test", "apps.connections.open"]
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(TimeoutError):  # bounded: an unread pipe would hold wait() forever
                await asyncio.wait_for(proc.wait(), 10)
        await fake.close()
