"""Discord settings from the environment, and the invite URL.

Nothing here imports discord.py, so `role-diff discord invite-url` and
settings errors stay fast. Every problem names the variable; the token is
never part of a message.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bot.settings import SettingsError, optional_url, require_token

DEFAULT_API_URL = "https://discord.com/api/v10"
TOKEN_HINT = " (the bot token from the Developer Portal: your application > Bot > Reset Token)"
_SNOWFLAKE = re.compile(r"[0-9]{1,20}")

# The least the bot needs: see channels, send replies (also in threads), with
# embeds, and read history (Discord refuses a reply to a message otherwise).
# Slash-command responses need no permission at all.
PERMISSIONS = {
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "embed_links": 1 << 14,
    "read_message_history": 1 << 16,
    "send_messages_in_threads": 1 << 38,
}
PERMISSIONS_VALUE = sum(PERMISSIONS.values())
SCOPES = ("bot", "applications.commands")


def snowflake(environ: Mapping[str, str], name: str) -> int | None:
    """An optional Discord id (a positive integer below 2**64)."""
    value = environ.get(name, "").strip()
    if not value:
        return None
    if not _SNOWFLAKE.fullmatch(value) or not 0 < int(value) < 2**64:
        raise SettingsError(name, f"must be a Discord id, digits only (got {value[:40]!r})")
    return int(value)


def application_id_from_token(token: str) -> int | None:
    """A bot token's first segment is its bot user id in base64; for a bot
    that id is the application id. None if it does not decode to one."""
    first = token.split(".", 1)[0]
    try:
        text = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if _SNOWFLAKE.fullmatch(text) and 0 < int(text) < 2**64 else None


def shards(environ: Mapping[str, str]) -> int | str | None:
    """DISCORD_SHARDS: unset (one connection), `auto`, or a shard count."""
    value = environ.get("DISCORD_SHARDS", "").strip().lower()
    if not value:
        return None
    if value == "auto":
        return "auto"
    if value.isdigit() and 1 <= int(value) <= 10_000:
        return int(value)
    raise SettingsError("DISCORD_SHARDS", f"must be auto or a number of shards, 1 or more (got {value[:40]!r})")


def shard_plan(environ: Mapping[str, str], shards_value: int | str | None) -> tuple[int | None, tuple[int, ...] | None]:
    """DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS: this process runs the shards
    `DISCORD_SHARD_IDS` (e.g. `0,1` or `0-3`) out of `DISCORD_SHARD_COUNT` in
    all, so several processes can split a big bot (discord.py's
    AutoShardedClient `shard_count` / `shard_ids`)."""
    count_text = environ.get("DISCORD_SHARD_COUNT", "").strip()
    ids_text = environ.get("DISCORD_SHARD_IDS", "").strip()
    count: int | None = None
    if count_text:
        if not count_text.isdigit() or not 1 <= int(count_text) <= 10_000:
            raise SettingsError(
                "DISCORD_SHARD_COUNT", f"must be a number of shards, 1 or more (got {count_text[:40]!r})"
            )
        count = int(count_text)
        if isinstance(shards_value, int) and shards_value != count:
            raise SettingsError(
                "DISCORD_SHARD_COUNT", f"is {count} but DISCORD_SHARDS is {shards_value}: set only one of them"
            )
    if not ids_text:
        return count, None
    if count is None:
        if isinstance(shards_value, int):
            count = shards_value
        else:
            raise SettingsError(
                "DISCORD_SHARD_IDS", "needs DISCORD_SHARD_COUNT (the number of shards across all processes)"
            )
    ids: list[int] = []
    for part in ids_text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise SettingsError(
                "DISCORD_SHARD_IDS", f"must be shard numbers such as 0,1 or 0-3 (got {ids_text[:40]!r})"
            )
        first, last = int(low), int(high) if dash else int(low)
        if first > last:
            raise SettingsError("DISCORD_SHARD_IDS", f"range {part!r} goes backwards")
        ids.extend(range(first, last + 1))
    bad = [i for i in ids if i >= count]
    if bad:
        raise SettingsError(
            "DISCORD_SHARD_IDS", f"shard {bad[0]} does not exist: with {count} shards they are 0-{count - 1}"
        )
    if len(set(ids)) != len(ids):
        raise SettingsError("DISCORD_SHARD_IDS", "names a shard more than once")
    return count, tuple(ids)


def default_state_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("role-diff", appauthor=False)) / "discord"


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(repr=False)
    guild_id: int | None = None
    api_url: str | None = None
    gateway_url: str | None = None
    shards: int | str | None = None
    state_dir: Path = field(default_factory=default_state_dir)
    shard_count: int | None = None  # DISCORD_SHARD_COUNT: shards across all processes
    shard_ids: tuple[int, ...] | None = None  # DISCORD_SHARD_IDS: the ones this process runs

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DiscordSettings:
        env = os.environ if environ is None else environ
        token = require_token(env, "DISCORD_TOKEN", hint=TOKEN_HINT)
        if token.count(".") != 2:
            raise SettingsError("DISCORD_TOKEN", "is not a bot token (it should have three parts separated by dots)")
        api_url = optional_url(env, "DISCORD_API_URL")
        gateway_url = optional_url(env, "DISCORD_GATEWAY_URL", schemes=("ws", "wss"))
        state = env.get("DISCORD_STATE_DIR", "").strip()
        shards_value = shards(env)
        shard_count, shard_ids = shard_plan(env, shards_value)
        return cls(
            token=token,
            guild_id=snowflake(env, "DISCORD_GUILD_ID"),
            api_url=api_url.rstrip("/") if api_url else None,
            gateway_url=gateway_url,
            shards=shards_value,
            state_dir=Path(state).expanduser() if state else default_state_dir(),
            shard_count=shard_count,
            shard_ids=shard_ids,
        )


def invite_application_id(environ: Mapping[str, str] | None = None) -> int:
    """DISCORD_APPLICATION_ID, else DISCORD_CLIENT_ID, else read from DISCORD_TOKEN."""
    env = os.environ if environ is None else environ
    for name in ("DISCORD_APPLICATION_ID", "DISCORD_CLIENT_ID"):
        value = snowflake(env, name)
        if value is not None:
            return value
    token = env.get("DISCORD_TOKEN", "").strip()
    if token:
        app_id = application_id_from_token(token)
        if app_id is None:
            raise SettingsError(
                "DISCORD_APPLICATION_ID",
                "is not set, and DISCORD_TOKEN does not hold an application id: "
                "set DISCORD_APPLICATION_ID (Developer Portal > your application > General Information)",
            )
        return app_id
    raise SettingsError(
        "DISCORD_APPLICATION_ID",
        "is not set (Developer Portal > your application > General Information > Application ID; "
        "or set DISCORD_TOKEN, which holds it)",
    )


def invite_url(application_id: int, permissions: int = PERMISSIONS_VALUE) -> str:
    query = urlencode(
        {"client_id": str(application_id), "scope": " ".join(SCOPES), "permissions": str(permissions)},
    )
    return f"https://discord.com/oauth2/authorize?{query}"
