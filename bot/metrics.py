"""Prometheus metrics, counted in the service layer (platform-neutral).

Off until `enable()` (the servers started by `role-diff run` enable them);
until then every function here is a no-op and `prometheus_client` is not even
imported, so `role-diff ask` pays nothing. Names:

| metric | type | labels |
| --- | --- | --- |
| `role_diff_questions_total` | counter | platform, outcome (answered, declined, builtin) |
| `role_diff_answer_seconds` | histogram | platform |
| `role_diff_feedback_total` | counter | platform, helpful (yes, no) |
| `role_diff_platform_api_calls_total` | counter | platform, method, result (ok, error) |
| `role_diff_platform_api_retries_total` | counter | platform, reason |
| `role_diff_errors_total` | counter | platform, where |
| `role_diff_log_rows_written_total`, `..._dropped_total`, `..._failed_total` | counter | (none) |
| `role_diff_log_rows_queued` | gauge | (none) |
| `role_diff_knowledge_entries` | gauge | (none) |
| `role_diff_knowledge_reloads_total` | counter | result (ok, failed) |
| `role_diff_knowledge_problems` | gauge | problems found by the last reload (0 once one succeeds) |
| `role_diff_platform_connected` | gauge | platform (1 connected, 0 not) |
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

_lock = threading.Lock()
_m: _Metrics | None = None

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LOG_COUNTERS = ("written", "dropped", "failed")


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

        disable_created_metrics()  # no `_created` series beside every counter: half the scrape, no use here

        self.registry = CollectorRegistry()
        r = self.registry
        self.questions = Counter(
            "role_diff_questions", "Questions by platform and outcome", ["platform", "outcome"], registry=r
        )
        self.latency = Histogram(
            "role_diff_answer_seconds",
            "Time to compute an answer (engine and built-ins), by platform",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.feedback = Counter(
            "role_diff_feedback", "Feedback on answers by helpfulness", ["platform", "helpful"], registry=r
        )
        self.api_calls = Counter(
            "role_diff_platform_api_calls",
            "Calls to a chat platform's API by method and result",
            ["platform", "method", "result"],
            registry=r,
        )
        self.retries = Counter(
            "role_diff_platform_api_retries", "Retried platform API calls by reason", ["platform", "reason"], registry=r
        )
        self.errors = Counter(
            "role_diff_errors",
            "Errors handled without crashing, by platform and where",
            ["platform", "where"],
            registry=r,
        )
        self.entries = Gauge("role_diff_knowledge_entries", "Knowledge entries serving now", registry=r)
        self.reloads = Counter("role_diff_knowledge_reloads", "Knowledge reloads by result", ["result"], registry=r)
        self.problems = Gauge(
            "role_diff_knowledge_problems", "Problems found by the last knowledge reload (0 once one loads)", registry=r
        )
        self.logs: weakref.WeakSet[Any] = weakref.WeakSet()
        self.connected: dict[str, Callable[[], dict[str, bool]]] = {}
        r.register(_Collector(self))


class _Collector:
    """Reads the interaction log's counts and the platforms' connection state at scrape time."""

    def __init__(self, m: _Metrics) -> None:
        self.m = m

    def describe(self) -> list[Any]:
        return []  # collected lazily: the families depend on what the log reports

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        totals: dict[str, int] = {}
        for log in list(self.m.logs):
            for key, value in log_stats(log).items():
                totals[key] = totals.get(key, 0) + value
        for key in LOG_COUNTERS:
            if key in totals:
                yield CounterMetricFamily(f"role_diff_log_rows_{key}", f"Interaction log rows {key}", value=totals[key])
        if "queued" in totals:
            yield GaugeMetricFamily("role_diff_log_rows_queued", "Interaction log rows waiting", value=totals["queued"])
        up = GaugeMetricFamily("role_diff_platform_connected", "1 while the platform is connected", labels=["platform"])
        for source in list(self.m.connected.values()):
            for platform, ok in source().items():
                up.add_metric([platform], 1.0 if ok else 0.0)
        yield up


def log_stats(log: Any) -> dict[str, int]:
    """`log.stats()` when the log has it; otherwise what it counts today (failures)."""
    stats = getattr(log, "stats", None)
    if callable(stats):
        try:
            return {k: int(v) for k, v in stats().items()}
        except Exception:
            return {}
    if not getattr(log, "enabled", False):
        return {}
    failures = getattr(log, "failures", None)
    return {"failed": int(failures)} if isinstance(failures, int) else {}


def enable() -> None:
    global _m
    with _lock:
        if _m is None:
            _m = _Metrics()


def enabled() -> bool:
    return _m is not None


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    enable()
    assert _m is not None
    return generate_latest(_m.registry), CONTENT_TYPE_LATEST


# -- counting (no-ops while disabled) ------------------------------------------------


def question(platform: str, outcome: str, seconds: float) -> None:
    if _m is not None:
        _m.questions.labels(platform, outcome).inc()
        _m.latency.labels(platform).observe(seconds)


def feedback(platform: str, helpful: bool) -> None:
    if _m is not None:
        _m.feedback.labels(platform, "yes" if helpful else "no").inc()


def api_call(platform: str, method: str, ok: bool) -> None:
    if _m is not None:
        _m.api_calls.labels(platform, method, "ok" if ok else "error").inc()


def retry(platform: str, reason: str) -> None:
    if _m is not None:
        _m.retries.labels(platform, reason).inc()


def error(platform: str, where: str) -> None:
    if _m is not None:
        _m.errors.labels(platform, where).inc()


def knowledge_loaded(entries: int) -> None:
    if _m is not None:
        _m.entries.set(entries)


def knowledge_reload(ok: bool, problems: int = 0) -> None:
    if _m is not None:
        _m.reloads.labels("ok" if ok else "failed").inc()
        _m.problems.set(0 if ok else problems)


def watch_log(log: Any) -> None:
    """Export this interaction log's row counts (read at scrape time)."""
    if _m is not None:
        _m.logs.add(log)


def watch_connections(name: str, source: Callable[[], dict[str, bool]]) -> None:
    if _m is not None:
        _m.connected[name] = source
