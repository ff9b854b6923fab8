"""Loading and validating the knowledge base.

Entries are Markdown files with YAML front matter (see knowledge/README.md).
Every problem is reported with the file and line it is on, and all problems
are collected rather than stopping at the first, so one `role-diff validate`
run shows a curator everything to fix.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .text import question_key

TOPICS: tuple[str, ...] = (
    "difference",
    "data-scientist",
    "ml-engineer",
    "day-to-day",
    "working-together",
    "example",
    "skills",
    "tools",
    "education",
    "salary",
    "demand",
    "switching",
    "choosing",
    "job-titles",
    "team-structure",
    "mlops",
    "deployment",
    "data-pipelines",
    "production-code",
    "analogy",
    "other-roles",
    "about",
)

MAX_ANSWER_CHARS = 1200
MAX_TITLE_CHARS = 120
MAX_QUESTION_CHARS = 300
MAX_CELL_CHARS = 300
MAX_SHORT_CHARS = 40
MIN_QUESTIONS = 6
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENTRY_FIELDS = {"id", "topic", "title", "questions", "keywords", "sources", "related"}
REQUIRED_ENTRY_FIELDS = ("id", "topic", "title", "questions", "sources", "related")
ENV_KNOWLEDGE = "ROLE_DIFF_KNOWLEDGE"
MAX_ENTRY_BYTES = 64 * 1024  # an entry is a few KB; anything bigger is not one
MAX_DATA_BYTES = 1024 * 1024  # sources.yaml, compare.yaml
# Control characters have no place in knowledge text (tab and line breaks aside): a NUL or an
# escape sequence would reach chat messages and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
PLACEHOLDER_MARK = "TODO(role-diff)"  # the placeholder answer of `role-diff new`


def shipped_knowledge_dir() -> Path:
    """The knowledge that comes with role-diff: next to the package in a
    source checkout, inside it when installed from a wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "knowledge", here.parent / "knowledge"):
        if (candidate / "entries").is_dir():
            return candidate
    return here.parent / "knowledge"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line > 0 else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    author: str
    date: str | None = None
    kind: str = ""
    short: str = ""  # how answers name it inline ("Jones"); see short_name()

    def short_name(self) -> str:
        """The name inline citations show: `short` from sources.yaml, else the
        author's surname, else the title's last part ("A: B" gives B)."""
        if self.short:
            return self.short
        author = re.sub(r"\s*\(.*?\)", "", self.author).strip()
        if author and author != "unknown":
            return author.split()[-1]
        return self.title.rsplit(":", 1)[-1].strip().strip("\"'") or self.key

    def credit(self) -> str:
        who = self.author if self.author and self.author != "unknown" else "author unknown"
        when = f", {self.date}" if self.date else ""
        return f"{who}, {self.title}{when}"


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    related: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "topic": self.topic,
            "title": self.title,
            "questions": list(self.questions),
            "answer": self.answer,
            "sources": list(self.sources),
            "related": list(self.related),
        }


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    data_scientist: str
    ml_engineer: str
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    sources: dict[str, Source]
    dimensions: tuple[Dimension, ...]
    by_id: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_id:
            object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)


class KnowledgeError(Exception):
    """The knowledge could not be loaded; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- YAML with line numbers ------------------------------------------------


@functools.cache
def _line_loader() -> type:
    """A SafeLoader that remembers the line of every mapping key and list item.

    Built on first use, so a start-up served from the engine cache never
    imports PyYAML. libyaml's C parser when PyYAML was built with it (about
    20x faster on the shipped knowledge); the pure-Python one otherwise. Both
    give node marks."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def construct_mapping(loader: Any, node: Any) -> dict[str, Any]:
        mapping = loader.construct_mapping(node, deep=True)
        lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, str):
                lines[key] = key_node.start_mark.line
                if isinstance(value_node, yaml.SequenceNode):
                    lines[f"{key}[]"] = [item.start_mark.line for item in value_node.value]
        mapping["__lines__"] = lines
        return mapping

    loader = type("_LineLoader", (base,), {})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return loader


def _yaml_load(text: str, path: str, line_offset: int, problems: list[Problem]) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_line_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = (mark.line if mark else 0) + line_offset + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(path, line, f"invalid YAML: {problem}"))
        return None


def _line(data: dict[str, Any], key: str, offset: int, default: int) -> int:
    lines = data.get("__lines__", {}) if isinstance(data, dict) else {}
    value = lines.get(key)
    return value + offset + 1 if isinstance(value, int) else default


