"""The process log: plain text (default) or one JSON object per line
(`ROLE_DIFF_LOG_FORMAT=json`, for log shippers), on stderr.

Secrets never reach it: every line, whichever format, goes through a filter
that replaces the value of each secret setting in the environment (tokens,
the signing secret, the hash salt, a database password) with `[redacted]`,
also inside tracebacks and the SDKs' own messages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from .settings import SettingsError

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
_SECRET_NAME = re.compile(r"TOKEN|SECRET|SALT|PASSWORD|PASSWD|API_KEY|PRIVATE", re.IGNORECASE)
_URL_NAMES = ("ROLE_DIFF_DATABASE_URL", "DATABASE_URL")
MIN_SECRET = 6  # shorter values would redact ordinary words


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values to keep out of the log: every variable whose name says secret,
    and the password in a database URL. Longest first (so a value containing
    another is replaced whole)."""
    values: set[str] = set()
    for name, value in environ.items():
        value = value.strip()
        if _SECRET_NAME.search(name) and len(value) >= MIN_SECRET:
            values.add(value)
    for name in _URL_NAMES:
        url = environ.get(name, "").strip()
        if "://" in url:
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password and len(password) >= MIN_SECRET:
                values.update({password, unquote(password)})
    return sorted(values, key=len, reverse=True)


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One object per line: time (UTC, ISO 8601), level, logger, message, and
    exception (the formatted traceback) when there is one."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info:
            out["exception"] = self.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            out["exception"] = self.redact(record.exc_text)
        return json.dumps(out, ensure_ascii=False)


def log_format(environ: Mapping[str, str]) -> str:
    value = environ.get("ROLE_DIFF_LOG_FORMAT", "").strip().lower() or "text"
    if value not in FORMATS:
        raise SettingsError("ROLE_DIFF_LOG_FORMAT", f"must be text or json (got {value[:20]!r})")
    return value


_handler: logging.Handler | None = None


def json_enabled() -> bool:
    return _handler is not None and isinstance(_handler.formatter, JsonFormatter)


def failure_line(prog: str, message: str) -> str:
    """The one-line failure (`role-diff: ...`), as a JSON log object when the log is JSON, redacted either way."""
    formatter = _handler.formatter if _handler is not None else None
    if isinstance(formatter, JsonFormatter):
        record = logging.LogRecord(prog.replace("-", "_"), logging.ERROR, "", 0, message, None, None)
        return formatter.format(record)
    if isinstance(formatter, TextFormatter):
        return formatter.redact(f"{prog}: {message}")
    return f"{prog}: {message}"


def configure(environ: Mapping[str, str] | None = None, level: int = logging.WARNING) -> None:
    """Install the stderr handler on the root logger (again: replaces the previous one)."""
    global _handler
    root = logging.getLogger()
    if _handler is None and root.handlers:
        return  # someone (a test runner, an embedding program) already set up logging: like basicConfig
    env = os.environ if environ is None else environ
    redact = Redactor(secret_values(env))
    try:
        fmt = log_format(env)
    except SettingsError:
        fmt = "text"  # the CLI reports the bad value; the log still works meanwhile
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level)
    _handler = handler
