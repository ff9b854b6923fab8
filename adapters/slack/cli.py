"""`role-diff run slack [--http --host H --port P]` and `role-diff slack manifest`.

Settings problems raise SettingsError (the CLI prints one line and exits 2).
A token Slack rejects, an unreachable Slack or a port already in use print
one line and return 1. Tokens and the signing secret are never printed or
logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from importlib import resources
from typing import Any

from bot.clikit import describe, fail

from .settings import SlackSettings

# auth.test / apps.connections.open errors that mean "this token is wrong", not "Slack is down".
TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "not_allowed_token_type",
    "invalid_token",
    "team_access_not_granted",
}
logger = logging.getLogger("role_diff.slack")


def manifest_text() -> str:
    return resources.files(__package__).joinpath("manifest.yaml").read_text(encoding="utf-8")


def print_manifest() -> int:
    sys.stdout.write(manifest_text())
    return 0


def run(http: bool, host: str, port: int, log_enabled: bool | None) -> int:
    # The SDK first: a missing extra is named (and how to install it) before any token is asked for.
    import aiohttp  # noqa: F401
    import slack_bolt  # noqa: F401

    from bot.service import RoleDiff
    from bot.settings import CoreSettings

    settings = SlackSettings.from_env(http=http)
    core = CoreSettings.from_env()
    logging.getLogger("role_diff").setLevel(logging.INFO)  # slack_bolt / slack_sdk stay at WARNING
    service = RoleDiff.from_settings(core, log_enabled=log_enabled)
    try:
        return asyncio.run(_run(settings, service, http=http, host=host, port=port))
    finally:
        service.close()


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            loop.add_signal_handler(sig, stop.set)
    return stop


async def check_token(client: Any, settings: SlackSettings) -> tuple[str | None, dict[str, Any]]:
    """auth.test with the bot token: (None, Slack's answer) if fine, else (the one-line problem, {})."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = exc.response.status_code if exc.response is not None else "?"
        if error in TOKEN_ERRORS:
            return (
                f"SLACK_BOT_TOKEN was rejected by Slack ({error}): copy the Bot User OAuth Token again "
                "(your app > OAuth & Permissions) and check the app is installed in the workspace"
            ), {}
        return f"Slack answered auth.test with {error or 'an error'} (HTTP {status}) at {settings.base_url}", {}
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return f"cannot reach Slack at {settings.base_url}: {describe(exc)}", {}
    if not auth.get("bot_id"):
        return (
            "SLACK_BOT_TOKEN is not a bot token (auth.test names no bot): use the Bot User OAuth Token (xoxb-...)",
            {},
        )
    return None, dict(auth.data) if isinstance(auth.data, dict) else {}


async def check_app_token(client: Any, settings: SlackSettings) -> str | None:
    """apps.connections.open with the app-level token: None if fine, else the one-line problem.

    slack_sdk's Socket Mode client retries a rejected token forever, logging a
    traceback each time; asking once first turns that into a clear message."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    try:
        await client.apps_connections_open(app_token=settings.app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error in TOKEN_ERRORS:
            return (
                f"SLACK_APP_TOKEN was rejected by Slack ({error}): create an app-level token with the scope "
                "connections:write (your app > Basic Information > App-Level Tokens) and enable Socket Mode"
            )
        return f"Slack answered apps.connections.open with {error or 'an error'} at {settings.base_url}"
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return f"cannot reach Slack at {settings.base_url}: {describe(exc)}"
    return None


async def _run(settings: SlackSettings, service: Any, *, http: bool, host: str, port: int) -> int:
    from .app import create_bot, make_client

    client = make_client(settings)
    problem, auth = await check_token(client, settings)
    if not problem and not http:
        problem = await check_app_token(client, settings)
    if problem:
        return fail(problem)
    logger.info("slack: signed in to %s as %s", auth.get("team") or auth.get("team_id"), auth.get("user"))
    app, bot = create_bot(service, settings, client)
    stop = _stop_event()
    if http:
        from .http import build_web_app, serve

        try:
            runner, bound = await serve(build_web_app(app), host, port)
        except OSError as exc:
            return fail(f"cannot listen on {host}:{port}: {exc.strerror or describe(exc)}")
        logger.info("slack: serving http://%s:%d/slack/events (and /healthz)", host, bound)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await bot.drain()
        return 0

    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, settings.app_token)
    await handler.connect_async()
    logger.info("slack: connected over Socket Mode")
    try:
        await stop.wait()
    finally:
        await handler.close_async()
        await bot.drain()
    return 0
