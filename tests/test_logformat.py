"""ROLE_DIFF_LOG_FORMAT=json: the process log as one JSON object per line, and
never a secret from the environment in it (in either format)."""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path

import pytest

from bot.logsetup import REDACTED, JsonFormatter, Redactor, TextFormatter, log_format, secret_values
from bot.settings import SettingsError
from tests.runproc import RoleDiffProcess, clean_env
from tests.slack.fake import APP_TOKEN, BOT_TOKEN, FakeSlack, command_fields

ENV = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "DISCORD_TOKEN": "MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gabcde.secret-part-of-the-token",
    "ROLE_DIFF_HASH_SALT": "pepper-and-salt-42",
    "ROLE_DIFF_DATABASE_URL": "postgresql+psycopg://bot:s3cr3t%21pw@db:5432/rd",
    "ROLE_DIFF_LOG": "on",  # not a secret: short, and its name says nothing secret
}


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord("role_diff.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_secret_values_come_from_the_environment() -> None:
    values = secret_values(ENV)
    assert BOT_TOKEN in values and ENV["DISCORD_TOKEN"] in values and "pepper-and-salt-42" in values
    assert "s3cr3t%21pw" in values and "s3cr3t!pw" in values  # the URL's password, as written and decoded
    assert "on" not in values


@pytest.mark.parametrize("formatter_class", [JsonFormatter, TextFormatter])
def test_no_secret_in_any_line(formatter_class: type[logging.Formatter]) -> None:
    formatter = formatter_class(Redactor(secret_values(ENV)))  # type: ignore[call-arg]
    try:
        raise RuntimeError(f"connect failed with {ENV['ROLE_DIFF_DATABASE_URL']}")
    except RuntimeError as err:
        exc = err
    lines = [
        formatter.format(record("token %s rejected", BOT_TOKEN)),
        formatter.format(record("salt is %s, discord %s", ENV["ROLE_DIFF_HASH_SALT"], ENV["DISCORD_TOKEN"])),
        formatter.format(record("database error", exc=exc)),
    ]
    text = "\n".join(lines)
    for secret in secret_values(ENV):
        assert secret not in text
    assert text.count(REDACTED) >= 4
    if formatter_class is JsonFormatter:
        objects = [json.loads(line) for line in lines]
        assert objects[0]["level"] == "WARNING" and objects[0]["logger"] == "role_diff.test"
        assert objects[0]["message"] == f"token {REDACTED} rejected"
        assert "RuntimeError" in objects[2]["exception"] and objects[2]["time"].endswith("Z")


def test_log_format_setting() -> None:
    assert log_format({}) == "text" and log_format({"ROLE_DIFF_LOG_FORMAT": " JSON "}) == "json"
    with pytest.raises(SettingsError) as info:
        log_format({"ROLE_DIFF_LOG_FORMAT": "yaml"})
    assert info.value.variable == "ROLE_DIFF_LOG_FORMAT"


async def test_a_running_bot_logs_json_lines_without_secrets(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake.api_url,
        ROLE_DIFF_LOG_FORMAT="json",
        ROLE_DIFF_HTTP_PORT="127.0.0.1:0",
    )
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", env=env)
    try:
        await proc.wait_line(r"serving /metrics")
        await fake.connected(timeout=20)
        fields = command_fields("what is mlops", response_url=fake.response_url())
        await fake.ack(await fake.send_envelope("slash_commands", fields, accepts_response_payload=True), timeout=10)
        proc.proc.send_signal(signal.SIGHUP)
        await proc.wait_line(r"knowledge reloaded \(SIGHUP\)")
        code, _ = await proc.stop()
        assert code == 0
    finally:
        await proc.kill()
        await fake.close()
    objects = [json.loads(line) for line in proc.lines]  # every line is one JSON object
    messages = [o["message"] for o in objects]
    assert any(m.startswith("slack: connected over Socket Mode") for m in messages)
    assert all({"time", "level", "logger", "message"} <= set(o) for o in objects)
    assert BOT_TOKEN not in proc.stderr and APP_TOKEN not in proc.stderr


async def test_a_failure_line_is_json_too_and_has_no_token(tmp_path: Path) -> None:
    fake = await FakeSlack(bot_token="xoxb-the-real-one").start()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake.api_url,
        ROLE_DIFF_LOG_FORMAT="json",
    )
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", env=env)
    try:
        code = await proc.proc.wait()
        await proc._reader
    finally:
        await proc.kill()
        await fake.close()
    assert code == 1
    [line] = proc.lines
    obj = json.loads(line)
    assert obj["level"] == "ERROR" and obj["message"].startswith("SLACK_BOT_TOKEN was rejected by Slack")
    assert BOT_TOKEN not in line


async def test_a_missing_setting_is_a_json_line_too(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, ROLE_DIFF_LOG_FORMAT="json")
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", env=env)
    try:
        code = await proc.proc.wait()
        await proc._reader
    finally:
        await proc.kill()
    assert code == 2
    [line] = proc.lines
    assert json.loads(line)["message"].startswith("SLACK_APP_TOKEN: is not set")
