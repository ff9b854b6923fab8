"""HTTP mode: an aiohttp server with `POST /slack/events`, `GET /healthz` (and, run
by `role-diff run`, `/readyz` and `/metrics`).

Events, slash commands and interactivity all arrive on `/slack/events`; bolt
verifies each request's signature (`SLACK_SIGNING_SECRET`) and timestamp and
answers 401 otherwise. Nothing in memory is needed to answer a request except
the short-lived dedupe, so any number of replicas can run behind a load
balancer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def build_web_app(app: Any, path: str = EVENTS_PATH, extra_routes: list[Any] | None = None) -> web.Application:
    """`extra_routes` (the process's `/metrics`, `/healthz`, `/readyz`) replace the bare `/healthz`."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024**2)
    web_app.add_routes([web.post(path, events), *(extra_routes or [web.get(HEALTH_PATH, healthz)])])
    return web_app


async def serve(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (to clean up) and the bound port (for port 0)."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
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
