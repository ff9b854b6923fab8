"""The Slack adapter: `/role-diff`, mentions, DMs and the App Home through slack-bolt.

Importing this package imports no SDK: `adapters.slack.cli` imports slack-bolt
only inside the functions that run the bot, and `settings`, `blocks` and
`dedupe` are pure Python. `adapter` is what the `role_diff.adapters` entry
point names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from bot.platforms import Adapter, RunOptions, Serve


class SlackAdapter(Adapter):
    name = "slack"
    description = "Slack through slack-bolt: Socket Mode, or HTTP with --http"
    token_vars = ("SLACK_BOT_TOKEN",)

    def prepare(self, options: RunOptions, environ: Mapping[str, str]) -> Serve:
        # The SDK first: a missing extra is named (and how to install it) before any token is asked for.
        import aiohttp  # noqa: F401
        import slack_bolt  # noqa: F401

        from .cli import serve
        from .settings import SlackSettings

        settings = SlackSettings.from_env(environ, http=options.http)
        limits = None
        if options.http:  # SLACK_HTTP_TIMEOUT, SLACK_HTTP_MAX_CONNECTIONS: checked before anything starts
            from .http import HttpLimits

            limits = HttpLimits.from_env(environ)
        return functools.partial(
            serve, settings, http=options.http, host=options.host, port=options.port, limits=limits
        )

    def add_commands(self, subparsers: Any) -> None:
        from .cli import print_manifest

        sp = subparsers.add_parser("slack", help="Slack helpers")
        ssub = sp.add_subparsers(dest="slack_command", parser_class=type(sp))
        ssub.add_parser("manifest", help="print the Slack app manifest").set_defaults(
            handler=lambda args: print_manifest()
        )


adapter = SlackAdapter()
