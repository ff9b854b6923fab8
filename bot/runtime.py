"""What a running process shares between its platforms: the stop signal,
health, and the operations endpoints (`/metrics`, `/healthz`, `/readyz`).

Health has two parts:

- live (`/healthz`): every platform reports whether it is connected right
  now; 200 when all are, 503 naming the ones that are not. The knowledge
  status is in the body: a reload that failed keeps the last good knowledge
  serving, so it does not make the process unhealthy, but the body says
  which file and line are wrong.
- ready (`/readyz`): 200 once start-up is done (knowledge loaded, every
  platform connected at least once) until shutdown begins.

aiohttp is imported only when the endpoints are served.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from .reload import Reloader
    from .service import RoleDiff

METRICS_PATH = "/metrics"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


@dataclass
class KnowledgeStatus:
    ok: bool = True
    entries: int = 0
    loaded_at: float = field(default_factory=time.time)
    problems: list[str] = field(default_factory=list)  # of the last failed reload, "file:line: message"
    failed_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "entries": self.entries,
            "loaded_at": _iso(self.loaded_at),
        }
        if not self.ok:
            out["problems"] = self.problems
            out["failed_at"] = _iso(self.failed_at)
            out["serving"] = "the last good knowledge, loaded at " + _iso(self.loaded_at)
        return out


def _iso(at: float | None) -> str:
    if at is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


class Health:
    def __init__(self) -> None:
        self._checks: dict[str, Callable[[], bool]] = {}
        self._started: set[str] = set()
        self.knowledge = KnowledgeStatus()
        self.stopping = False

    def add(self, platform: str, connected: Callable[[], bool]) -> None:
        """A platform's liveness check: True while it is connected."""
        self._checks[platform] = connected

    def started(self, platform: str) -> None:
        """The platform finished starting (counts towards readiness)."""
        self._started.add(platform)

    def connected(self) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for name, check in self._checks.items():
            try:
                out[name] = bool(check())
            except Exception:
                out[name] = False
        return out

    def live(self) -> tuple[bool, dict[str, Any]]:
        platforms = self.connected()
        ok = bool(platforms) and all(platforms.values())
        return ok, {"ok": ok, "platforms": platforms, "knowledge": self.knowledge.as_dict()}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        platforms = self.connected()
        waiting = sorted(set(platforms) - self._started)
        ok = not self.stopping and bool(platforms) and not waiting
        body: dict[str, Any] = {"ok": ok, "platforms": platforms}
        if waiting:
            body["starting"] = waiting
        if self.stopping:
            body["stopping"] = True
        return ok, body


class Runtime:
    """Passed to each platform's serve coroutine."""

    def __init__(self, service: RoleDiff) -> None:
        self.service = service
        self.stop = asyncio.Event()
        self.health = Health()
        self.reloader: Reloader | None = None

    def routes(self) -> list[Any]:
        """The operations routes, to add to a platform's own web app (Slack HTTP)."""
        from aiohttp import web

        return [
            web.get(METRICS_PATH, self._metrics),
            web.get(HEALTH_PATH, self._healthz),
            web.get(READY_PATH, self._readyz),
        ]

    async def _metrics(self, request: web.Request) -> web.Response:
        from aiohttp import web

        from . import metrics

        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _healthz(self, request: web.Request) -> web.Response:
        from aiohttp import web

        ok, body = self.health.live()
        return web.json_response(body, status=200 if ok else 503)

    async def _readyz(self, request: web.Request) -> web.Response:
        from aiohttp import web

        ok, body = self.health.ready()
        return web.json_response(body, status=200 if ok else 503)

    async def serve_ops(self, host: str, port: int) -> tuple[Any, int]:
        """Serve the operations routes alone on host:port; returns (runner, bound port)."""
        from aiohttp import web

        app = web.Application()
        app.add_routes(self.routes())
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        return runner, sockets[0].getsockname()[1] if sockets else port