def _item_line(data: dict[str, Any], key: str, index: int, offset: int, default: int) -> int:
    lines = data.get("__lines__", {}).get(f"{key}[]", []) if isinstance(data, dict) else []
    return lines[index] + offset + 1 if index < len(lines) else default


def _first_line(item: dict[str, Any]) -> int:
    """The file line (1-based) where a YAML mapping starts."""
    lines = [v for v in item.get("__lines__", {}).values() if isinstance(v, int)]
    return min(lines, default=0) + 1


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere; or a symlink loop (RuntimeError before 3.13)
        return str(path)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_knowledge_file(path: Path, shown: str, problems: list[Problem], max_bytes: int) -> str | None:
    """The text of a knowledge file, or None with the reason added to `problems`.

    Only regular files are read (a symlink to one is fine): a symlink loop, a
    dangling link, a FIFO (which would block forever), a device (`/dev/zero`
    never ends), a directory, or a file over `max_bytes` is a problem with
    its path, and nothing more is read than `max_bytes`."""
    try:
        info = os.stat(path)  # follows links; ELOOP for a loop
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(Problem(shown, 0, "a symlink loop: make it point at a regular file"))
        elif exc.errno == errno.ENOENT:
            problems.append(Problem(shown, 0, "a symlink to a file that does not exist"))
        else:
            problems.append(Problem(shown, 0, f"cannot read: {exc.strerror or exc}"))
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append(Problem(shown, 0, f"{_kind(info.st_mode)}, not a regular file: only regular files are read"))
        return None
    if info.st_size > max_bytes:
        problems.append(Problem(shown, 0, f"{info.st_size:,} bytes; the limit is {max_bytes:,}"))
        return None
    try:
        # O_NONBLOCK: if a FIFO replaced the file since the stat, opening it must not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot read: {exc.strerror or exc}"))
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            problems.append(Problem(shown, 0, "not a regular file: only regular files are read"))
            return None
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        problems.append(Problem(shown, 0, f"over {max_bytes:,} bytes; the limit is {max_bytes:,}"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None


def _control_problems(text: str, shown: str, problems: list[Problem]) -> bool:
    """Report control characters (NUL, escape, ...) with their lines; True if any."""
    found = 0
    for number, line in enumerate(text.split("\n"), start=1):
        m = _CONTROL.search(line.rstrip("\r"))
        if m:
            found += 1
            if found <= 5:
                code = ord(m.group())
                problems.append(Problem(shown, number, f"control character U+{code:04X} in the text: remove it"))
    if found > 5:
        problems.append(Problem(shown, 0, f"control characters on {found - 5} more line(s)"))
    return found > 0


# --- entries ----------------------------------------------------------------


def _string_list(
    data: dict[str, Any], key: str, path: str, offset: int, problems: list[Problem], required: bool
) -> tuple[str, ...]:
    line = _line(data, key, offset, 1)
    value = data.get(key)
    if value is None:
        if required:
            problems.append(Problem(path, line, f"'{key}' must be a list"))
        return ()
    if isinstance(value, str) and key in {"sources", "related", "keywords"}:
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem(path, line, f"'{key}' must be a list, not {type(value).__name__}"))
        return ()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.append(
                Problem(path, _item_line(data, key, i, offset, line), f"'{key}' item {i + 1} must be non-empty text")
            )
            continue
        out.append(item.strip())
    return tuple(out)


def parse_entry(path: Path, problems: list[Problem]) -> tuple[Entry, dict[str, Any], int] | None:
    """Parse one entry file. Returns the entry, its raw front matter (with
    line info) and the front-matter line offset, or None if unusable."""
    parsed = _parse_entry(path, problems)
    if parsed is None or not parsed[3]:
        return None
    return parsed[0], parsed[1], parsed[2]


def _parse_entry(path: Path, problems: list[Problem]) -> tuple[Entry, dict[str, Any], int, bool] | None:
    """Like `parse_entry`, but an entry with problems in its fields still comes back (with
    False: not to be loaded), so the checks across entries (source keys, related ids) run on
    it too and one `validate` shows every problem of an entry at once. None only when there
    is no front matter to speak of."""
    shown = _display(path)
    raw = read_knowledge_file(path, shown, problems, MAX_ENTRY_BYTES)
    if raw is None:
        return None
    before = len(problems)
    _control_problems(raw, shown, problems)
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(shown, 1, "an entry must start with '---' (YAML front matter)"))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        problems.append(Problem(shown, 1, "the front matter is not closed by a '---' line"))
        return None
    offset = 1  # front matter starts on file line 2
    data = _yaml_load("\n".join(lines[1:end]), shown, offset, problems)
    if data is None and not any(p.path == shown for p in problems):
        problems.append(Problem(shown, 2, "the front matter is empty"))
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(Problem(shown, 2, "the front matter must be a mapping of fields"))
        return None
    for key in data:
        if key != "__lines__" and key not in ENTRY_FIELDS:
            problems.append(
                Problem(
                    shown,
                    _line(data, key, offset, 2),
                    f"unknown field '{key}' (known: {', '.join(sorted(ENTRY_FIELDS))})",
                )
            )
    for key in REQUIRED_ENTRY_FIELDS:
        if key not in data:
            problems.append(Problem(shown, 2, f"missing field '{key}'"))

    entry_id = data.get("id")
    if "id" in data:
        if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
            problems.append(
                Problem(shown, _line(data, "id", offset, 2), f"'id' must be lowercase-with-dashes, got {entry_id!r}")
            )
        elif entry_id != path.stem:
            problems.append(
                Problem(
                    shown, _line(data, "id", offset, 2), f"'id' is {entry_id!r} but the file is named {path.name!r}"
                )
            )
    topic = data.get("topic")
    if "topic" in data and topic not in TOPICS:
        problems.append(Problem(shown, _line(data, "topic", offset, 2), f"unknown topic {topic!r}"))
    title = data.get("title")
    if "title" in data:
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(shown, _line(data, "title", offset, 2), "'title' must be non-empty text"))
        elif len(title) > MAX_TITLE_CHARS:
            problems.append(
                Problem(shown, _line(data, "title", offset, 2), f"'title' is over {MAX_TITLE_CHARS} characters")
            )
    questions = _string_list(data, "questions", shown, offset, problems, "questions" in data)
    if "questions" in data and len(questions) < MIN_QUESTIONS:
        problems.append(
            Problem(
                shown,
                _line(data, "questions", offset, 2),
                f"'questions' needs at least {MIN_QUESTIONS} phrasings, has {len(questions)}",
            )
        )
    for i, q in enumerate(questions):
        if len(q) > MAX_QUESTION_CHARS:
            problems.append(
                Problem(
                    shown,
                    _item_line(data, "questions", i, offset, 2),
                    f"question {i + 1} is over {MAX_QUESTION_CHARS} characters",
                )
            )
    sources = _string_list(data, "sources", shown, offset, problems, "sources" in data)
    if "sources" in data and not sources:
        problems.append(Problem(shown, _line(data, "sources", offset, 2), "'sources' must name at least one source"))
    related = _string_list(data, "related", shown, offset, problems, "related" in data)
    keywords = _string_list(data, "keywords", shown, offset, problems, False)

    answer = "\n".join(lines[end + 1 :]).strip()
    if not answer:
        problems.append(Problem(shown, end + 1, "the answer (the text after the front matter) is empty"))
    elif len(answer) > MAX_ANSWER_CHARS:
        problems.append(
            Problem(shown, end + 2, f"the answer is {len(answer)} characters; the limit is {MAX_ANSWER_CHARS}")
        )
    if PLACEHOLDER_MARK in answer:
        problems.append(Problem(shown, end + 2, f"the answer is still the {PLACEHOLDER_MARK} placeholder: write it"))
    valid = len(problems) == before and isinstance(entry_id, str)
    entry = Entry(
        id=entry_id if isinstance(entry_id, str) and entry_id else path.stem,
        topic=str(topic),
        title=str(title).strip(),
        questions=questions,
        answer=answer,
        sources=sources,
        related=related,
        keywords=keywords,
        path=shown,
    )
    return entry, data, offset, valid


