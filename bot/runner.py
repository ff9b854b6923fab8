"""`role-diff run [PLATFORM...]`: one asyncio process, one engine, one log,
any set of platforms.

Every platform's settings are checked before anything starts (a bad one is
one line naming the variable, exit 2). Then each platform runs as a task
beside the operations endpoints (`ROLE_DIFF_HTTP_PORT`) and the knowledge
watcher. SIGTERM/SIGINT stops them all; SIGHUP reloads the knowledge. If one
platform cannot start or stops by itself, the others are stopped too and the
exit code is non-zero, so a supervisor restarts the whole process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import metrics, platforms
from .clikit import fail
from .settings import SettingsError

if TYPE_CHECKING:
    from .platforms import RunOptions, Serve
    from .runtime import Runtime
    from .service import RoleDiff

logger = logging.getLogger("role_diff")
STOP_GRACE = 8.0  # seconds each platform gets to stop before it is cancelled


@dataclass(frozen=True)
class OpsAddress:
    host: str
    port: int


def ops_address(environ: Mapping[str, str]) -> OpsAddress | None:
    """ROLE_DIFF_HTTP_PORT: PORT (all interfaces) or HOST:PORT; unset: no endpoints."""
    name = "ROLE_DIFF_HTTP_PORT"
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    host, _, port_text = raw.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise SettingsError(name, f"must be a port (e.g. 9100) or HOST:PORT (e.g. 127.0.0.1:9100), got {raw[:40]!r}")
    return OpsAddress(host, int(port_text))


def run(names: list[str], options: RunOptions, log_enabled: bool | None = None, why: str | None = None) -> int:
    """Run `names` until SIGTERM/SIGINT; `why` (they were not named) is logged with them."""
    from .service import RoleDiff
    from .settings import CoreSettings

    environ = os.environ
    prepared: list[tuple[str, Serve]] = []
    for name in names:
        prepared.append((name, platforms.get(name).prepare(options, environ)))
    ops = ops_address(environ)
    core = CoreSettings.from_env()
    logging.getLogger("role_diff").setLevel(logging.INFO)  # the SDKs' own loggers stay at WARNING
    if why is not None:
        logger.info("running %s (%s)", ", ".join(names), why)
    service = RoleDiff.from_settings(core, log_enabled=log_enabled)
    service.open_log()  # create or upgrade the log's database before serving, not on the first question
    from .engine import settle_heap

    settle_heap()  # the index out of the garbage collector's full passes
    metrics.enable()
    metrics.watch_log(service.log)
    try:
        return asyncio.run(serve(prepared, service, ops))
    finally:
        service.close()


async def serve(prepared: list[tuple[str, Serve]], service: RoleDiff, ops: OpsAddress | None) -> int:
    from .knowledge import default_dirs
    from .reload import Reloader
    from .runtime import Runtime

    runtime = Runtime(service)
    metrics.watch_connections("health", runtime.health.connected)
    reloader = Reloader(service, default_dirs(), runtime.health)
    runtime.reloader = reloader
    loop = asyncio.get_running_loop()
    background: set[asyncio.Task[object]] = set()

    def reload_now() -> None:
        task = loop.create_task(reloader.reload("SIGHUP"))
        background.add(task)
        task.add_done_callback(background.discard)

    def stop() -> None:
        runtime.health.stopping = True
        runtime.stop.set()

    for sig, handler in ((signal.SIGINT, stop), (signal.SIGTERM, stop), (signal.SIGHUP, reload_now)):
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):  # pragma: no cover - Windows
            loop.add_signal_handler(sig, handler)

    ops_runner = None
    if ops is not None:
        try:
            ops_runner, bound = await runtime.serve_ops(ops.host, ops.port)
        except OSError as exc:
            return fail(f"ROLE_DIFF_HTTP_PORT: cannot listen on {ops.host}:{ops.port}: {exc.strerror or exc}")
        logger.info("serving /metrics, /healthz and /readyz on http://%s:%d", ops.host, bound)

    watcher = loop.create_task(reloader.watch(runtime.stop))
    tasks = {loop.create_task(run_one(serve_fn, service, runtime), name=name): name for name, serve_fn in prepared}
    code = 0
    try:
        stopper = loop.create_task(runtime.stop.wait())
        done, _ = await asyncio.wait({*tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task in tasks:
                result = task.result()
                if result == 0 and not runtime.stop.is_set():
                    logger.warning("%s stopped by itself: stopping the other platforms", tasks[task])
                    result = 1
                code = max(code, result)
        stop()
        pending = [t for t in tasks if not t.done()]
        if pending:
            finished, late = await asyncio.wait(pending, timeout=STOP_GRACE)
            for task in finished:
                code = max(code, task.result())
            for task in late:
                logger.warning("%s did not stop within %.0f s; cancelled", tasks[task], STOP_GRACE)
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)
        stopper.cancel()
    finally:
        runtime.stop.set()
        for task in (watcher, *background):
            task.cancel()
        await asyncio.gather(watcher, *background, return_exceptions=True)
        if ops_runner is not None:
            await ops_runner.cleanup()
    return code


async def run_one(serve_fn: Serve, service: RoleDiff, runtime: Runtime) -> int:
    try:
        return await serve_fn(service, runtime)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("a platform failed")
        return 1
