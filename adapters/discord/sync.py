"""Sync the command tree only when it changed.

Discord allows 200 command creations a day per application (per guild for
guild commands). A bot that syncs on every start or reconnect can burn that,
so the payload's hash is kept in a small JSON file per application and scope
(global or one guild) and the sync is skipped while it matches.
`role-diff discord sync` forces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

logger = logging.getLogger("role_diff.discord")

STATE_FILE = "command-sync.json"


def payload(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
    """What `tree.sync(guild=...)` would send."""
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def digest(data: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def scope_key(application_id: int, guild_id: int | None) -> str:
    return f"{application_id}:{guild_id if guild_id is not None else 'global'}"


class SyncState:
    """{scope key: payload hash}, in `<state_dir>/command-sync.json`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATE_FILE

    def read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable %s (%s); the commands will be synced", self.path, type(exc).__name__)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        return self.read().get(key)

    def put(self, key: str, value: str) -> None:
        data = self.read()
        data[key] = value
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("cannot write %s (%s): the next start will sync again", self.path, exc)


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    application_id: int,
    guild_id: int | None,
    state: SyncState,
    *,
    force: bool = False,
) -> bool:
    """Sync the tree for the guild (or globally) unless its payload is the one
    synced last time. Returns True if it synced."""
    guild = discord.Object(id=guild_id) if guild_id is not None else None
    key = scope_key(application_id, guild_id)
    current = digest(payload(tree, guild))
    where = f"guild {guild_id}" if guild_id is not None else "globally"
    if not force and state.get(key) == current:
        logger.info("commands unchanged since the last sync %s: not syncing", where)
        return False
    synced = await tree.sync(guild=guild)
    state.put(key, current)
    logger.info("synced %d command(s) %s", len(synced), where)
    return True