def _entry_files(directory: Path) -> list[Path]:
    """The `*.md` names in `entries/` (or the directory itself): whatever they are, a
    regular file or not, `read_knowledge_file` decides and reports."""
    entries = directory / "entries"
    base = entries if entries.is_dir() else directory
    try:
        names = sorted(e.name for e in os.scandir(base))
    except OSError:
        return []
    return [base / n for n in names if n.endswith(".md") and n.lower() != "readme.md"]


# --- sources and comparison table ---------------------------------------------


def load_sources(path: Path, problems: list[Problem]) -> dict[str, Source]:
    shown = _display(path)
    text = read_knowledge_file(path, shown, problems, MAX_DATA_BYTES)
    if text is None:
        return {}
    if _control_problems(text, shown, problems):
        return {}
    data = _yaml_load(text, shown, 0, problems)
    if data is None:
        return {}
    if not isinstance(data, list):
        problems.append(Problem(shown, 1, "the sources file must be a list of sources"))
        return {}
    out: dict[str, Source] = {}
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(Problem(shown, 1, f"source {i + 1} must be a mapping"))
            continue
        line = _first_line(item)
        key, title = item.get("key"), item.get("title")
        if not isinstance(key, str) or not key:
            problems.append(Problem(shown, line, f"source {i + 1} has no 'key'"))
            continue
        if not isinstance(title, str) or not title:
            problems.append(Problem(shown, line, f"source {key!r} has no 'title'"))
            continue
        if key in out:
            problems.append(Problem(shown, line, f"duplicate source key {key!r}"))
        short = item.get("short")
        if short is not None:
            short_line = _line(item, "short", 0, line)
            if not isinstance(short, str) or not short.strip():
                problems.append(Problem(shown, short_line, f"source {key!r}: 'short' must be non-empty text"))
                short = None
            elif len(short) > MAX_SHORT_CHARS or any(c in short for c in "(),\n"):
                problems.append(
                    Problem(
                        shown,
                        short_line,
                        f"source {key!r}: 'short' must be at most {MAX_SHORT_CHARS} characters, "
                        "without brackets or commas (it is shown inside citations such as '(A, B)')",
                    )
                )
                short = None
            else:
                short = short.strip()
                clash = next((s.key for s in out.values() if s.short.casefold() == short.casefold()), None)
                if clash is not None and clash != key:
                    problems.append(
                        Problem(shown, short_line, f"source {key!r}: short name {short!r} is also {clash!r}'s")
                    )
        date = item.get("date")
        out[key] = Source(
            key=key,
            title=title,
            author=str(item.get("author") or "unknown"),
            date=str(date) if date else None,
            kind=str(item.get("kind") or ""),
            short=short or "",
        )
    return out


