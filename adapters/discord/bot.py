"""The Discord client: the /role-diff command, mentions, DMs and buttons.

Thin on purpose: an event comes in, the service answers, `render` turns the
reply into embeds and buttons, and the result goes out with no mentions
allowed. Buttons are `DynamicItem`s matched by custom id, so they keep working
on old messages after a restart.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from bot import metrics
from bot.reply import Reply
from bot.service import Asker, RoleDiff

from .render import ButtonSpec, Outgoing, choices, render
from .retry import GaveUp, with_retries
from .sync import SyncState, sync_commands

logger = logging.getLogger("role_diff.discord")

COMMAND_NAME = "role-diff"
COMMAND_DESCRIPTION = "Ask about data scientists vs ML engineers"
QUESTION_DESCRIPTION = "Your question; or help, topics, compare [dimension], sources (empty: an overview)"
NO_MENTIONS = discord.AllowedMentions.none()
SEEN_MAX = 2048
_MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")
_ENTRY = r"(?P<entry_id>[A-Za-z0-9_.-]{1,90})"


def _bot(interaction: discord.Interaction[Any]) -> RoleDiffBot:
    client = interaction.client
    if not isinstance(client, RoleDiffBot):
        raise TypeError("the role-diff components need a RoleDiffBot client")
    return client


class ShowButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"rd:show:{_ENTRY}"):
    """A related entry or a "did you mean": shows that entry."""

    def __init__(self, entry_id: str, label: str = "Show", primary: bool = False) -> None:
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"rd:show:{entry_id}"))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> ShowButton:
        return cls(match["entry_id"], label=item.label or "Show", primary=item.style is discord.ButtonStyle.primary)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _bot(interaction).on_show(interaction, self.entry_id)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"rd:fb:(?P<vote>up|down):{_ENTRY}"):
    """👍 / 👎 under an answer: recorded in the interaction log."""

    def __init__(self, vote: str, entry_id: str) -> None:
        label, emoji = ("Helpful", "👍") if vote == "up" else ("Not helpful", "👎")
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=discord.ButtonStyle.secondary, custom_id=f"rd:fb:{vote}:{entry_id}"
            )
        )
        self.vote = vote
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(match["vote"], match["entry_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _bot(interaction).on_feedback(interaction, self.entry_id, self.vote == "up")


def make_view(rows: list[list[ButtonSpec]]) -> discord.ui.View | None:
    """Button specs as a view of dynamic items (never stored per message)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(rows):
        for spec in row:
            item: discord.ui.Item[Any] = (
                ShowButton(spec.entry_id, spec.label, spec.primary)
                if spec.action == "show"
                else FeedbackButton(spec.action, spec.entry_id)
            )
            item.row = row_index
            view.add_item(item)
    return view


