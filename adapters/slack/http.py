"""HTTP mode: an aiohttp server with `POST /slack/events`, `GET /healthz` (and, run
by `role-diff run`, `/readyz` and `/metrics`).

Events, slash commands and interactivity all arrive on `/slack/events`. The
signature (`SLACK_SIGNING_SECRET`) and timestamp are verified on the raw bytes
before anything is parsed (`guard.py`): unsigned, stale or forged requests get
401, signed but malformed ones 400, with at most one short log line per kind
and minute. Only then does bolt see the request. Nothing in memory is needed
to answer a request except the short-lived dedupe, so any number of replicas
can run behind a load balancer.

The server also defends itself (`HttpLimits`): a connection must send a
complete request header within `header_timeout` seconds and the body within
`body_timeout`; an idle keep-alive connection is closed after `idle_timeout`;
at most `max_connections` are open at once (by default well under the
process's file-descriptor limit, so `/healthz` keeps answering); and running
out of descriptors anyway is logged once per interval, not once per accept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot.clikit import describe
from bot.settings import SettingsError
from bot.throttle import Throttle

from .guard import Refusal, check_body, check_headers, check_signature

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1024**2
ACCEPT_FAILED = "socket.accept() out of system resource"

logger = logging.getLogger("role_diff.slack")


def _default_max_connections() -> int:
    """Leave 64 descriptors for everything else (log database, Web API calls, files)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 1000
    return max(16, min(1000, soft - 64))


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 15.0  # a new connection must send a complete request header within this
    idle_timeout: float = 15.0  # keep-alive: close a connection idle (or half a header in) this long
    body_timeout: float = 10.0  # the body, once the header is in
    max_connections: int = 0  # 0: from the file-descriptor limit (`ulimit -n` minus 64, at most 1000)
    log_interval: float = 60.0  # at most one line per kind of trouble in this many seconds

    @property
    def connection_cap(self) -> int:
        return self.max_connections or _default_max_connections()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HttpLimits:
        """`SLACK_HTTP_TIMEOUT` (seconds; header, idle and body) and `SLACK_HTTP_MAX_CONNECTIONS`."""
        env = os.environ if environ is None else environ
        timeout = env.get("SLACK_HTTP_TIMEOUT", "").strip()
        cap = env.get("SLACK_HTTP_MAX_CONNECTIONS", "").strip()
        limits = cls()
        if timeout:
            try:
                seconds = float(timeout)
            except ValueError:
                seconds = -1.0
            if not 0.1 <= seconds <= 3600:
                raise SettingsError("SLACK_HTTP_TIMEOUT", f"must be seconds between 0.1 and 3600, got {timeout!r}")
            limits = cls(header_timeout=seconds, idle_timeout=seconds, body_timeout=seconds)
        if cap:
            if not cap.isdigit() or not 1 <= int(cap) <= 1_000_000:
                raise SettingsError("SLACK_HTTP_MAX_CONNECTIONS", f"must be a whole number from 1, got {cap!r}")
            limits = cls(limits.header_timeout, limits.idle_timeout, limits.body_timeout, int(cap))
        return limits


LIMITS = web.AppKey("role_diff_http_limits", HttpLimits)
THROTTLE = web.AppKey("role_diff_http_throttle", Throttle)