def load_dimensions(path: Path, problems: list[Problem]) -> list[tuple[Dimension, int]]:
    shown = _display(path)
    text = read_knowledge_file(path, shown, problems, MAX_DATA_BYTES)
    if text is None:
        return []
    if _control_problems(text, shown, problems):
        return []
    data = _yaml_load(text, shown, 0, problems)
    if data is None:
        return []
    dims = data.get("dimensions") if isinstance(data, dict) else None
    if not isinstance(dims, list):
        problems.append(Problem(shown, 1, "the comparison table needs a 'dimensions' list"))
        return []
    out: list[tuple[Dimension, int]] = []
    for i, item in enumerate(dims):
        if not isinstance(item, dict):
            problems.append(Problem(shown, 1, f"dimension {i + 1} must be a mapping"))
            continue
        line = _first_line(item)
        bad = False
        for key in ("id", "name", "data_scientist", "ml_engineer"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(shown, _line(item, key, 0, line), f"dimension {i + 1}: '{key}' must be text"))
                bad = True
            elif key in ("data_scientist", "ml_engineer") and len(value) > MAX_CELL_CHARS:
                problems.append(
                    Problem(
                        shown,
                        _line(item, key, 0, line),
                        f"dimension {item.get('id')!r}: '{key}' is over {MAX_CELL_CHARS} characters",
                    )
                )
        sources = item.get("sources") or []
        aliases = item.get("aliases") or []
        if not isinstance(sources, list) or not isinstance(aliases, list):
            problems.append(Problem(shown, line, f"dimension {i + 1}: 'sources' and 'aliases' must be lists"))
            bad = True
        if bad:
            continue
        dim = Dimension(
            id=item["id"].strip(),
            name=item["name"].strip(),
            data_scientist=item["data_scientist"].strip(),
            ml_engineer=item["ml_engineer"].strip(),
            sources=tuple(str(s) for s in sources),
            aliases=tuple(str(a) for a in aliases),
        )
        out.append((dim, _line(item, "sources", 0, line)))
    return out


# --- the whole knowledge base --------------------------------------------------


