"""`role-diff run discord`, `role-diff discord invite-url`, `role-diff discord sync`.

Settings problems raise SettingsError (the CLI prints one line and exits 2);
a rejected token or an unreachable Discord prints one line and returns 1.
The token is never printed or logged.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from bot.clikit import describe, fail

from .settings import DiscordSettings, invite_application_id
from .settings import invite_url as build_invite_url

REJECTED = (
    "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy the bot token again "
    "(Developer Portal > your application > Bot > Reset Token)"
)


def invite_url() -> int:
    print(build_invite_url(invite_application_id()))
    return 0


def run(log_enabled: bool | None) -> int:
    # The SDK first: a missing extra is named (and how to install it) before any token is asked for.
    import aiohttp  # noqa: F401
    import discord  # noqa: F401

    from bot.service import RoleDiff
    from bot.settings import CoreSettings

    settings = DiscordSettings.from_env()
    core = CoreSettings.from_env()
    logging.getLogger("role_diff").setLevel(logging.INFO)  # discord.py's own stay at WARNING
    service = RoleDiff.from_settings(core, log_enabled=log_enabled)
    try:
        return asyncio.run(_run(settings, service))
    finally:
        service.close()


async def _run(settings: DiscordSettings, service: Any) -> int:
    import aiohttp
    import discord

    from .bot import create_bot, endpoints

    with endpoints(settings.api_url, settings.gateway_url):
        bot = create_bot(
            service,
            state_dir=settings.state_dir,
            guild_id=settings.guild_id,
            shards=settings.shards,
            gateway_url=settings.gateway_url,
        )
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
        try:
            async with bot:
                await bot.start(settings.token)
        except discord.LoginFailure:
            return fail(REJECTED)
        except discord.PrivilegedIntentsRequired:  # pragma: no cover - role-diff asks for none
            return fail("Discord refused the gateway intents (the bot asks for no privileged ones)")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            where = settings.api_url or "discord.com"
            return fail(f"cannot reach Discord at {where}: {describe(exc)}")
        except discord.HTTPException as exc:
            return fail(f"Discord answered {exc.status} at start-up: {describe(exc)}")
    return 0


def sync() -> int:
    import aiohttp  # noqa: F401  (the SDK first, as in run())
    import discord  # noqa: F401

    settings = DiscordSettings.from_env()
    logging.getLogger("role_diff").setLevel(logging.INFO)
    return asyncio.run(_sync(settings))


async def _sync(settings: DiscordSettings) -> int:
    import aiohttp
    import discord

    from .bot import COMMAND_NAME, build_tree, endpoints, quiet_voice
    from .sync import SyncState, sync_commands

    with endpoints(settings.api_url, settings.gateway_url):
        quiet_voice()
        client = discord.Client(intents=discord.Intents.none())
        tree = build_tree(client, settings.guild_id)
        try:
            async with client:
                await client.login(settings.token)
                if client.application_id is None:  # pragma: no cover - login always sets it
                    return fail("Discord did not tell the application id")
                await sync_commands(
                    tree, client.application_id, settings.guild_id, SyncState(settings.state_dir), force=True
                )
        except discord.LoginFailure:
            return fail(REJECTED)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return fail(f"cannot reach Discord at {settings.api_url or 'discord.com'}: {describe(exc)}")
        except discord.HTTPException as exc:
            return fail(f"could not sync /{COMMAND_NAME}: {exc.status} {describe(exc)}")
    where = f"to server {settings.guild_id}" if settings.guild_id else "globally (may take a while to show up)"
    print(f"synced /{COMMAND_NAME} {where}")
    return 0