def build_web_app(
    app: Any,
    path: str = EVENTS_PATH,
    *,
    signing_secret: str | None = None,
    limits: HttpLimits | None = None,
    extra_routes: list[Any] | None = None,
) -> web.Application:
    """The aiohttp application around a bolt AsyncApp (whose signing secret is used unless given).

    `extra_routes` (the process's `/metrics`, `/healthz`, `/readyz`) replace the bare `/healthz`."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response
    from slack_bolt.request.async_request import AsyncBoltRequest

    secret = signing_secret or getattr(app, "_signing_secret", "")
    if not secret:
        raise ValueError("HTTP mode needs the signing secret")
    limits = limits or HttpLimits()
    throttle = Throttle(logger, limits.log_interval)

    def refuse(refusal: Refusal, level: int = logging.INFO, *, close: bool = False) -> web.Response:
        throttle.log(
            level, refusal.reason, "slack: refused a request to %s with %d: %s", path, refusal.status, refusal.reason
        )
        response = web.Response(status=refusal.status, text=refusal.reason)
        if close:  # the body was not read to its end: the connection cannot carry another request
            response.force_close()
        return response

    async def events(request: web.Request) -> web.Response:
        refusal = check_headers(request.headers)
        if refusal is not None:  # refused before reading a byte of the body
            return refuse(refusal, close=request.content_length != 0)
        try:
            async with asyncio.timeout(limits.body_timeout):
                body = await request.read()
        except TimeoutError:
            return refuse(Refusal(408, f"the body did not arrive within {limits.body_timeout:g} s"), close=True)
        except web.HTTPException:
            raise  # 413 for a body over the limit: aiohttp answers it
        except Exception as exc:  # the client went away mid-body, a broken chunked encoding ...
            return refuse(Refusal(400, f"could not read the body ({type(exc).__name__})"), close=True)
        refusal = check_signature(secret, request.headers, body)
        if refusal is not None:
            return refuse(refusal)
        text, refusal = check_body(body, request.content_type)
        if refusal is not None:
            return refuse(refusal, logging.WARNING)
        try:
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        except Exception as exc:  # a signed body bolt cannot make sense of
            return refuse(Refusal(400, f"bolt cannot read this request ({type(exc).__name__})"), logging.WARNING)
        try:
            bolt_response = await app.async_dispatch(bolt_request)
        except Exception as exc:  # bolt failed on a signed request (even its error handler did)
            return refuse(Refusal(400, f"bolt could not handle this request ({type(exc).__name__})"), logging.WARNING)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[LIMITS] = limits
    web_app[THROTTLE] = throttle
    web_app.add_routes([web.post(path, events), *(extra_routes or [web.get(HEALTH_PATH, healthz)])])
    return web_app


class _GuardedServer(web.Server):
    """aiohttp's low-level server with a connection cap and a request-header deadline."""

    def __init__(self, *args: Any, limits: HttpLimits, throttle: Throttle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.cap = limits.connection_cap
        self.throttle = throttle
        self.refused = 0  # new connections closed at once: at the cap, none idle
        self.evicted = 0  # idle connections closed to make room for a new one
        self.timed_out = 0  # closed for sending no complete request header in time
        self._deadlines: dict[RequestHandler, asyncio.TimerHandle] = {}
        self._live: set[RequestHandler] = set()  # open connections
        self._closing: set[RequestHandler] = set()  # closed by us, the close not yet complete
        factory = self.request_factory

        def request_factory(message: Any, payload: Any, protocol: RequestHandler, writer: Any, task: Any) -> Any:
            # A complete request header arrived: the header deadline no longer applies
            # (aiohttp's keep-alive timeout takes over after the response).
            timer = self._deadlines.pop(protocol, None)
            if timer is not None:
                timer.cancel()
            return factory(message, payload, protocol, writer, task)

        self.request_factory = request_factory

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        if len(self._live) - len(self._closing) >= self.cap:
            # Full: make room by closing the oldest connection still waiting for its request
            # header (idle or trickling: what an attacker holds open); if every connection is
            # busy with a request, refuse the new one.
            self.throttle.log(
                logging.WARNING,
                "cap",
                "slack: %d connections open, the cap: closing the oldest idle one, or the new one if none "
                "is idle (raise SLACK_HTTP_MAX_CONNECTIONS and `ulimit -n`, or run more replicas)",
                self.cap,
            )
            oldest = next(iter(self._deadlines), None)
            if oldest is None:
                self.refused += 1
                transport.abort()
                return
            self.evicted += 1
            self._close(oldest)
        super().connection_made(handler, transport)
        self._live.add(handler)
        loop = asyncio.get_running_loop()
        self._deadlines[handler] = loop.call_later(self.limits.header_timeout, self._expire, handler)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        timer = self._deadlines.pop(handler, None)
        if timer is not None:
            timer.cancel()
        self._closing.discard(handler)
        self._live.discard(handler)
        super().connection_lost(handler, exc)

    def _expire(self, handler: RequestHandler) -> None:
        if handler not in self._deadlines:
            return
        self.timed_out += 1
        self.throttle.log(
            logging.INFO,
            "header-timeout",
            "slack: closed a connection that sent no complete request within %g s",
            self.limits.header_timeout,
        )
        self._close(handler)

    def _close(self, handler: RequestHandler) -> None:
        timer = self._deadlines.pop(handler, None)
        if timer is not None:
            timer.cancel()
        if handler in self._live:
            self._closing.add(handler)
        handler.force_close()


class _GuardedRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        app = self.app
        return _GuardedServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            limits=app[LIMITS],
            throttle=app[THROTTLE],
            **server._kwargs,
        )


def _stale_accept_retry(context: dict[str, Any]) -> bool:
    """An exception from asyncio's `_start_serving` retry on a socket already
    closed ("Invalid file descriptor: -1")."""
    exc = context.get("exception")
    handle = context.get("handle")
    callback = getattr(handle, "_callback", None)
    return (
        isinstance(exc, ValueError)
        and "file descriptor" in str(exc)
        and getattr(callback, "__name__", "") == "_start_serving"
    )


def _guard_accept(loop: asyncio.AbstractEventLoop, throttle: Throttle) -> None:
    """Out of file descriptors, asyncio reports every failed accept (thousands a second):
    say it once per interval instead. Other reports go where they went before."""
    previous = loop.get_exception_handler()
    if getattr(previous, "role_diff_accept_guard", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == ACCEPT_FAILED:
            exc = context.get("exception")
            throttle.log(
                logging.WARNING,
                "accept",
                "slack: cannot accept connections: %s (out of file descriptors; asyncio retries each second: "
                "raise `ulimit -n` or lower SLACK_HTTP_MAX_CONNECTIONS)",
                describe(exc) if isinstance(exc, BaseException) else "out of resources",
            )
            return
        if _stale_accept_retry(context):
            # asyncio's accept retry (scheduled once a second while out of
            # descriptors, sometimes twice: CPython issue 151615) fired after
            # the server closed its socket: nothing is lost, the server is gone.
            logger.debug("slack: an accept retry ran after the server stopped; ignored")
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.role_diff_accept_guard = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


async def serve(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (to clean up) and the bound port (for port 0)."""
    limits = web_app.get(LIMITS) or HttpLimits()
    web_app.setdefault(LIMITS, limits)
    web_app.setdefault(THROTTLE, Throttle(logger, limits.log_interval))
    # lingering_time: after answering a request whose body was not read to its end (408, 413),
    # aiohttp drains the rest for this long before closing (its default is 10 s).
    runner = _GuardedRunner(
        web_app, access_log=None, keepalive_timeout=limits.idle_timeout, lingering_time=min(1.0, limits.body_timeout)
    )
    await runner.setup()
    _guard_accept(asyncio.get_running_loop(), web_app[THROTTLE])
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = port
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or []
    if sockets:
        bound = sockets[0].getsockname()[1]
    return runner, bound


def guarded_server(runner: web.AppRunner) -> _GuardedServer | None:
    """The running server's counters (refused over the cap, closed for a late header), for tests."""
    server = runner.server
    return server if isinstance(server, _GuardedServer) else None
