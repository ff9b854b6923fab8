"""Chat platforms, found through the `role_diff.adapters` entry-point group.

Each adapter package registers itself in its distribution's metadata:

    [project.entry-points."role_diff.adapters"]
    teams = "role_diff_teams:adapter"

where `adapter` is an `Adapter` instance. The core never imports an adapter
by name: `role-diff run NAME` and the platform helper commands look it up
here. Loading an adapter must not import its chat SDK (the SDK is imported
only when the platform actually runs), so listing platforms stays cheap and
`bot/` stays free of chat SDKs.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .reply import Reply
    from .runtime import Runtime
    from .service import RoleDiff

GROUP = "role_diff.adapters"
logger = logging.getLogger("role_diff")

# What `Adapter.prepare` returns: a coroutine function that runs the platform
# until `runtime.stop` is set and returns an exit code (0 after a clean stop;
# non-zero after printing one line saying why it could not start).
Serve = Callable[["RoleDiff", "Runtime"], Awaitable[int]]


@dataclass(frozen=True)
class RunOptions:
    """Command-line options of `role-diff run` that platforms may use."""

    http: bool = False
    host: str = "127.0.0.1"
    port: int = 3000


class Adapter:
    """One chat platform. Subclasses set `name` and override what they support."""

    name: str = ""
    description: str = ""
    # Environment variables whose presence means "this platform is configured":
    # `role-diff run` with no platform runs every platform that has all of them.
    token_vars: tuple[str, ...] = ()
    # False for platforms that own the terminal (the console): they run alone.
    multi: bool = True

    def configured(self, environ: Mapping[str, str]) -> bool:
        return bool(self.token_vars) and all(environ.get(v, "").strip() for v in self.token_vars)

    def prepare(self, options: RunOptions, environ: Mapping[str, str]) -> Serve:
        """Read and check the platform's settings (raise `SettingsError` naming
        the variable) without importing the SDK; return what runs it."""
        raise NotImplementedError(f"{self.name} cannot run as a server")

    def add_commands(self, subparsers: Any) -> None:
        """Add helper commands (`role-diff NAME ...`) to the CLI; optional.
        A command sets `handler` (a callable taking the parsed args, returning
        an exit code) with `set_defaults`."""

    # The console only: the terminal chat and printing one reply.
    def chat(self, service: RoleDiff) -> int:
        raise NotImplementedError(f"{self.name} has no terminal chat")

    def print_reply(self, reply: Reply) -> None:
        raise NotImplementedError(f"{self.name} cannot print a reply")


class UnknownPlatform(Exception):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        shown = ", ".join(known) or "none"
        super().__init__(f"unknown platform {name!r} (installed: {shown})")


_cache: dict[str, Adapter] | None = None


def adapters() -> dict[str, Adapter]:
    """Every installed adapter by name (loaded once). An entry point that fails
    to load is skipped with a warning naming it, not a crash."""
    global _cache
    if _cache is None:
        found: dict[str, Adapter] = {}
        for ep in _entry_points():
            if ep.name in found:
                continue  # the first installed distribution wins, like console scripts
            try:
                obj = ep.load()
            except Exception as exc:
                logger.warning(
                    "platform %r (%s) could not be loaded: %s: %s", ep.name, ep.value, type(exc).__name__, exc
                )
                continue
            if not isinstance(obj, Adapter):
                logger.warning("platform %r (%s) is not a role-diff Adapter; ignored", ep.name, ep.value)
                continue
            found[ep.name] = obj
        _cache = dict(sorted(found.items()))
    return _cache


@dataclass(frozen=True)
class _EntryPoint:
    name: str
    value: str  # "module:attribute"

    def load(self) -> Any:
        import importlib

        module, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        for part in attr.strip().split(".") if attr.strip() else ():
            obj = getattr(obj, part)
        return obj


def _entry_points() -> list[_EntryPoint]:
    """The group's entry points, in sys.path order.

    Reads `*.dist-info/entry_points.txt` (and `*.egg-info`) in the sys.path
    directories directly: `importlib.metadata` costs 30-80 ms of imports at
    start-up, which `role-diff ask` would pay for printing one answer. Falls
    back to it when sys.path holds an archive (a zip or egg file) it cannot
    read that way."""
    import configparser
    import os

    found: list[_EntryPoint] = []
    seen: set[str] = set()  # distributions, normalised: the first on sys.path wins, as in importlib.metadata
    for entry in sys.path:
        where = entry or "."
        if not os.path.isdir(where):
            if os.path.exists(where):
                return _entry_points_from_metadata()
            continue
        try:
            names = sorted(os.listdir(where))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = re.sub(r"[-_.]+", "-", name.rsplit(".", 1)[0].split("-")[0]).lower()
            path = os.path.join(where, name, "entry_points.txt")
            if dist in seen or not os.path.isfile(path):
                seen.add(dist)
                continue
            seen.add(dist)
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep names' case
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, OSError, UnicodeDecodeError):
                continue
            if parser.has_section(GROUP):
                found.extend(_EntryPoint(k.strip(), v.split("[", 1)[0].strip()) for k, v in parser.items(GROUP))
    return found


def _entry_points_from_metadata() -> list[_EntryPoint]:
    from importlib.metadata import entry_points

    return [_EntryPoint(ep.name, ep.value) for ep in entry_points(group=GROUP)]


def get(name: str) -> Adapter:
    found = adapters()
    if name not in found:
        raise UnknownPlatform(name, list(found))
    return found[name]


def choose(environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The platforms `role-diff run` runs when none is named, and why.

    `ROLE_DIFF_PLATFORMS` (comma- or space-separated) if set; else every
    multi-platform adapter whose tokens are set. An empty list means none is
    configured."""
    from .settings import SettingsError

    found = adapters()
    raw = environ.get("ROLE_DIFF_PLATFORMS", "").strip()
    if raw:
        names = [n for n in raw.replace(",", " ").split() if n]
        for n in names:
            if n not in found:
                raise SettingsError(
                    "ROLE_DIFF_PLATFORMS", f"unknown platform {n!r} (installed: {', '.join(found) or 'none'})"
                )
        if "console" in names and len(names) > 1:
            raise SettingsError("ROLE_DIFF_PLATFORMS", "console runs alone (it owns the terminal)")
        return list(dict.fromkeys(names)), "from ROLE_DIFF_PLATFORMS"
    names = [name for name, a in found.items() if a.multi and a.configured(environ)]
    tokens = [v for n in names for v in found[n].token_vars]
    return names, ("tokens set: " + ", ".join(tokens)) if names else "no platform tokens set"


def token_hint() -> str:
    """Which variables configure which platform, for messages."""
    return "; ".join(f"{' + '.join(a.token_vars)} for {n}" for n, a in adapters().items() if a.token_vars)


def add_platform_commands(subparsers: Any) -> None:
    """Each adapter's helper commands (`role-diff slack manifest`, ...). Nested
    parsers should use `parser_class=type(parent)` so usage errors stay one line."""
    for adapter in adapters().values():
        adapter.add_commands(subparsers)
