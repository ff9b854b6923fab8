"""Collect log records from named loggers during a test; fail on any ERROR."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def collect_logs(*names: str) -> Iterator[list[logging.LogRecord]]:
    """Every record from the loggers `names` (at DEBUG); after the block,
    an assertion error listing any record at ERROR or above."""
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    errors = [f"{r.name}: {r.getMessage()}" for r in handler.records if r.levelno >= logging.ERROR]
    assert not errors, "ERROR logged during the test:\n" + "\n".join(errors)
