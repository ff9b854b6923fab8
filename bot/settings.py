"""Settings from the environment (and an optional `.env` file).

Every problem names the variable, so a misconfigured deployment says exactly
what to fix. Secrets are never part of an error message or a log line.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

logger = logging.getLogger("role_diff.settings")


class SettingsError(Exception):
    """A setting is missing or malformed. The message names the variable."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {message}")


def load_dotenv(path: Path | None = None, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Read a `.env` file (python-dotenv's rules: quoting, `export`, multi-line
    values, `${VAR}` expansion) into the environment without overriding what is
    already set. Returns the names it set (never the values).

    Like ssh with a private key, it warns (one line, never the values) when
    other users may read the file, since it usually holds tokens."""
    from dotenv import dotenv_values

    env = os.environ if environ is None else environ
    path = path or Path.cwd() / ".env"
    if not path.is_file():
        return []
    warn_if_exposed(path)
    set_names: list[str] = []
    for key, value in dotenv_values(path, encoding="utf-8").items():
        if value is None:  # a bare `KEY` line with no `=`: nothing to set
            continue
        if key not in env:
            env[key] = value
            set_names.append(key)
    return set_names


def warn_if_exposed(path: Path) -> bool:
    """Log one warning if group or others may read or write `path` (POSIX)."""
    if os.name != "posix":
        return False
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return False
    if not mode & 0o077:
        return False
    logger.warning("%s is open to other users (mode %04o) and may hold secrets: run chmod 600 %s", path, mode, path)
    return True


def env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, f"must be on or off (got {value!r})")


def default_database_url() -> str:
    from platformdirs import user_data_dir

    return "sqlite:///" + str(Path(user_data_dir("role-diff", appauthor=False)) / "interactions.sqlite3")


_DURATION = re.compile(r"\s*(\d+)\s*([mhdw])\s*")


def parse_duration(text: str) -> timedelta | None:
    """`30m`, `12h`, `90d`, `2w` as a timedelta; None if malformed."""
    m = _DURATION.fullmatch(text)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


def _retention(env: Mapping[str, str]) -> timedelta | None:
    value = env.get("ROLE_DIFF_LOG_RETENTION", "").strip()
    if not value or value.lower() in {"off", "forever", "0"}:
        return None
    found = parse_duration(value)
    if found is None or not found:
        raise SettingsError(
            "ROLE_DIFF_LOG_RETENTION", f"must be a duration such as 90d, 12w or 24h, or off (got {value!r})"
        )
    return found


def _flush_timeout(env: Mapping[str, str]) -> float:
    value = env.get("ROLE_DIFF_LOG_FLUSH_TIMEOUT", "").strip()
    if not value:
        return 3.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 600:
        raise SettingsError("ROLE_DIFF_LOG_FLUSH_TIMEOUT", f"must be a number of seconds from 0 to 600 (got {value!r})")
    return seconds


@dataclass(frozen=True)
class CoreSettings:
    log_enabled: bool
    database_url: str
    hash_salt: str | None
    log_retention: timedelta | None = None
    log_flush_timeout: float = 3.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CoreSettings:
        env = os.environ if environ is None else environ
        enabled = env_flag(env, "ROLE_DIFF_LOG", True)
        url = env.get("ROLE_DIFF_DATABASE_URL", "").strip()
        if url and "://" not in url:
            raise SettingsError("ROLE_DIFF_DATABASE_URL", "must be a database URL such as sqlite:///path/to/file.db")
        return cls(
            log_enabled=enabled,
            database_url=url or (default_database_url() if enabled else ""),
            hash_salt=env.get("ROLE_DIFF_HASH_SALT") or None,
            log_retention=_retention(env),
            log_flush_timeout=_flush_timeout(env),
        )


def require_token(environ: Mapping[str, str], name: str, prefix: str | None = None, hint: str = "") -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(name, f"is not set{hint}")
    if prefix and not value.startswith(prefix):
        raise SettingsError(name, f"must start with {prefix!r} (the value given does not){hint}")
    if any(c.isspace() for c in value):
        raise SettingsError(name, "must not contain spaces or line breaks")
    return value


def optional_url(environ: Mapping[str, str], name: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        raise SettingsError(name, f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return value


def check_knowledge_setting(environ: Mapping[str, str] | None = None) -> None:
    """ROLE_DIFF_KNOWLEDGE must name existing directories: a typo there is a
    bad setting (one line, exit 2), not a knowledge problem."""
    env = os.environ if environ is None else environ
    value = env.get("ROLE_DIFF_KNOWLEDGE", "")
    for part in value.split(os.pathsep):
        if not part.strip():
            continue
        path = Path(part).expanduser()
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            raise SettingsError(
                "ROLE_DIFF_KNOWLEDGE",
                f"{part} {what} (set it to knowledge directories, separated by '{os.pathsep}', or unset it)",
            )
