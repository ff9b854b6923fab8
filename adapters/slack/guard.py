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


def check_signature(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> Refusal | None:
    """None if `body` carries Slack's signature made with `secret` within MAX_AGE."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return Refusal(401, "unsigned request")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Refusal(401, "malformed X-Slack-Request-Timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
        return Refusal(401, "stale or future X-Slack-Request-Timestamp")
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
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            return text, _json_object(payload, "payload field")
    return text, None
