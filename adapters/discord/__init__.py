"""The Discord adapter: `/role-diff`, mentions and DMs through discord.py.

Importing this package imports no SDK; `adapters.discord.cli` does, and only
inside the functions that need it. `adapter` is what the `role_diff.adapters`
entry point names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from bot.platforms import Adapter, RunOptions, Serve


class DiscordAdapter(Adapter):
    name = "discord"
    description = "Discord through discord.py (gateway; shards with DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS)"
    token_vars = ("DISCORD_TOKEN",)

    def prepare(self, options: RunOptions, environ: Mapping[str, str]) -> Serve:
        # The SDK first: a missing extra is named (and how to install it) before any token is asked for.
        import aiohttp  # noqa: F401
        import discord  # noqa: F401

        from .cli import serve
        from .settings import DiscordSettings

        return functools.partial(serve, DiscordSettings.from_env(environ))

    def add_commands(self, subparsers: Any) -> None:
        from . import cli

        sp = subparsers.add_parser("discord", help="Discord helpers")
        dsub = sp.add_subparsers(dest="discord_command", parser_class=type(sp))
        dsub.add_parser("invite-url", help="print the OAuth2 URL that adds the bot to a server").set_defaults(
            handler=lambda args: cli.invite_url()
        )
        dsub.add_parser("sync", help="sync the /role-diff command with Discord now").set_defaults(
            handler=lambda args: cli.sync()
        )


adapter = DiscordAdapter()
