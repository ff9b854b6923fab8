"""Metrics counted in the service layer, the interaction log's counts read at
scrape time, health states, and the reloader keeping the last good engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import metrics
from bot.engine import Engine
from bot.knowledge import load_knowledge
from bot.reload import Reloader
from bot.runtime import Health
from bot.service import Asker, RoleDiff
from tests.kbfactory import entry_text, make_kb
from tests.runproc import metric


def scrape() -> str:
    return metrics.exposition()[0].decode()


def test_questions_feedback_and_latency_are_counted_by_the_service(engine: Engine) -> None:
    metrics.enable()
    service = RoleDiff(engine)
    asker = Asker("metrics-test", "U1", "dm")
    before = scrape()
    answered = service.ask("what is mlops", asker)
    service.ask("how do I reset my VPN password", asker)
    service.ask("help", asker)
    assert service.feedback(answered.entry_id or "", True, asker)
    assert service.feedback(answered.entry_id or "", False, asker)
    after = scrape()
    for outcome in ("answered", "declined", "builtin"):
        name, labels = "role_diff_questions_total", {"platform": "metrics-test", "outcome": outcome}
        assert metric(after, name, **labels) == metric(before, name, **labels) + 1
    assert metric(after, "role_diff_answer_seconds_count", platform="metrics-test") == 3
    assert metric(after, "role_diff_answer_seconds_sum", platform="metrics-test") > 0
    assert metric(after, "role_diff_feedback_total", platform="metrics-test", helpful="yes") == 1
    assert metric(after, "role_diff_feedback_total", platform="metrics-test", helpful="no") == 1


class LogWithStats:
    """The interface the interaction log offers from issue 8's log work: `stats()`."""

    def __init__(self, **counts: int) -> None:
        self.counts = counts

    def stats(self) -> dict[str, int]:
        return dict(self.counts)


def test_log_rows_come_from_stats_at_scrape_time() -> None:
    metrics.enable()
    log = LogWithStats(written=7, dropped=1, failed=2, queued=3)
    metrics.watch_log(log)
    text = scrape()
    assert metric(text, "role_diff_log_rows_written_total") >= 7
    assert metric(text, "role_diff_log_rows_queued") >= 3
    before = metric(text, "role_diff_log_rows_written_total")
    log.counts["written"] += 5  # read again at the next scrape, not cached
    assert metric(scrape(), "role_diff_log_rows_written_total") == before + 5
    del log


def test_health_states() -> None:
    health = Health()
    assert health.live()[0] is False and health.ready()[0] is False  # no platform yet
    up = {"a": True, "b": False}
    health.add("a", lambda: up["a"])
    health.add("b", lambda: up["b"])
    ok, body = health.live()
    assert not ok and body["platforms"] == {"a": True, "b": False}
    up["b"] = True
    assert health.live()[0] is True
    health.started("a")
    ok, body = health.ready()
    assert not ok and body["starting"] == ["b"]
    health.started("b")
    assert health.ready()[0] is True
    health.stopping = True
    ok, body = health.ready()
    assert not ok and body["stopping"] is True
    assert health.live()[0] is True  # still live while it stops


async def test_reload_swaps_the_engine_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    metrics.enable()
    kb_dir = make_kb(tmp_path / "kb")
    service = RoleDiff(Engine(load_knowledge([kb_dir])))
    health = Health()
    reloader = Reloader(service, [kb_dir], health)
    first = service.engine
    entry = kb_dir / "entries" / "mlops.md"
    entry.write_text(entry_text("mlops", "mlops").replace("The answer of mlops.", "A new answer."), encoding="utf-8")
    assert await reloader.reload("test") is True
    good = service.engine
    assert good is not first and good.kb.get("mlops").answer == "A new answer."  # type: ignore[union-attr]
    entry.write_text("---\nid: mlops\ntopic: [\n---\nbroken\n", encoding="utf-8")
    assert await reloader.reload("test") is False
    assert service.engine is good  # the last good engine keeps serving
    assert not health.knowledge.ok and any(p.startswith(f"{entry}:") for p in health.knowledge.problems)
    assert metric(scrape(), "role_diff_knowledge_problems") == len(health.knowledge.problems)
    # two changes at once are rebuilt one after the other, never interleaved
    entry.write_text(entry_text("mlops", "mlops"), encoding="utf-8")
    results = await asyncio.gather(reloader.reload("a"), reloader.reload("b"))
    assert results == [True, True] and health.knowledge.ok and reloader.reloads == 3
