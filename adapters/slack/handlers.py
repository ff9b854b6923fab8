"""One handler per kind of Slack request; the service decides every answer.

- `/role-diff [question]`: the answer is the ack itself (ephemeral), with a
  Share button; a reply longer than one message continues via `response_url`.
- `app_mention`: the answer in a thread under the mention (or in the thread
  it was asked in). A `message` event in a DM: the answer in the DM. Both are
  answered once per (channel, ts) and per `event_id` (see `dedupe`).
- Buttons: `rd_show:<entry>` (related, "did you mean"), `rd_fb_up:<entry>` /
  `rd_fb_down:<entry>` (feedback), `rd_share` (post an ephemeral answer in
  the channel, credited to the one who asked). They carry all they need, so
  any replica, or the same one after a restart, can handle them.
- `app_home_opened`: publishes the Home tab.

Listeners only compute and acknowledge; Web API calls and `response_url`
posts run as background tasks, so an ack never waits for Slack. A failed
call is logged as a warning and the bot carries on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot import metrics
from bot.builtins import help_reply, overview_reply, topics_reply
from bot.reply import Reply
from bot.service import Asker, RoleDiff

from . import blocks as bk
from .dedupe import Dedupe, SharedDedupe

logger = logging.getLogger("role_diff.slack")

PLATFORM = "slack"
GONE = "That entry is no longer in my knowledge base. Try *topics* to see what I can answer."
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
HOME_INTRO = (
    "I answer **what is the difference between a data scientist and an ML engineer?** and the questions "
    "around it (skills, tools, pay, the hand-over, MLOps, which role to pick) from a curated knowledge base, "
    "with sources. When I do not know, I say so and suggest what I can answer."
)
# Message subtypes that are still a person asking something; every other subtype
# (edits, deletions, joins, bot messages, ...) is ignored.
_ASKING_SUBTYPES = {None, "thread_broadcast", "file_share"}
_DM = re.compile(r"^D[A-Z0-9]+$")

Ack = Callable[..., Awaitable[Any]]


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        try:
            error = response.get("error")
        except Exception:  # pragma: no cover - a response without a body
            error = None
        status = getattr(response, "status_code", None)
        if error or status:
            return f"{error or 'error'} (HTTP {status})"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def is_asking(event: dict[str, Any]) -> bool:
    """A message a person wrote now: not a bot, not an edit, deletion, join or other subtype."""
    return (
        event.get("subtype") in _ASKING_SUBTYPES
        and not event.get("bot_id")
        and not event.get("bot_profile")
        and not event.get("edited")
        and not event.get("hidden")
        and bool(event.get("user"))
        and isinstance(event.get("text", ""), str)
    )


class SlackBot:
    """The handlers, bound to one service; `register(app)` attaches them to a bolt AsyncApp."""

    def __init__(self, service: RoleDiff, client: Any, *, dedupe: Dedupe | SharedDedupe | None = None) -> None:
        self.service = service
        self.client = client
        if dedupe is None:
            # with the log on, replicas sharing its database answer each event once
            dedupe = SharedDedupe(service.log.claim) if service.log.enabled else Dedupe()
        self.dedupe = dedupe
        self.retry_handlers: list[Any] = list(getattr(client, "retry_handlers", []) or [])
        self.failures = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._home: dict[str, Any] | None = None

    # -- wiring -------------------------------------------------------------------------

    def register(self, app: Any) -> None:
        app.command(re.compile(r"^/.+"))(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.action(re.compile(r"^rd_show:"))(self.on_show)
        app.action(re.compile(r"^rd_fb_(up|down):"))(self.on_feedback)
        app.action(bk.SHARE)(self.on_share)
        # Anything else Slack sends (other events, buttons of an older version): ack, do nothing.
        app.event(re.compile(r".*"))(self.on_other_event)
        app.action(re.compile(r".*"))(self.on_other_action)
        app.error(self.on_error)

    # -- background work ---------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for the background posts still running (shutdown, tests)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=left)

    async def _call(self, what: str, call: Awaitable[Any]) -> Any:
        """Await one Slack call; a failure is logged (one line, no token) and returns None."""
        try:
            result = await call
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.failures += 1
            if what == "response_url":  # Web API calls are counted by the client itself
                metrics.api_call(PLATFORM, what, False)
            logger.warning("slack: %s failed: %s", what, _describe(exc))
            return None
        if what == "response_url":
            metrics.api_call(PLATFORM, what, True)
        return result

    async def _post(self, channel: str, thread_ts: str | None, messages: list[bk.Message]) -> None:
        for message in messages:
            result = await self._call(
                "chat.postMessage",
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                ),
            )
            if result is None:
                return  # the rest would make no sense without the start

    async def _respond(self, url: str | None, payloads: list[dict[str, Any]]) -> bool:
        """Post to a `response_url` (ephemeral answers, follow-ups, replacing a message)."""
        if not url:
            logger.warning("slack: no response_url to answer with")
            return False
        from slack_sdk.webhook.async_client import AsyncWebhookClient

        webhook = AsyncWebhookClient(url, timeout=10, retry_handlers=self.retry_handlers)
        for payload in payloads:
            response = await self._call("response_url", webhook.send_dict(payload))
            if response is None:
                return False
            if response.status_code != 200:
                self.failures += 1
                logger.warning("slack: response_url answered HTTP %s: %s", response.status_code, response.body[:200])
                return False
        return True

    # -- slash command -------------------------------------------------------------------

    async def on_command(self, ack: Ack, body: dict[str, Any]) -> None:
        # Slack never sends one command twice: a repeated trigger_id is a replayed capture
        # (signed, within the 5-minute window). Acknowledge it with nothing; answer and log once.
        trigger = body.get("trigger_id")
        if trigger and not self.dedupe.first(("trigger", str(trigger))):
            logger.info("slack: ignored a repeated slash command (same trigger_id)")
            await ack()
            return
        text = bk.unescape(str(body.get("text") or ""))
        try:
            user = body.get("user_id")
            # follow-ups by the same person in the same channel borrow context
            conversation = f"command:{body.get('channel_id')}:{user}" if user else None
            reply = self.service.ask(text, Asker(PLATFORM, user, "command", conversation))
            share = bk.share_value(reply, text)
            messages = bk.render(reply, echo=reply.question or None, share=share)
        except Exception:
            logger.exception("slack: could not answer a slash command")
            await ack(response_type="ephemeral", text=SORRY)
            return
        first, rest = messages[0], messages[1:]
        await ack({"response_type": "ephemeral", **first.payload()})
        logger.debug("slack: slash command answered (%s %s)", reply.kind, reply.entry_id or "")
        if rest:
            payloads = [{"response_type": "ephemeral", "replace_original": False, **m.payload()} for m in rest]
            self.spawn(self._respond(body.get("response_url"), payloads))

    # -- mentions and DMs ---------------------------------------------------------------

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        await self._answer_event(body, event)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        channel = str(event.get("channel") or "")
        if event.get("channel_type") == "im" or _DM.match(channel):
            await self._answer_event(body, event)
            return
        # Only with message.channels subscribed: a message mentioning the bot is a mention
        # (Slack sends app_mention for it too; dedupe answers it once).
        bot_user = context.get("bot_user_id") if context else None
        if bot_user and f"<@{bot_user}" in str(event.get("text") or ""):
            await self._answer_event(body, event)

    async def _answer_event(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if not is_asking(event):
            return
        channel, ts = event.get("channel"), event.get("ts")
        if not channel or not ts:
            return
        event_id = body.get("event_id")
        if not await self.dedupe.first_async(("event", event_id) if event_id else None, ("message", channel, ts)):
            logger.debug("slack: ignored a repeated delivery")
            return
        in_dm = event.get("channel_type") == "im" or bool(_DM.match(str(channel)))
        thread_ts = event.get("thread_ts")
        kind = "dm" if in_dm else ("thread" if thread_ts else "channel")
        text = bk.unescape(str(event.get("text") or ""))
        try:
            # A thread is one conversation (a channel mention is answered in a
            # thread under it); a DM outside threads is one conversation.
            conversation = f"{channel}:{thread_ts}" if thread_ts else (str(channel) if in_dm else f"{channel}:{ts}")
            reply = self.service.ask(text, Asker(PLATFORM, event.get("user"), kind, conversation))
            messages = bk.render(reply)
        except Exception:
            logger.exception("slack: could not answer a message")
            messages = [bk.Message(SORRY, [bk.section(SORRY)])]
        # In a DM the answer goes right below (in the thread if asked in one); in a channel, in a thread.
        reply_ts = thread_ts if in_dm else (thread_ts or ts)
        self.spawn(self._post(str(channel), reply_ts, messages))

    # -- buttons -------------------------------------------------------------------------

    @staticmethod
    def _user(body: dict[str, Any]) -> str | None:
        user = body.get("user") or {}
        return user.get("id") if isinstance(user, dict) else None

    @staticmethod
    def _in_dm(body: dict[str, Any]) -> bool:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
        return bool(_DM.match(str(channel)))

    async def on_show(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        entry_id = str(action.get("action_id", ""))[len(bk.SHOW) :]
        reply = self.service.show(entry_id)
        url = body.get("response_url")
        if reply is None:
            self.spawn(self._respond(url, [{"response_type": "ephemeral", "replace_original": False, "text": GONE}]))
            return
        if self._in_dm(body):  # a normal message in the DM
            payloads = [
                {"response_type": "in_channel", "replace_original": False, **m.payload()} for m in bk.render(reply)
            ]
        else:  # only the one who clicked sees it, with a Share button
            share = bk.share_value(reply, "")
            payloads = [
                {"response_type": "ephemeral", "replace_original": False, **m.payload()}
                for m in bk.render(reply, share=share)
            ]
        self.spawn(self._respond(url, payloads))

    async def on_feedback(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        action_id = str(action.get("action_id", ""))
        helpful = action_id.startswith(bk.FEEDBACK_UP)
        entry_id = action_id.split(":", 1)[1] if ":" in action_id else ""
        url = body.get("response_url")
        recorded = self.service.feedback(entry_id, helpful, Asker(PLATFORM, self._user(body), None))
        if not recorded:
            self.spawn(self._respond(url, [{"response_type": "ephemeral", "replace_original": False, "text": GONE}]))
            return
        message = body.get("message")
        if isinstance(message, dict) and isinstance(message.get("blocks"), list):
            payload = {
                "replace_original": True,
                "text": message.get("text") or "role-diff",
                "blocks": bk.with_thanks(message["blocks"], helpful),
            }
            self.spawn(self._respond(url, [payload]))
            return
        # An ephemeral answer: Slack does not send its content back, so rebuild it from the button.
        value = str(action.get("value") or "")
        shared_entry, question = bk.parse_share_value(value)
        reply = self.service.show(entry_id)
        if reply is None:  # pragma: no cover - feedback() just found it
            return
        share = value if shared_entry == entry_id else None
        rebuilt = bk.render(reply, echo=question or None, share=share, thanks=helpful)
        payloads = [{"replace_original": True, **rebuilt[0].payload()}]
        self.spawn(self._respond(url, payloads))

    async def on_share(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        entry_id, text = bk.parse_share_value(str(action.get("value") or ""))
        url = body.get("response_url")
        reply: Reply | None
        if entry_id:
            reply = self.service.show(entry_id)
        else:
            # A built-in (help, topics, compare ...): the same reply again, without logging a second question.
            reply = self.service.reply(text, PLATFORM)
        if reply is None:
            self.spawn(self._respond(url, [{"response_type": "ephemeral", "replace_original": False, "text": GONE}]))
            return
        messages = bk.render(reply, echo=(text or None) if entry_id else None, shared_by=self._user(body))
        payloads: list[dict[str, Any]] = [
            {"response_type": "in_channel", "replace_original": False, **m.payload()} for m in messages
        ]
        self.spawn(self._share(url, payloads))

    async def _share(self, url: str | None, payloads: list[dict[str, Any]]) -> None:
        if await self._respond(url, payloads):
            await self._respond(url, [{"delete_original": True}])  # the ephemeral copy is no longer needed

    # -- App Home ------------------------------------------------------------------------

    def home(self) -> dict[str, Any]:
        if self._home is None:
            kb = self.service.kb
            self._home = bk.home_view([overview_reply(kb), help_reply(kb, PLATFORM), topics_reply(kb)], HOME_INTRO)
        return self._home

    async def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        self.spawn(self._publish_home(str(event["user"])))

    async def _publish_home(self, user: str) -> None:
        await self._call("views.publish", self.client.views_publish(user_id=user, view=self.home()))

    # -- the rest --------------------------------------------------------------------------

    async def on_other_event(self, body: dict[str, Any]) -> None:
        logger.debug("slack: ignored event %s", (body.get("event") or {}).get("type"))

    async def on_other_action(self, ack: Ack) -> None:
        await ack()

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("type") or body.get("command") or "request"
        metrics.error(PLATFORM, "handler")
        logger.error("slack: handling a %s failed: %s", kind, _describe(error), exc_info=error)
