"""Building the bolt AsyncApp: the Web API client (with retries) and the handlers.

The same app serves Socket Mode and HTTP (`http.py`). It is async, so one
asyncio process can run Slack next to other platforms.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.service import RoleDiff

from .handlers import SlackBot
from .settings import SlackSettings

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

RETRIES = 2  # per kind of failure, on top of the first attempt
TIMEOUT = 10  # seconds per Web API call


def retry_handlers() -> list[Any]:
    """slack_sdk's async retry handlers: rate limits (429, honouring Retry-After),
    connection errors, and server errors (any 5xx)."""
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
        AsyncServerErrorRetryHandler,
    )

    class AnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
        async def _can_retry_async(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
            return response is not None and 500 <= response.status_code <= 599

    return [
        _counted(AsyncConnectionErrorRetryHandler, "connection_error")(max_retry_count=RETRIES),
        _counted(AsyncRateLimitErrorRetryHandler, "rate_limited")(max_retry_count=RETRIES),
        _counted(AnyServerErrorRetryHandler, "server_error")(max_retry_count=RETRIES),
    ]


def _counted(handler_class: type[Any], reason: str) -> type[Any]:
    """The retry handler, counting each retry in `role_diff_platform_api_retries_total`."""

    class Counted(handler_class):  # type: ignore[misc,valid-type]
        async def prepare_for_next_attempt_async(self, **kwargs: Any) -> None:
            metrics.retry("slack", reason)
            await super().prepare_for_next_attempt_async(**kwargs)

    Counted.__name__ = handler_class.__name__
    return Counted


def make_client(settings: SlackSettings) -> AsyncWebClient:
    from slack_sdk.web.async_client import AsyncWebClient

    class CountingWebClient(AsyncWebClient):
        """Counts each Web API call in `role_diff_platform_api_calls_total{platform="slack"}`."""

        async def api_call(self, api_method: str, **kwargs: Any) -> Any:
            try:
                response = await super().api_call(api_method, **kwargs)
            except BaseException:
                metrics.api_call("slack", api_method, False)
                raise
            metrics.api_call("slack", api_method, True)
            return response

    return CountingWebClient(
        token=settings.bot_token,
        base_url=settings.base_url,
        timeout=TIMEOUT,
        retry_handlers=retry_handlers(),
    )


class _NoTokenWarning(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the
    client we pass wins; that is intended, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_NO_TOKEN_WARNING = _NoTokenWarning()


class _QuietUnhandled(logging.Filter):
    """bolt warns about every request no listener handles, with a multi-line code suggestion.
    A new kind of event, or signed junk, would repeat it per request: keep its first line,
    once a minute."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("Unhandled request"):
            return True
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        record.msg, record.args = message.splitlines()[0] + " (said once a minute)", None
        return True


_QUIET_UNHANDLED = _QuietUnhandled()


def create_bot(
    service: RoleDiff, settings: SlackSettings, client: AsyncWebClient | None = None
) -> tuple[AsyncApp, SlackBot]:
    """The bolt app with role-diff's handlers, and the handlers' object (to drain background posts)."""
    from slack_bolt.async_app import AsyncApp

    client = client or make_client(settings)
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_NO_TOKEN_WARNING)  # adding the same filter twice is a no-op
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_QUIET_UNHANDLED)
    http = settings.signing_secret is not None
    app = AsyncApp(
        client=client,
        # Socket Mode requests are not signed; HTTP ones always are (bolt answers 401 otherwise).
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=http,
        # Listeners only compute and ack (Web API calls run in background tasks), so running
        # them before answering costs nothing and spares bolt's 10 ms polling for the ack.
        process_before_response=True,
        name="role-diff",
    )
    bot = SlackBot(service, client)
    bot.register(app)
    return app, bot


def build_app(service: RoleDiff, settings: SlackSettings, client: AsyncWebClient | None = None) -> AsyncApp:
    return create_bot(service, settings, client)[0]
