"""`role-diff run slack discord`: both platforms in one process over one engine,
the operations endpoints, and SIGTERM stopping everything within seconds."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.discord.fake import GUILD_ID, FakeDiscord
from tests.discord.fake import TOKEN as DISCORD_TOKEN
from tests.runproc import RoleDiffProcess, clean_env, get, metric, wait_ready
from tests.slack.fake import APP_TOKEN, BOT_TOKEN, FakeSlack, command_fields

SECRETS = (BOT_TOKEN, APP_TOKEN, DISCORD_TOKEN)


def both_env(tmp_path: Path, slack: FakeSlack, discord: FakeDiscord, **extra: str) -> dict[str, str]:
    return clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=DISCORD_TOKEN,
        DISCORD_API_URL=discord.api_url,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DISCORD_GUILD_ID=str(GUILD_ID),
        ROLE_DIFF_HTTP_PORT="127.0.0.1:0",
        **extra,
    )


async def ask_slack(slack: FakeSlack, question: str) -> str:
    fields = command_fields(question, response_url=slack.response_url())
    envelope_id = await slack.send_envelope("slash_commands", fields, accepts_response_payload=True)
    ack = await slack.ack(envelope_id, timeout=10)
    return str(ack["payload"]["blocks"][0]["text"]["text"])


async def ask_discord(discord: FakeDiscord, question: str) -> str:
    call = await discord.interact(discord.slash(question), timeout=10)
    assert call.body["type"] == 4
    return str(call.body["data"]["embeds"][0]["title"])


async def run_both(tmp_path: Path, *args: str, **extra: str) -> None:
    slack = await FakeSlack().start()
    discord = await FakeDiscord().start()
    proc = await RoleDiffProcess.start(tmp_path, "run", *args, env=both_env(tmp_path, slack, discord, **extra))
    try:
        port = await proc.ops_port()
        ready = await wait_ready(port)
        assert ready["platforms"] == {"slack": True, "discord": True}

        # one question on each platform, answered by the one engine
        assert "MLOps" in await ask_slack(slack, "what is mlops")
        assert "MLOps" in await ask_discord(discord, "what is mlops")

        status, health = await get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and health["platforms"] == {"slack": True, "discord": True}
        assert health["knowledge"]["ok"] is True and health["knowledge"]["entries"] > 30
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        for platform in ("slack", "discord"):
            assert metric(text, "role_diff_questions_total", platform=platform, outcome="answered") == 1
            assert metric(text, "role_diff_answer_seconds_count", platform=platform) == 1
            assert metric(text, "role_diff_platform_connected", platform=platform) == 1
        assert metric(text, "role_diff_knowledge_entries") == health["knowledge"]["entries"]
        assert (
            metric(text, "role_diff_platform_api_calls_total", platform="slack", method="auth.test", result="ok") >= 1
        )
        calls = metric(
            text, "role_diff_platform_api_calls_total", platform="discord", method="POST interactions", result="ok"
        )
        assert calls == 1  # the one answer, as an interaction callback

        code, _took = await proc.stop(signal.SIGTERM, timeout=5)
        assert code == 0, proc.stderr
        assert slack.of("auth.test") and discord.identifies
    finally:
        await proc.kill()
        await slack.close()
        await discord.close()
    err = proc.stderr
    assert "Traceback" not in err and "ERROR" not in err, err
    for secret in SECRETS:
        assert secret not in err


async def test_run_slack_discord_in_one_process(tmp_path: Path) -> None:
    await run_both(tmp_path, "slack", "discord")


async def test_run_without_platforms_runs_those_with_tokens_and_says_which(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    discord = await FakeDiscord().start()
    proc = await RoleDiffProcess.start(tmp_path, "run", env=both_env(tmp_path, slack, discord))
    try:
        m = await proc.wait_line(r"running (.+) \(tokens set: (.+)\)")
        assert m.group(1) == "discord, slack" and m.group(2) == "DISCORD_TOKEN, SLACK_BOT_TOKEN"
        await wait_ready(await proc.ops_port())
        assert (await ask_slack(slack, "topics")).startswith("What I can answer")
        code, _ = await proc.stop(signal.SIGINT, timeout=5)
        assert code == 0, proc.stderr
    finally:
        await proc.kill()
        await slack.close()
        await discord.close()


async def test_run_platforms_from_the_environment(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    discord = await FakeDiscord().start()
    env = both_env(tmp_path, slack, discord, ROLE_DIFF_PLATFORMS="slack")
    proc = await RoleDiffProcess.start(tmp_path, "run", env=env)
    try:
        assert (await proc.wait_line(r"running (.+) \((.+)\)")).groups() == ("slack", "from ROLE_DIFF_PLATFORMS")
        body = await wait_ready(await proc.ops_port())
        assert body["platforms"] == {"slack": True}
        assert not discord.identifies  # its token is set, but it was not asked for
        code, _ = await proc.stop()
        assert code == 0
    finally:
        await proc.kill()
        await slack.close()
        await discord.close()


async def test_one_platform_failing_to_start_stops_the_other(tmp_path: Path) -> None:
    slack = await FakeSlack(bot_token="xoxb-another-one").start()  # rejects our token
    discord = await FakeDiscord().start()
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", "discord", env=both_env(tmp_path, slack, discord))
    try:
        code = await asyncio.wait_for(proc.proc.wait(), 30)
        await asyncio.wait_for(proc._reader, 5)
    finally:
        await proc.kill()
        await slack.close()
        await discord.close()
    assert code == 1
    assert "role-diff: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in proc.stderr
    assert "Traceback" not in proc.stderr and BOT_TOKEN not in proc.stderr


async def test_bad_ops_port_names_the_variable(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, ROLE_DIFF_HTTP_PORT="metrics")
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", env=env)
    code = await asyncio.wait_for(proc.proc.wait(), 20)
    await asyncio.wait_for(proc._reader, 5)
    assert code == 2
    [line] = proc.lines
    assert line.startswith("role-diff: ROLE_DIFF_HTTP_PORT: must be a port")
