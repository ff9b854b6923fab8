"""Fuzzing `/slack/events` with hypothesis: random headers and bodies, unsigned, forged,
stale and correctly signed, into role-diff's real aiohttp server and the real bolt app
(served from a thread, so hypothesis drives it with plain blocking requests).

Whatever arrives: never a 5xx, never an ERROR or a traceback in the log (role-diff,
slack_bolt, slack_sdk, aiohttp, asyncio), and `/healthz` still answers afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack.app import create_bot
from adapters.slack.http import build_web_app, serve
from adapters.slack.settings import SlackSettings
from bot.engine import Engine
from bot.log import InteractionLog
from bot.service import RoleDiff
from tests.logcapture import collect_logs
from tests.slack.fake import SIGNING_SECRET, FakeSlack, command_fields, event_callback

FORM = "application/x-www-form-urlencoded"
EXAMPLES = int(os.environ.get("ROLE_DIFF_FUZZ_EXAMPLES", "300"))


@dataclass
class Served:
    port: int
    response_url: str
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[Served]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)  # loopback only (the suite runs without them anyway)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzzed-server", daemon=True)
    thread.start()

    async def start() -> tuple[FakeSlack, Any, Any, int]:
        fake = await FakeSlack().start()
        slack = SlackSettings(bot_token=fake.bot_token, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
        app, bot = create_bot(RoleDiff(engine, InteractionLog("", enabled=False)), slack)
        runner, port = await serve(build_web_app(app), "127.0.0.1", 0)
        return fake, bot, runner, port

    fake, bot, runner, port = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield Served(port, fake.response_url("fuzz"), loop)
    finally:

        async def stop() -> None:
            await bot.drain(5)
            await runner.cleanup()
            await fake.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# -- what to send -------------------------------------------------------------------------

KEYS = [
    "type", "command", "text", "user_id", "user", "channel_id", "channel", "trigger_id", "response_url",
    "payload", "event", "event_id", "actions", "action_id", "value", "message", "container", "team_id",
    "api_app_id", "challenge", "token", "view", "blocks", "ts", "thread_ts", "channel_type", "subtype",
    "bot_id", "tab", "authorizations", "enterprise", "is_enterprise_install", "team", "id", "user_name",
]  # fmt: skip
WORDS = [
    "event_callback", "url_verification", "block_actions", "app_mention", "message", "app_home_opened",
    "view_submission", "shortcut", "message_action", "ssl_check", "im", "channel", "home", "/role-diff",
    "rd_show:difference", "rd_show:", "rd_fb_up:difference", "rd_fb_down:nope", "rd_share", "D0ALICE",
    "C0GENERAL", "U0ALICE", "UBOT", "1700000001.000100", "help", "compare pay", "<!channel>", "",
]  # fmt: skip
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(WORDS)
)
value = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
obj = st.dictionaries(st.sampled_from(KEYS), value, max_size=8)


@st.composite
def bodies(draw: st.DrawFn, response_url: str) -> tuple[bytes, str]:
    """(body, content type): from random bytes to nearly-right Slack requests."""
    kind = draw(st.sampled_from(["bytes", "text", "json", "form", "command", "event", "action", "payload"]))
    json_ct = draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]))
    if kind == "bytes":
        return draw(st.binary(max_size=300)), draw(st.sampled_from([FORM, "application/json", "", "x/y"]))
    if kind == "text":
        return draw(st.text(max_size=300)).encode("utf-8", "surrogatepass"), draw(st.sampled_from([FORM, "text/plain"]))
    if kind == "json":
        return json.dumps(draw(value)).encode(), json_ct
    if kind == "form":
        fields = draw(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), st.text(max_size=40), max_size=8))
        return urlencode(fields).encode(), FORM
    if kind == "command":
        fields: dict[str, Any] = command_fields(draw(st.text(max_size=80)), response_url=response_url)
        for key in draw(st.lists(st.sampled_from(list(fields)), max_size=4)):
            fields[key] = draw(st.text(max_size=20) | st.sampled_from(WORDS))
        for key in draw(st.lists(st.sampled_from(list(fields)), max_size=2)):
            fields.pop(key, None)
        return urlencode(fields).encode(), FORM
    if kind == "event":
        event = draw(obj)
        event.setdefault("type", draw(st.sampled_from(WORDS)))
        body = event_callback(event)
        for key in draw(st.lists(st.sampled_from(list(body)), max_size=3)):
            body[key] = draw(value)
        return json.dumps(body).encode(), json_ct
    payload = draw(obj)
    if kind == "action":
        payload.update(
            type="block_actions",
            response_url=draw(st.sampled_from([response_url, "", "not a url", 5])),
            actions=draw(st.lists(obj.map(lambda a: {"action_id": "rd_share", **a}), max_size=2) | value),
        )
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def sign(body: bytes, mode: str, ts_text: str) -> dict[str, str]:
    now = int(time.time())
    ts = {"good": str(now), "forged": str(now), "stale": str(now - 360), "future": str(now + 360)}.get(mode, ts_text)
    secret = "not-the-secret" if mode == "forged" else SIGNING_SECRET
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    if mode == "none":
        return {}
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_fuzzed_requests_never_5xx_nor_traceback(served: Served, slack_logs: list[logging.LogRecord]) -> None:
    """The conftest guard fails the test on any ERROR from role_diff, slack_bolt or slack_sdk;
    here no traceback at any level, from those nor from aiohttp or asyncio."""
    statuses: dict[int, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        data=bodies(served.response_url),
        mode=st.sampled_from(["good", "good", "good", "none", "forged", "stale", "future", "junk-ts"]),
        ts_text=header_text,
        extra=st.dictionaries(
            st.sampled_from(["X-Slack-Retry-Num", "X-Slack-Retry-Reason", "Content-Encoding", "X-Slack-Signature"]),
            header_text,
            max_size=2,
        ),
    )
    def probe(data: tuple[bytes, str], mode: str, ts_text: str, extra: dict[str, str]) -> None:
        body, content_type = data
        headers = {**sign(body, mode, ts_text), **extra}
        if content_type:
            headers["Content-Type"] = content_type
        status = request(served.port, "POST", "/slack/events", body, headers)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (status, body[:200], headers)
        if mode in ("none", "stale", "future") and "X-Slack-Signature" not in extra:
            assert status == 401
        if mode == "forged" and "X-Slack-Signature" not in extra:
            # 400 only when the body cannot even be read (a Content-Encoding it is not in)
            assert status == 401 or (status == 400 and "Content-Encoding" in extra), status

    with collect_logs("aiohttp", "asyncio") as records:
        probe()
        # let background posts (response_url, chat.postMessage to the fake) finish and log
        time.sleep(0.5)
    traced = [f"{r.name}: {r.getMessage()}" for r in [*records, *slack_logs] if r.exc_info]
    assert traced == []
    # bolt's "Unhandled request" warning (a signed request no listener takes) is said once a minute
    assert len([r for r in slack_logs if r.getMessage().startswith("Unhandled request")]) <= 1
    assert request(served.port, "GET", "/healthz") == 200
    # the fuzzing reached bolt (200, or 404 for what no listener handles) and the handlers,
    # not only the signature check
    assert statuses.get(200, 0) + statuses.get(404, 0) > EXAMPLES // 10, statuses
    assert statuses.get(200, 0) > 0, statuses
    assert statuses.get(401, 0) > 0 and statuses.get(400, 0) > 0, statuses
