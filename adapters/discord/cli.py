"""`role-diff run discord`, `role-diff discord invite-url`, `role-diff discord sync`.

Settings problems raise SettingsError (the CLI prints one line and exits 2);
a rejected token or an unreachable Discord prints one line and returns 1.
The token is never printed or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from bot.clikit import describe, fail

from .settings import DiscordSettings, invite_application_id
from .settings import invite_url as build_invite_url

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.service import RoleDiff

logger = logging.getLogger("role_diff.discord")

REJECTED = (
    "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy the bot token again "
    "(Developer Portal > your application > Bot > Reset Token)"
)


def invite_url() -> int:
    print(build_invite_url(invite_application_id()))
    return 0


async def serve(settings: DiscordSettings, service: RoleDiff, runtime: Runtime) -> int:
    """Run Discord until `runtime.stop` is set: 0 after a clean stop, 1 (after one line) if it cannot start."""
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
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
        )
        runtime.health.add("discord", lambda: bot.is_ready() and not bot.is_closed() and not _disconnected(bot))
        if settings.shard_ids is not None:
            logger.info("discord: running shards %s of %d", _ranges(settings.shard_ids), settings.shard_count or 0)

        async def started() -> None:
            await bot.wait_until_ready()
            runtime.health.started("discord")

        try:
            async with bot:
                run = asyncio.create_task(bot.start(settings.token))
                ready = asyncio.create_task(started())
                stop = asyncio.create_task(runtime.stop.wait())
                closed_mid_run = False
                try:
                    await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    ready.cancel()
                    stop.cancel()
                    if not run.done():
                        closed_mid_run = True
                        await bot.close()
                if closed_mid_run:
                    # Stopped (another platform failed, or SIGTERM) while start()
                    # was still running: whatever it was doing, such as a
                    # request on the session close() just shut, ends here.
                    with contextlib.suppress(Exception):
                        await run
                    return 0
                await run  # raises what start() raised
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


def _disconnected(bot: Any) -> bool:
    """Live means the gateway websocket is open; a sharded bot's, every shard's it runs."""
    shards = getattr(bot, "shards", None)
    if shards:
        return any(info.is_closed() for info in shards.values())
    ws = getattr(bot, "ws", None)
    return ws is None or not ws.open


def _ranges(ids: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in ids)


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
