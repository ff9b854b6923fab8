"""Slack settings from the environment.

Nothing here imports slack-bolt or slack_sdk, so settings errors are fast.
Every problem names the variable; no token or secret is ever part of a message
(and `repr` hides them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.settings import SettingsError, optional_url, require_token

DEFAULT_API_URL = "https://slack.com/api/"
BOT_TOKEN_HINT = " (the Bot User OAuth Token, xoxb-...: your app > OAuth & Permissions)"
APP_TOKEN_HINT = (
    " (Socket Mode needs the app-level token, xapp-...: your app > Basic Information > App-Level Tokens, "
    "scope connections:write; or run with --http to receive events over HTTP instead)"
)
SECRET_HINT = " (needed with --http: your app > Basic Information > App Credentials > Signing Secret)"


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    api_url: str | None = None  # the Web API base, always ending in "/"

    @property
    def base_url(self) -> str:
        return self.api_url or DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, http: bool = False) -> SlackSettings:
        env = os.environ if environ is None else environ
        bot_token = _bot_token(env)
        app_token = None if http else _app_token(env)
        secret = _signing_secret(env) if http else None
        api_url = optional_url(env, "SLACK_API_URL")
        if api_url is not None:
            if any(c.isspace() for c in api_url) or "?" in api_url or "#" in api_url:
                raise SettingsError("SLACK_API_URL", "must be a plain base URL such as https://slack.com/api/")
            api_url = api_url.rstrip("/") + "/"
        return cls(bot_token=bot_token, app_token=app_token, signing_secret=secret, api_url=api_url)


def _bot_token(env: Mapping[str, str]) -> str:
    value = env.get("SLACK_BOT_TOKEN", "").strip()
    if value.startswith("xapp-"):
        raise SettingsError(
            "SLACK_BOT_TOKEN",
            "holds an app-level token (xapp-): that one belongs in SLACK_APP_TOKEN; "
            "SLACK_BOT_TOKEN is the Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
        )
    return require_token(env, "SLACK_BOT_TOKEN", "xoxb-", hint=BOT_TOKEN_HINT)


def _app_token(env: Mapping[str, str]) -> str:
    value = env.get("SLACK_APP_TOKEN", "").strip()
    if value.startswith("xoxb-"):
        raise SettingsError("SLACK_APP_TOKEN", "holds a bot token (xoxb-), not an app-level token" + APP_TOKEN_HINT)
    return require_token(env, "SLACK_APP_TOKEN", "xapp-", hint=APP_TOKEN_HINT)


def _signing_secret(env: Mapping[str, str]) -> str:
    value = require_token(env, "SLACK_SIGNING_SECRET", hint=SECRET_HINT)
    if value.startswith(("xoxb-", "xoxp-", "xapp-")):
        raise SettingsError("SLACK_SIGNING_SECRET", "holds a token, not the signing secret" + SECRET_HINT)
    return value