def _message_kwargs(out: Outgoing) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"embeds": out.embeds, "allowed_mentions": NO_MENTIONS}
    view = make_view(out.rows)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def build_tree(client: discord.Client, guild_id: int | None = None) -> app_commands.CommandTree[Any]:
    """The command tree: one command, `/role-diff [question]`, global, and
    copied to the guild when `guild_id` is given (that is what gets synced)."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)

    @app_commands.command(name=COMMAND_NAME, description=COMMAND_DESCRIPTION)
    @app_commands.describe(question=QUESTION_DESCRIPTION)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def role_diff(interaction: discord.Interaction[Any], question: str | None = None) -> None:
        await _bot(interaction).on_command(interaction, question or "")

    @role_diff.autocomplete("question")
    async def complete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return _bot(interaction).on_autocomplete(current)

    tree.add_command(role_diff)
    if guild_id is not None:
        tree.copy_global_to(guild=discord.Object(id=guild_id))
    tree.on_error = _on_tree_error  # type: ignore[method-assign]
    return tree


async def _on_tree_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
    original = getattr(error, "original", error)
    if isinstance(original, discord.HTTPException):
        logger.warning("could not answer interaction %s: %s", interaction.id, _http_error(original))
        return
    if isinstance(error, app_commands.CommandNotFound):
        # a stale registration (renamed or removed command): not a bug in the bot
        logger.warning("unknown command /%s: run `role-diff discord sync` to update the commands", error.name)
        text = "That command is out of date. Try `/role-diff`."
    else:
        metrics.error("discord", "command")
        logger.error("/%s failed", COMMAND_NAME, exc_info=original)
        text = "Sorry, something went wrong on my side."
    if not interaction.response.is_done():
        try:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            logger.warning("could not answer interaction %s: %s", interaction.id, _http_error(exc))


def _http_error(exc: discord.HTTPException) -> str:
    return f"{exc.status} {exc.text or type(exc).__name__} (code {exc.code})"


class RoleDiffBot(discord.Client):
    """role-diff on Discord. `ShardedRoleDiffBot` is the same on AutoShardedClient."""

    def __init__(
        self,
        service: RoleDiff,
        *,
        state_dir: Path,
        guild_id: int | None = None,
        auto_sync: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", NO_MENTIONS)
        options.setdefault("http_trace", api_trace())
        super().__init__(**options)
        self.service = service
        self.guild_id = guild_id
        self.auto_sync = auto_sync
        self.sync_state = SyncState(state_dir)
        self.tree = build_tree(self, guild_id)
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ShowButton, FeedbackButton)
        if self.auto_sync:
            await self.sync(force=False)

    async def sync(self, *, force: bool) -> bool:
        """Sync the command if it changed (or `force`); failures are logged, not raised."""
        if self.application_id is None:
            logger.warning("no application id yet: the command was not synced")
            return False
        try:
            return await sync_commands(self.tree, self.application_id, self.guild_id, self.sync_state, force=force)
        except discord.HTTPException as exc:
            hint = ""
            if isinstance(exc, discord.Forbidden) and self.guild_id is not None:
                hint = " (is the bot in that server, invited with the applications.commands scope?)"
            logger.warning("could not sync /%s: %s%s", COMMAND_NAME, _http_error(exc), hint)
            return False

    async def on_ready(self) -> None:
        user = self.user
        logger.info(
            "connected to Discord as %s (id %s) in %d server(s)",
            user.name if user else "?",
            user.id if user else "?",
            len(self.guilds),
        )

    # -- interactions -----------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction[Any], question: str) -> None:
        user = str(interaction.user.id)
        conversation = f"{interaction.channel_id}:{user}"  # one person, one channel or thread
        reply = self.service.ask(question, Asker("discord", user, "command", conversation))
        await self.respond(interaction, reply, ephemeral=reply.kind == "decline", echo_question=True)

    def on_autocomplete(self, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=value) for name, value in choices(self.service.complete(current))]

    async def on_show(self, interaction: discord.Interaction[Any], entry_id: str) -> None:
        reply = self.service.show(entry_id)
        if reply is None:
            await self._ack(interaction, "That entry is no longer in my knowledge base. Try **topics**.")
            return
        # shown to the one who clicked: a click does not post into everyone's channel
        await self.respond(interaction, reply, ephemeral=True)

    async def on_feedback(self, interaction: discord.Interaction[Any], entry_id: str, helpful: bool) -> None:
        asker = Asker("discord", str(interaction.user.id), _channel_kind(interaction.channel))
        if not self.service.feedback(entry_id, helpful, asker):
            await self._ack(interaction, "That entry is no longer in my knowledge base, so I could not record that.")
            return
        text = "Thanks! Glad it helped. 👍" if helpful else "Thanks for telling me. The curators will look at it. 👎"
        await self._ack(interaction, text)

    async def respond(
        self, interaction: discord.Interaction[Any], reply: Reply, *, ephemeral: bool, echo_question: bool = False
    ) -> None:
        first, *rest = render(reply, echo_question=echo_question)
        try:
            kwargs = _message_kwargs(first)
            send = partial(interaction.response.send_message, ephemeral=ephemeral, **kwargs)
            await with_retries("interaction response", send)
            for out in rest:
                more = _message_kwargs(out)
                await with_retries(
                    "follow-up", lambda more=more: interaction.followup.send(ephemeral=ephemeral, **more)
                )  # type: ignore[misc]
        except discord.HTTPException as exc:
            logger.warning("could not answer interaction %s: %s", interaction.id, _http_error(exc))
        except GaveUp as exc:
            logger.warning("could not answer interaction %s: %s", interaction.id, exc)

    async def _ack(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            send = partial(interaction.response.send_message, text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            await with_retries("interaction response", send)
        except discord.HTTPException as exc:
            logger.warning("could not answer interaction %s: %s", interaction.id, _http_error(exc))
        except GaveUp as exc:
            logger.warning("could not answer interaction %s: %s", interaction.id, exc)

    # -- messages ---------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return
        if self.user is not None and message.author.id == self.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        is_dm = message.guild is None
        if not is_dm and not self.mentions_me(message):
            return
        if not self._first_time(message.id):
            return
        kind = "dm" if is_dm else _channel_kind(message.channel)
        user = str(message.author.id)
        conversation = f"{message.channel.id}:{user}"  # one person, one channel, thread or DM
        reply = self.service.ask(question_text(message.content), Asker("discord", user, kind, conversation))
        await self.send_reply(message, reply, as_reply=not is_dm)

    def mentions_me(self, message: discord.Message) -> bool:
        """Mentioned by name or by the bot's own role; @everyone and @here do not count."""
        if self.user is None:
            return False
        if any(user.id == self.user.id for user in message.mentions):
            return True
        role = message.guild.self_role if message.guild is not None else None
        return role is not None and role in message.role_mentions

    def _first_time(self, message_id: int) -> bool:
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        while len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    async def send_reply(self, message: discord.Message, reply: Reply, *, as_reply: bool) -> None:
        try:
            for i, out in enumerate(render(reply)):
                kwargs = _message_kwargs(out)
                if i == 0 and as_reply:
                    kwargs["reference"] = message.to_reference(fail_if_not_exists=False)
                # One nonce for every attempt: with enforce_nonce (discord.py sets it) Discord
                # creates the message once even if an attempt it received was dropped on the way back.
                kwargs["nonce"] = secrets.randbits(64)
                await with_retries("channel message", partial(message.channel.send, **kwargs))
        except discord.HTTPException as exc:
            logger.warning("could not reply in channel %s: %s", message.channel.id, _http_error(exc))
        except GaveUp as exc:
            logger.warning("could not reply in channel %s: %s", message.channel.id, exc)


