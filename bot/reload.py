"""Knowledge hot reload: on SIGHUP and when a file under the knowledge
directories changes, rebuild the engine off the event loop and swap it in.

The swap is one attribute assignment (`service.engine = new`), so a question
already being answered finishes on the engine it started with and the next
one gets the new one. A change with problems keeps the last good knowledge
serving; the problems (file and line) go to the process log, to `/healthz`
(the `knowledge` part) and to the `role_diff_knowledge_problems` metric.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import metrics
from .engine import Engine, settle_heap
from .knowledge import Problem, check_knowledge

if TYPE_CHECKING:
    from .runtime import Health
    from .service import RoleDiff

logger = logging.getLogger("role_diff.reload")
DEBOUNCE_MS = 300  # an editor's save is often several writes


def build_engine(dirs: Sequence[Path]) -> tuple[Engine | None, list[Problem]]:
    """The engine for these directories, or None and the problems. Runs in a worker thread."""
    kb, problems = check_knowledge(dirs)
    if problems:
        return None, problems
    return Engine(kb), []


class Reloader:
    def __init__(self, service: RoleDiff, dirs: Sequence[Path], health: Health | None = None) -> None:
        self.service = service
        self.dirs = list(dirs)
        self.health = health
        self._lock = asyncio.Lock()
        self.reloads = 0
        self.failures = 0
        entries = len(service.kb.entries)
        metrics.knowledge_loaded(entries)
        if health is not None:
            health.knowledge.entries = entries

    async def reload(self, reason: str) -> bool:
        """Rebuild and swap; False (and the old engine keeps serving) if the knowledge has problems."""
        async with self._lock:  # one rebuild at a time; a change during one triggers the next
            started = time.perf_counter()
            try:
                engine, problems = await asyncio.to_thread(build_engine, self.dirs)
            except Exception as exc:  # a bug in loading must not take the bot down
                engine, problems = None, [Problem("(knowledge)", 0, f"{type(exc).__name__}: {exc}")]
            if engine is None:
                self.failures += 1
                shown = [str(p) for p in problems]
                logger.warning(
                    "knowledge reload (%s) failed with %d problem(s); still serving the last good knowledge: %s",
                    reason,
                    len(shown),
                    "; ".join(shown[:20]) + (f"; ... {len(shown) - 20} more" if len(shown) > 20 else ""),
                )
                metrics.knowledge_reload(False, len(shown))
                if self.health is not None:
                    k = self.health.knowledge
                    k.ok, k.problems, k.failed_at = False, shown, time.time()
                return False
            self.service.engine = engine  # atomic: in-flight questions keep the engine they read
            settle_heap()
            self.reloads += 1
            entries = len(engine.kb.entries)
            logger.info(
                "knowledge reloaded (%s): %d entries in %.0f ms",
                reason,
                entries,
                (time.perf_counter() - started) * 1000,
            )
            metrics.knowledge_reload(True)
            metrics.knowledge_loaded(entries)
            if self.health is not None:
                k = self.health.knowledge
                k.ok, k.problems, k.failed_at, k.entries, k.loaded_at = True, [], None, entries, time.time()
            return True

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a file under the directories changes, until `stop`."""
        from watchfiles import awatch

        existing = [str(d) for d in self.dirs if d.is_dir()]
        if not existing:
            return
        try:
            async for changes in awatch(*existing, stop_event=stop, debounce=DEBOUNCE_MS, recursive=True):
                names = sorted({Path(path).name for _change, path in changes})
                await self.reload("changed: " + ", ".join(names[:5]) + (" ..." if len(names) > 5 else ""))
        except Exception as exc:  # the watcher failing must not stop the bot; SIGHUP still works
            logger.warning("knowledge watcher stopped (%s: %s); reload with SIGHUP", type(exc).__name__, exc)
