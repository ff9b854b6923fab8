"""What stands between the network and bolt in HTTP mode.

Every request to `/slack/events` is checked here first, on the raw bytes and
before any parsing: a missing, malformed or wrong signature, or a timestamp
more than 5 minutes away, is refused with 401; a signed request whose body
is not what Slack sends (not UTF-8, bad JSON, a `payload=` that is not a JSON
object, nesting deeper than Slack ever sends) gets 400. Either way at most
one short line is logged per kind and minute (`bot.throttle`), never a
traceback: an attacker cannot fill the log. Only what passes reaches bolt
(which checks the signature again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

MAX_AGE = 5 * 60  # seconds either side of now, as Slack documents
MAX_DEPTH = 32  # Slack's payloads nest about 8 deep (blocks in a message in a payload)


@dataclass(frozen=True)
class Refusal:
    status: int  # 401 unsigned / bad signature, 400 signed but malformed
    reason: str  # short, for the log and the response body; never holds request data


def check_headers(headers: Mapping[str, str], now: float | None = None) -> Refusal | None:
    """The signature headers' presence, form and age: what can be refused before reading the body."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return Refusal(401, "unsigned request")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Refusal(401, "malformed X-Slack-Request-Timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
        return Refusal(401, "stale or future X-Slack-Request-Timestamp")
    return None


def check_signature(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> Refusal | None:
    """None if `body` carries Slack's signature made with `secret` within MAX_AGE."""
    refusal = check_headers(headers, now)
    if refusal is not None:
        return refusal
    timestamp = headers["X-Slack-Request-Timestamp"]
    signature = headers["X-Slack-Signature"]
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "surrogateescape")):
        return Refusal(401, "bad signature")
    return None


def _depth(value: Any, limit: int) -> bool:
    """True if `value` nests no deeper than `limit` (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return True


# The fields bolt and role-diff's handlers read, with the types Slack always sends them as
# (anywhere in the body: bolt looks for them in nested events, messages and authorizations).
_TEXT = frozenset(
    "type subtype channel_type user_id team_id channel_id trigger_id response_url command ts thread_ts event_ts "
    "action_id tab bot_id callback_id api_app_id event_id enterprise_id user_team context_team_id "
    "context_enterprise_id value challenge".split()
)
_OBJECT = frozenset(
    "event message previous_message view container workflow_step bot_profile assistant_thread function".split()
)
_OBJECT_OR_TEXT = frozenset("user channel team enterprise text".split())
_OBJECTS = frozenset({"authorizations", "actions"})
_NEVER_NULL = frozenset({"event", "view", "function"})


def _shape(value: Any) -> str | None:
    """None if every known field in `value` (at any depth) has the type Slack sends; else the first that does not."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if item.get("type") == "block_actions" and isinstance(item.get("actions"), list):
            if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in item["actions"]):
                return "every action needs an 'action_id'"
        for key, field in item.items():
            if field is None:
                if key in _NEVER_NULL:  # bolt reads these as `.get(key, {})`
                    return f"'{key}' must be an object"
                continue
            if key in _TEXT and not isinstance(field, str):
                return f"'{key}' must be text"
            if key in _OBJECT and not isinstance(field, dict):
                return f"'{key}' must be an object"
            if key in _OBJECT_OR_TEXT and not isinstance(field, dict | str):
                return f"'{key}' must be an object or text"
            if key in _OBJECTS and (
                not isinstance(field, list) or not field or not all(isinstance(f, dict) for f in field)
            ):
                return f"'{key}' must be a non-empty list of objects"
            if isinstance(field, dict | list):
                stack.append(field)
    return None


def _json_object(text: str, what: str) -> Refusal | None:
    # json.loads stops at Python's recursion limit (RecursionError) on absurd nesting;
    # the body is at most 1 MB, so this is bounded work.
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return Refusal(400, f"{what} is not valid JSON")
    if not isinstance(value, dict):
        return Refusal(400, f"{what} is not a JSON object")
    if not _depth(value, MAX_DEPTH):
        return Refusal(400, f"{what} nests too deeply")
    problem = _shape(value)
    if problem:
        return Refusal(400, f"{what}: {problem}")
    return None


def check_body(body: bytes, content_type: str) -> tuple[str, Refusal | None]:
    """The body as text, and a refusal if it is not what Slack sends.

    Mirrors how bolt will parse it (`slack_bolt.request.internals.parse_body`):
    JSON when the content type is application/json or the body starts with `{`,
    else a form, whose `payload` field (interactivity) is JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "", Refusal(400, "body is not UTF-8")
    if not text:
        return text, None
    if content_type == "application/json" or text.startswith("{"):
        return text, _json_object(text, "JSON body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:
        payload = form.get("payload")
        if payload is not None:
            return text, _json_object(payload, "payload field")
    problem = _shape(form)
    return text, Refusal(400, f"form: {problem}") if problem else None
