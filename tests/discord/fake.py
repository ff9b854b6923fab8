"""A fake Discord (REST API + gateway websocket) on 127.0.0.1 for the real discord.py.

Just enough of Discord for role-diff: login, the application, command sync,
a gateway that identifies and dispatches events, interaction callbacks,
follow-ups and channel messages. It records every request so tests assert
on the payloads discord.py really sent. Like Discord without the
message-content intent, it blanks the text of guild messages that do not
mention the bot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 1100000000000000001  # = the bot user's id, as for every bot
GUILD_ID = 1200000000000000002
CHANNEL_ID = 1300000000000000003
FORBIDDEN_CHANNEL_ID = 1300000000000000004
DM_CHANNEL_ID = 1400000000000000005
THREAD_ID = 1300000000000000009
USER_ID = 1500000000000000006
OTHER_BOT_ID = 1600000000000000007
BOT_ROLE_ID = 1700000000000000008
TOKEN = base64.b64encode(str(APP_ID).encode()).decode().rstrip("=") + ".GfAkE1.not-a-real-token-signature-part"
EPHEMERAL = 1 << 6


def user_obj(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_obj(APP_ID, "role-diff", bot=True)
HUMAN = user_obj(USER_ID, "alice")
OTHER_BOT = user_obj(OTHER_BOT_ID, "otherbot", bot=True)


def member_obj(user: dict[str, Any], roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "user": user,
        "roles": roles or [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "permissions": "2248473465835073",
    }


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None
    at: float = field(default_factory=time.perf_counter)


class FakeDiscord:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.unknown: list[Call] = []  # requests the fake has no route for (tests assert none)
        self.identifies: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.forbidden_channels: set[int] = {FORBIDDEN_CHANNEL_ID}
        self.reject_all = False  # every authorised route answers 401
        self.bot_gateway_url: str | None = None  # what GET /gateway/bot names (default: this fake)
        # "METHOD /path-prefix" -> how many more such requests to drop: the connection is cut
        # after the request arrived, before any answer (the client sees ServerDisconnectedError)
        self.drops: dict[str, int] = {}
        self.dropped: list[Call] = []
        self._ids = itertools.count(1800000000000000000)
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._callback_waiters: dict[str, asyncio.Future[Call]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ready = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def connected(self) -> int:
        return len(self._sockets)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    def next_id(self) -> str:
        return str(next(self._ids))

    # -- REST --------------------------------------------------------------------

    @staticmethod
    def json(data: Any, status: int = 200) -> web.Response:
        # exactly application/json: discord.py does not parse "...; charset=utf-8"
        return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if request.content_type == "application/json" else raw.decode(errors="replace")
        call = Call(request.method, path, dict(request.query), body, request.headers.get("Authorization"))
        self.calls.append(call)
        for key, left in self.drops.items():
            method, prefix = key.split(" ", 1)
            if left > 0 and request.method == method and path.startswith(prefix):
                self.drops[key] = left - 1
                self.dropped.append(call)
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=204)  # never arrives
        parts = path.strip("/").split("/")
        if parts[0] == "interactions":
            return self._interaction_callback(call, parts[1], parts[2])
        if parts[0] == "webhooks":
            return self.json(self.message_obj(int(parts[1]), call.body, channel_id=CHANNEL_ID))
        if call.authorization != f"Bot {self.token}" or self.reject_all:
            return self.json({"message": "401: Unauthorized", "code": 0}, status=401)
        key = (request.method, path)
        if key == ("GET", "/users/@me"):
            return self.json(BOT_USER)
        if key == ("GET", "/oauth2/applications/@me"):
            return self.json(self.application_obj())
        if key == ("GET", "/gateway/bot"):
            limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            url = self.bot_gateway_url or self.gateway_url
            return self.json({"url": url, "shards": 1, "session_start_limit": limits})
        if parts[0] == "applications" and parts[-1] == "commands":
            scope = parts[3] if len(parts) == 5 else "global"
            if scope not in ("global", str(GUILD_ID)):
                return self.json({"message": "Missing Access", "code": 50001}, status=403)
            if request.method == "PUT":
                self.commands[scope] = [self._command_obj(c, scope) for c in body]
            return self.json(self.commands.get(scope, []))
        if parts[0] == "channels" and parts[-1] == "messages" and request.method == "POST":
            channel_id = int(parts[1])
            if channel_id in self.forbidden_channels:
                return self.json({"message": "Missing Permissions", "code": 50013}, status=403)
            return self.json(self.message_obj(APP_ID, body, channel_id=channel_id))
        self.unknown.append(call)
        return self.json({"message": "404: Not Found", "code": 0}, status=404)

    def application_obj(self) -> dict[str, Any]:
        return {
            "id": str(APP_ID),
            "name": "role-diff",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": HUMAN,
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": BOT_USER,
        }

    def _command_obj(self, command: dict[str, Any], scope: str) -> dict[str, Any]:
        existing = {c["name"]: c["id"] for c in self.commands.get(scope, [])}
        out = {**command, "id": existing.get(command["name"]) or self.next_id(), "application_id": str(APP_ID)}
        out["version"] = self.next_id()
        if scope != "global":
            out["guild_id"] = scope
        return out

    def message_obj(self, author_id: int, body: Any, *, channel_id: int) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        message = {
            "id": self.next_id(),
            "channel_id": str(channel_id),
            "author": BOT_USER if author_id == APP_ID else user_obj(author_id, "webhook", bot=True),
            "content": body.get("content") or "",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": body.get("flags") or 0,
        }
        if channel_id != DM_CHANNEL_ID:
            message["guild_id"] = str(GUILD_ID)
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        return message

    def _interaction_callback(self, call: Call, interaction_id: str, token: str) -> web.Response:
        waiter = self._callback_waiters.pop(interaction_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(call)
        response_type = call.body.get("type") if isinstance(call.body, dict) else None
        data = (call.body or {}).get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": False,
                "response_message_ephemeral": ephemeral,
            },
            "resource": {"type": response_type},
        }
        if response_type == 4:
            message = self.message_obj(APP_ID, data, channel_id=CHANNEL_ID)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"]["message"] = message
        return self.json(answer)

    # -- what was sent -------------------------------------------------------------

    def find(self, method: str, prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    def posted(self, channel_id: int | None = None) -> list[Call]:
        """Messages the bot sent to channels (not interaction responses)."""
        calls = [c for c in self.calls if c.method == "POST" and c.path.endswith("/messages")]
        return [c for c in calls if channel_id is None or c.path == f"/channels/{channel_id}/messages"]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', predicate)}")
            await asyncio.sleep(0.005)

    # -- gateway -------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seq = [0]
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                self.identifies.append(data["d"])
                if data["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self._sockets.append((ws, seq))
                await self._send(ws, seq, "READY", self.ready_obj(data["d"].get("shard")))
                await self._send(ws, seq, "GUILD_CREATE", self.guild_obj())
                self.ready.set()
        self._sockets = [(w, s) for w, s in self._sockets if w is not ws]
        return ws

    async def _send(self, ws: web.WebSocketResponse, seq: list[int], event: str, data: dict[str, Any]) -> None:
        seq[0] += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq[0], "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self._sockets, "no bot is connected to the gateway"
        for ws, seq in self._sockets:
            await self._send(ws, seq, event, data)

    def ready_obj(self, shard: list[int] | None) -> dict[str, Any]:
        ready: dict[str, Any] = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if shard:
            ready["shard"] = shard
        return ready

    def guild_obj(self) -> dict[str, Any]:
        def role(role_id: int, name: str, **extra: Any) -> dict[str, Any]:
            return {
                "id": str(role_id),
                "name": name,
                "permissions": "2248473465835073",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
                **extra,
            }

        def text_channel(channel_id: int, name: str) -> dict[str, Any]:
            return {"id": str(channel_id), "type": 0, "name": name, "position": 0, "permission_overwrites": []}

        return {
            "id": str(GUILD_ID),
            "name": "Test server",
            "icon": None,
            "owner_id": str(USER_ID),
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "features": [],
            "roles": [
                role(GUILD_ID, "@everyone"),
                role(BOT_ROLE_ID, "role-diff", managed=True, tags={"bot_id": str(APP_ID)}),
            ],
            "channels": [text_channel(CHANNEL_ID, "general"), text_channel(FORBIDDEN_CHANNEL_ID, "read-only")],
            "members": [member_obj(BOT_USER, [str(BOT_ROLE_ID)])],
            "emojis": [],
            "stickers": [],
            "threads": [
                {
                    "id": str(THREAD_ID),
                    "type": 11,
                    "guild_id": str(GUILD_ID),
                    "parent_id": str(CHANNEL_ID),
                    "owner_id": str(USER_ID),
                    "name": "a thread",
                    "last_message_id": None,
                    "rate_limit_per_user": 0,
                    "message_count": 1,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": "2024-01-01T00:00:00+00:00",
                        "locked": False,
                    },
                }
            ],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }

    # -- events from users -----------------------------------------------------------

    async def user_message(
        self,
        text: str,
        *,
        channel_id: int = CHANNEL_ID,
        author: dict[str, Any] = HUMAN,
        mention_bot: bool = True,
        mention_role: bool = False,
        everyone: bool = False,
        message_id: str | None = None,
    ) -> str:
        """A MESSAGE_CREATE from a user; returns its id. `text` may hold `{bot}`
        and `{role}`, replaced by the bot's user and role mentions."""
        dm = channel_id == DM_CHANNEL_ID
        content = text.replace("{bot}", f"<@{APP_ID}>").replace("{role}", f"<@&{BOT_ROLE_ID}>")
        if not dm and not (mention_bot or mention_role):
            content = ""  # no message-content intent: Discord blanks it
        data: dict[str, Any] = {
            "id": message_id or self.next_id(),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": everyone,
            "mentions": [{**BOT_USER, "member": member_obj(BOT_USER)}] if mention_bot and not dm else [],
            "mention_roles": [str(BOT_ROLE_ID)] if mention_role else [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if dm:
            data["mentions"] = [BOT_USER] if mention_bot else []
        else:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {k: v for k, v in member_obj(author).items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", data)
        return data["id"]

    def interaction_obj(self, kind: int, data: dict[str, Any], *, dm: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.next_id(),
            "application_id": str(APP_ID),
            "type": kind,
            "token": "itoken-" + self.next_id(),
            "version": 1,
            "data": data,
            "locale": "en-US",
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "attachment_size_limit": 10485760,
        }
        if dm:
            payload["user"] = HUMAN
            payload["channel_id"] = str(DM_CHANNEL_ID)
            payload["channel"] = {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [HUMAN]}
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        else:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild_locale"] = "en-US"
            payload["channel_id"] = str(CHANNEL_ID)
            payload["channel"] = {
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            }
            payload["member"] = member_obj(HUMAN)
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        return payload

    def command_data(self, options: list[dict[str, Any]], *, dm: bool = False) -> dict[str, Any]:
        scope = "global" if dm or str(GUILD_ID) not in self.commands else str(GUILD_ID)
        commands = self.commands.get(scope) or [{"id": "1", "name": "role-diff"}]
        command = next(c for c in commands if c["name"] == "role-diff")
        data: dict[str, Any] = {"id": command["id"], "name": "role-diff", "type": 1, "options": options}
        if scope != "global":
            data["guild_id"] = scope
        return data

    def slash(self, question: str | None = None, *, dm: bool = False) -> dict[str, Any]:
        options = [] if question is None else [{"name": "question", "type": 3, "value": question}]
        return self.interaction_obj(2, self.command_data(options, dm=dm), dm=dm)

    def autocomplete(self, partial: str) -> dict[str, Any]:
        options = [{"name": "question", "type": 3, "value": partial, "focused": True}]
        return self.interaction_obj(4, self.command_data(options))

    def click(self, message: dict[str, Any], custom_id: str, *, dm: bool = False) -> dict[str, Any]:
        """A button press on a message the bot sent (as the callback's resource.message)."""
        ids = [c.get("custom_id") for row in message.get("components", []) for c in row.get("components", [])]
        assert custom_id in ids, f"{custom_id} is not a button of that message: {ids}"
        payload = self.interaction_obj(3, {"custom_id": custom_id, "component_type": 2}, dm=dm)
        payload["message"] = message
        return payload

    async def interact(self, payload: dict[str, Any], timeout: float = 5.0) -> Call:
        """Dispatch INTERACTION_CREATE and wait for the bot's callback."""
        waiter: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._callback_waiters[payload["id"]] = waiter
        await self.dispatch("INTERACTION_CREATE", payload)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise AssertionError(f"no callback for interaction {payload['id']} within {timeout} s") from None
        finally:
            self._callback_waiters.pop(payload["id"], None)


def callback_message(call: Call) -> dict[str, Any]:
    """The message an interaction callback would create (what Discord echoes)."""
    assert isinstance(call.body, dict) and call.body.get("type") == 4, call.body
    data = call.body["data"]
    return {
        "id": "1900000000000000000",
        "channel_id": str(CHANNEL_ID),
        "author": BOT_USER,
        "content": data.get("content") or "",
        "timestamp": "2024-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": data.get("embeds") or [],
        "components": data.get("components") or [],
        "pinned": False,
        "type": 20,
        "flags": data.get("flags") or 0,
    }
