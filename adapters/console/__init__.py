"""The local terminal chat: the embedded default, no tokens needed.

`adapter` is what the `role_diff.adapters` entry point names; it runs alone
(it owns the terminal), so `role-diff run slack console` is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms import Adapter

if TYPE_CHECKING:
    from bot.reply import Reply
    from bot.service import RoleDiff


class ConsoleAdapter(Adapter):
    name = "console"
    description = "the terminal chat (no tokens needed)"
    multi = False

    def chat(self, service: RoleDiff) -> int:
        from .app import run_console

        return run_console(service)

    def print_reply(self, reply: Reply) -> None:
        from .app import print_reply

        print_reply(reply)


adapter = ConsoleAdapter()