def knowledge_dirs_from_env(environ: dict[str, str] | None = None) -> list[Path]:
    value = (environ if environ is not None else os.environ).get(ENV_KNOWLEDGE, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def check_knowledge(dirs: Iterable[Path], *, require_topics: bool = True) -> tuple[KnowledgeBase, list[Problem]]:
    """Load the given knowledge directories in order (later ones add to and
    override earlier ones) and return the knowledge base and every problem."""
    problems: list[Problem] = []
    sources: dict[str, Source] = {}
    dimensions: dict[str, tuple[Dimension, int, str]] = {}
    entries: dict[str, tuple[Entry, dict[str, Any], int]] = {}
    invalid: dict[str, tuple[Entry, dict[str, Any], int]] = {}  # checked across entries, not loaded
    dir_list = list(dirs)
    for directory in dir_list:
        shown_dir = _display(directory)
        if not directory.is_dir():
            problems.append(Problem(shown_dir, 0, "not a directory"))
            continue
        # lexists: a link loop, a FIFO or a device under these names is reported, not skipped
        if os.path.lexists(directory / "sources.yaml"):
            sources.update(load_sources(directory / "sources.yaml", problems))
        if os.path.lexists(directory / "compare.yaml"):
            for dim, line in load_dimensions(directory / "compare.yaml", problems):
                dimensions[dim.id] = (dim, line, _display(directory / "compare.yaml"))
        seen_here: dict[str, str] = {}
        files = _entry_files(directory)
        if not files:
            problems.append(Problem(shown_dir, 0, "no entries (*.md files) found"))
        for path in files:
            parsed_all = _parse_entry(path, problems)
            if parsed_all is None:
                continue
            entry, data, offset, valid = parsed_all
            parsed = (entry, data, offset)
            if not valid:
                invalid[entry.path] = parsed
                continue
            if entry.id in seen_here:
                problems.append(
                    Problem(
                        entry.path,
                        _line(parsed[1], "id", 1, 2),
                        f"duplicate id {entry.id!r} (also in {seen_here[entry.id]})",
                    )
                )
                continue
            seen_here[entry.id] = entry.path
            entries[entry.id] = parsed  # a later directory replaces an earlier entry

    # Cross-entry checks on the merged result.
    phrasing_owner: dict[str, tuple[str, str, int]] = {}
    known_ids = set(entries) | {e.id for e, _, _ in invalid.values()}
    for entry, data, offset in [*entries.values(), *invalid.values()]:
        for i, src in enumerate(entry.sources):
            if src not in sources:
                problems.append(
                    Problem(entry.path, _item_line(data, "sources", i, offset, 2), f"unknown source key {src!r}")
                )
        for i, rel in enumerate(entry.related):
            if rel == entry.id:
                problems.append(
                    Problem(
                        entry.path, _item_line(data, "related", i, offset, 2), "an entry cannot be related to itself"
                    )
                )
            elif rel not in known_ids:
                problems.append(
                    Problem(entry.path, _item_line(data, "related", i, offset, 2), f"related id {rel!r} does not exist")
                )
        for i, q in enumerate(entry.questions):
            key = question_key(q)
            line = _item_line(data, "questions", i, offset, 2)
            owner = phrasing_owner.get(key)
            if owner and owner[0] != entry.id:
                problems.append(
                    Problem(
                        entry.path,
                        line,
                        f"question {q!r} is also claimed by entry {owner[0]!r} ({owner[1]}:{owner[2]})",
                    )
                )
            elif owner is None:
                phrasing_owner[key] = (entry.id, entry.path, line)
    for dim, line, shown in dimensions.values():
        for src in dim.sources:
            if src not in sources:
                problems.append(Problem(shown, line, f"dimension {dim.id!r}: unknown source key {src!r}"))
    if require_topics and dir_list:
        covered = {e.topic for e, _, _ in [*entries.values(), *invalid.values()]}
        where = _display(dir_list[0])
        for topic in TOPICS:
            if topic not in covered:
                problems.append(Problem(where, 0, f"required topic {topic!r} has no entry"))
        if not dimensions:
            problems.append(Problem(where, 0, "no comparison table (compare.yaml) found"))
        if not sources:
            problems.append(Problem(where, 0, "no sources file (sources.yaml) found"))

    kb = KnowledgeBase(
        entries=tuple(e for e, _, _ in entries.values()),
        sources=sources,
        dimensions=tuple(d for d, _, _ in dimensions.values()),
    )
    return kb, problems


def default_dirs(extra: Iterable[Path] = (), environ: dict[str, str] | None = None) -> list[Path]:
    return [shipped_knowledge_dir(), *knowledge_dirs_from_env(environ), *extra]


def load_knowledge(dirs: Iterable[Path] | None = None) -> KnowledgeBase:
    """Load and validate; raise KnowledgeError listing every problem."""
    kb, problems = check_knowledge(default_dirs() if dirs is None else dirs)
    if problems:
        raise KnowledgeError(problems)
    return kb


def raw_front_matter(data: dict[str, Any]) -> dict[str, Any]:
    """The front matter without the line bookkeeping (for tools and tests)."""
    return _strip_lines(data)
