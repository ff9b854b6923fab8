"""A start-up cache of the loaded knowledge and its engine index.

Loading the knowledge (parsing and validating some forty YAML/Markdown files)
and building the engine's index take most of a fresh `role-diff ask`. The
built `Engine` (which holds the knowledge) is pickled to the user cache
directory under a key made of:

- the content and path of every knowledge file that would be read,
- the source of every module in the `bot` package (any code change,
  including to the engine or its thresholds, gives a new key),
- the Python version and the working directory (entries remember their
  paths relative to it).

Writes go to a temporary file in the same directory, then `os.replace`, so
two processes racing leave one whole file. A cache file that cannot be read
or unpickled is ignored (counted in `STATS`, logged at debug) and the
knowledge is loaded normally; failing to write one is likewise only logged.
The cache never changes what is loaded: on a miss it is `Engine(load_knowledge(dirs))`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .engine import Engine
from .knowledge import _entry_files, default_dirs, load_knowledge

logger = logging.getLogger("role_diff.cache")

FORMAT = b"role-diff engine cache 1\n"
KEEP = 8  # cache files kept; older ones (other knowledge or code versions) are removed
STATS: Counter[str] = Counter()  # hit, miss, unreadable, unwritable


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("role-diff", appauthor=False))


def _package_sources() -> list[Path]:
    here = Path(__file__).resolve().parent
    return sorted(here.glob("*.py"))


def _knowledge_files(directory: Path) -> list[Path]:
    files = [directory / "sources.yaml", directory / "compare.yaml", *_entry_files(directory)]
    return [f for f in files if f.is_file()]


def cache_key(dirs: Iterable[Path]) -> str:
    """The key for loading `dirs` with this code. Raises OSError if a file
    cannot be read (the caller then loads without the cache)."""
    h = hashlib.sha256()
    h.update(FORMAT)
    h.update(f"{sys.version}\0{Path.cwd()}\0".encode())
    for path in _package_sources():
        h.update(f"code {path.name}\0".encode())
        h.update(path.read_bytes())
    for directory in dirs:
        resolved = directory.resolve()
        h.update(f"dir {resolved} {resolved.is_dir()}\0".encode())
        if not resolved.is_dir():
            continue
        for path in _knowledge_files(resolved):
            data = path.read_bytes()
            h.update(f"file {path.relative_to(resolved)} {len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def _read(path: Path) -> Engine | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        STATS["unreadable"] += 1
        logger.debug("engine cache %s unreadable (%s): loading the knowledge", path, exc)
        return None
    try:
        if not data.startswith(FORMAT):
            raise ValueError("not a role-diff engine cache")
        engine = pickle.loads(data[len(FORMAT) :])
        if not isinstance(engine, Engine):
            raise TypeError(f"holds a {type(engine).__name__}, not an Engine")
        return engine
    except Exception as exc:  # corrupt, truncated, or from another version of a class
        STATS["unreadable"] += 1
        logger.debug("engine cache %s unusable (%s: %s): loading the knowledge", path, type(exc).__name__, exc)
        return None


def _write(directory: Path, path: Path, engine: Engine) -> None:
    tmp_name = None
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = FORMAT + pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp_name = tempfile.mkstemp(prefix=".engine-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp_name, path)  # atomic: a racing reader sees the old file or the whole new one
        tmp_name = None
        _prune(directory, keep=path)
    except Exception as exc:
        STATS["unwritable"] += 1
        logger.debug("engine cache %s not written (%s: %s)", path, type(exc).__name__, exc)
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _prune(directory: Path, keep: Path) -> None:
    files = sorted(directory.glob("engine-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        if old != keep:
            old.unlink(missing_ok=True)


def load_engine(dirs: Iterable[Path] | None = None, *, directory: Path | None = None) -> Engine:
    """The engine for `dirs` (default: shipped + ROLE_DIFF_KNOWLEDGE), from
    the cache when its key matches, else built and cached. Raises
    KnowledgeError exactly as `load_knowledge` does (nothing is cached then)."""
    dir_list = list(default_dirs() if dirs is None else dirs)
    try:
        key = cache_key(dir_list)
        where = directory or cache_dir()
    except Exception as exc:  # an unreadable knowledge file: the loader reports it properly
        logger.debug("engine cache skipped (%s: %s)", type(exc).__name__, exc)
        return Engine(load_knowledge(dir_list))
    path = where / f"engine-{key[:32]}.pickle"
    engine = _read(path)
    if engine is not None:
        STATS["hit"] += 1
        return engine
    STATS["miss"] += 1
    engine = Engine(load_knowledge(dir_list))
    _write(where, path, engine)
    return engine
