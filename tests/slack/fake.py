"""A fake Slack (Web API, response_url and Socket Mode websocket) on 127.0.0.1.

Just enough of Slack for the real slack-bolt / slack_sdk: `auth.test`,
`apps.connections.open`, `chat.postMessage`, `views.publish`, `response_url`
posts and a Socket Mode websocket that sends envelopes and collects acks.
Every request is recorded, so tests assert on the payloads the SDK really
sent. Tokens are checked like Slack does (`invalid_auth` otherwise), and a
test can queue failures (429 with Retry-After, 5xx, `ok: false`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-1111-2222-fakefakefakefake"
APP_TOKEN = "xapp-1-A111-2222-fakefakefakefake"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UBOT"
BOT_ID = "B0BOT"
TEAM = "T0TEAM"
APP_ID = "A0APP"
USER = "U0ALICE"
CHANNEL = "C0GENERAL"
DM = "D0ALICE"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url" for posts to a response URL
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Planned:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[Call] = []
        self.unknown: list[Call] = []
        self.plans: dict[str, list[Planned]] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.ws_messages: list[dict[str, Any]] = []
        self._ack_events: dict[str, asyncio.Event] = {}
        self._ws: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.add_routes(
            [
                web.post("/api/{method}", self._api),
                web.post("/response/{name}", self._response_url),
                web.get("/link/", self._link),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- what tests look at ---------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def bodies(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.of(method)]

    def plan(self, method: str, *responses: Planned) -> None:
        """The next calls of `method` get these answers, in order; later ones the normal answer."""
        self.plans.setdefault(method, []).extend(responses)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s; calls: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    # -- Web API ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        raw = await request.text()
        ctype = request.headers.get("Content-Type", "")
        body: dict[str, Any]
        if ctype.startswith("application/json"):
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw))
        call = Call(method, request.path, dict(request.headers), body)
        self.calls.append(call)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        planned = self.plans.get(method)
        if planned:
            p = planned.pop(0)
            return web.json_response(
                p.body if p.body is not None else {"ok": False}, status=p.status, headers=p.headers
            )
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://fake.slack.com/",
                    "team": "Fake Team",
                    "user": "role-diff",
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "bot_id": BOT_ID,
                }
            )
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/"})
        if method in ("chat.postMessage", "chat.update"):
            ts = f"1700000000.{next(self._ts):06d}"
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"ts": ts}})
        if method == "views.publish":
            return web.json_response({"ok": True, "view": {"id": "V1", **(body.get("view") or {})}})
        self.unknown.append(call)
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        call = Call("response_url", request.path, dict(request.headers), json.loads(raw) if raw else {})
        self.calls.append(call)
        planned = self.plans.get("response_url")
        if planned:
            p = planned.pop(0)
            return web.Response(status=p.status, text="error", headers=p.headers)
        return web.Response(text="ok")

    # -- Socket Mode ----------------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self._connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            self.ws_messages.append(data)
            envelope_id = data.get("envelope_id")
            if envelope_id:
                self.acks[envelope_id] = data
                self._ack_events.setdefault(envelope_id, asyncio.Event()).set()
        return ws

    async def connected(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        assert self._ws is not None, "no Socket Mode connection"
        envelope_id = f"env-{next(self._envelopes)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or "timeout"
        self._ack_events.setdefault(envelope_id, asyncio.Event())
        await self._ws.send_str(json.dumps(envelope))
        return envelope_id

    async def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        await asyncio.wait_for(self._ack_events.setdefault(envelope_id, asyncio.Event()).wait(), timeout)
        return self.acks[envelope_id]


# -- requests as Slack sends them --------------------------------------------------------------


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


_trigger_ids = itertools.count(1)


def command_fields(
    text: str, *, response_url: str, user: str = USER, channel: str = CHANNEL, trigger_id: str | None = None
) -> dict[str, str]:
    """A slash command's form fields; each gets its own trigger_id (as from Slack) unless given."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "general" if channel.startswith("C") else "directmessage",
        "user_id": user,
        "user_name": "alice",
        "command": "/role-diff",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{next(_trigger_ids)}.2.3",
    }


def command_body(text: str, **kw: Any) -> str:
    return urlencode(command_fields(text, **kw))


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def mention(text: str, *, ts: str = "1700000001.000100", channel: str = CHANNEL, **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": USER,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def message(text: str, *, ts: str = "1700000002.000200", channel: str = DM, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "message",
        "user": USER,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
    }
    event.update(extra)
    return event


def block_action(
    action_id: str,
    value: str,
    *,
    response_url: str,
    message: dict[str, Any] | None = None,
    channel: str = CHANNEL,
    user: str = USER,
) -> dict[str, Any]:
    container: dict[str, Any] = {"type": "message", "message_ts": "1700000003.000300", "channel_id": channel}
    container["is_ephemeral"] = message is None
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": container,
        "trigger_id": "1.2.4",
        "team": {"id": TEAM, "domain": "fake"},
        "channel": {"id": channel, "name": "general" if channel.startswith("C") else "directmessage"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "rd_feedback",
                "text": {"type": "plain_text", "text": "button", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1700000004.000400",
            }
        ],
    }
    if message is not None:
        payload["message"] = message
    return payload