class ShardedRoleDiffBot(RoleDiffBot, discord.AutoShardedClient):
    """The same bot over AutoShardedClient (DISCORD_SHARDS=auto or a count)."""


def api_trace() -> aiohttp.TraceConfig:
    """Counts every request discord.py makes (REST and interaction callbacks) in
    `role_diff_platform_api_calls_total{platform="discord"}`, labelled by HTTP
    method and the route's first segment (never ids or tokens), and the answers
    discord.py retries (429, 5xx) in `role_diff_platform_api_retries_total`."""
    trace = aiohttp.TraceConfig()

    def route(url: yarl.URL) -> str:
        parts = [p for p in url.path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "api":
            parts = parts[2:] if parts[1].startswith("v") else parts[1:]
        first = parts[0] if parts else ""
        return first if first.isalpha() or "-" in first or "_" in first else "other"

    async def on_end(session: Any, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        status = params.response.status
        metrics.api_call("discord", f"{params.method} {route(params.url)}", status < 400)
        if status == 429:
            metrics.retry("discord", "rate_limited")
        elif status in (500, 502, 503, 504):
            metrics.retry("discord", "server_error")

    async def on_exception(session: Any, ctx: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
        metrics.api_call("discord", f"{params.method} {route(params.url)}", False)

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return trace


def _channel_kind(channel: object) -> str:
    if isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return "dm"
    if isinstance(channel, discord.Thread):
        return "thread"
    return "channel"


def question_text(content: str) -> str:
    """The message without mention and emoji markup."""
    return " ".join(_MARKUP.sub(" ", content).split())


def intents() -> discord.Intents:
    """The defaults, without the privileged message-content intent: Discord
    still delivers the text of messages that mention the bot, and of DMs."""
    value = discord.Intents.default()
    value.message_content = False
    value.typing = False
    value.dm_typing = False
    return value


def quiet_voice() -> None:
    """role-diff never joins voice: no start-up warnings about voice libraries."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def create_bot(
    service: RoleDiff,
    *,
    state_dir: Path,
    guild_id: int | None = None,
    shards: int | str | None = None,
    gateway_url: str | None = None,
    auto_sync: bool = True,
    shard_count: int | None = None,
    shard_ids: tuple[int, ...] | None = None,
    **options: Any,
) -> RoleDiffBot:
    """A RoleDiffBot, or a ShardedRoleDiffBot when `shards` is "auto" or a count,
    or when `shard_count` (and `shard_ids`, this process's share) are given."""
    quiet_voice()
    if shard_count is not None:
        shards = shard_count
    if shards is None:
        return RoleDiffBot(service, state_dir=state_dir, guild_id=guild_id, auto_sync=auto_sync, **options)
    if isinstance(shards, int):
        options["shard_count"] = shards
    if shard_ids is not None:
        options["shard_ids"] = list(shard_ids)
    bot = ShardedRoleDiffBot(service, state_dir=state_dir, guild_id=guild_id, auto_sync=auto_sync, **options)
    if gateway_url and shards == "auto":
        # GET /gateway/bot names the gateway; an explicit DISCORD_GATEWAY_URL wins
        original = bot.http.get_bot_gateway

        async def get_bot_gateway(**kwargs: Any) -> tuple[int, str, Any]:
            count, _url, limits = await original(**kwargs)
            return count, gateway_url, limits

        bot.http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]
    return bot


@contextmanager
def endpoints(api_url: str | None, gateway_url: str | None) -> Iterator[None]:
    """Point discord.py at another REST base and gateway (process-wide), and
    restore the defaults on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        if api_url:
            discord.http.Route.BASE = api_url.rstrip("/")
        if gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
