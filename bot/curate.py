"""From a gap to an entry: `role-diff new` and `role-diff add-phrasing`.

Both edit knowledge files as text, so a curator's formatting and comments
stay as they were, then validate the result; `add-phrasing` puts the file
back when what it wrote does not validate.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from .knowledge import (
    ID_PATTERN,
    MAX_QUESTION_CHARS,
    MAX_TITLE_CHARS,
    MIN_QUESTIONS,
    PLACEHOLDER_MARK,
    Entry,
    KnowledgeBase,
    Problem,
    _entry_files,
    check_knowledge,
    default_dirs,
    knowledge_dirs_from_env,
    shipped_knowledge_dir,
)
from .text import question_key


class CurateError(Exception):
    """What the curator asked cannot be done; the message says why."""


@dataclass(frozen=True)
class Written:
    path: Path
    phrasings: tuple[str, ...]
    skipped: tuple[str, ...]  # why some questions were left out
    problems: tuple[Problem, ...]  # validation problems in the written file (the to-do list)
    elsewhere: int  # validation problems in other files


def target_dir(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    if explicit is not None:
        if not explicit.is_dir():
            raise CurateError(f"{explicit} is not a directory")
        return explicit
    dirs = knowledge_dirs_from_env(dict(os.environ if environ is None else environ))
    if not dirs:
        raise CurateError(
            "where should the entry go? Set ROLE_DIFF_KNOWLEDGE to your knowledge directory "
            "or pass --dir DIR (--dir knowledge in a role-diff checkout)"
        )
    if not dirs[0].is_dir():
        raise CurateError(f"{dirs[0]} (the first of ROLE_DIFF_KNOWLEDGE) is not a directory")
    return dirs[0]


def _entries_dir(directory: Path) -> Path:
    """Where the loader reads entries: DIR/entries/ if it exists, else DIR itself
    when it holds entries, else a new DIR/entries/."""
    if (directory / "entries").is_dir():
        return directory / "entries"
    if _entry_files(directory):
        return directory
    return directory / "entries"


def _dirs_with(directory: Path) -> list[Path]:
    dirs = default_dirs()
    if not any(d.resolve() == directory.resolve() for d in dirs):
        dirs.append(directory)
    return dirs


def _find_file(entry_id: str, dirs: Sequence[Path]) -> Path | None:
    """The file that defines an entry (a later directory overrides an earlier one)."""
    found = None
    for d in dirs:
        for path in _entry_files(d) if d.is_dir() else []:
            if path.stem == entry_id:
                found = path
    return found


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _validate(path: Path, dirs: Sequence[Path]) -> tuple[KnowledgeBase, tuple[Problem, ...], int]:
    kb, problems = check_knowledge(dirs)
    mine = tuple(p for p in problems if Path(p.path).resolve() == path.resolve())
    return kb, mine, len(problems) - len(mine)


def new_entry(
    entry_id: str,
    questions: Sequence[str],
    directory: Path,
    *,
    cluster: int,
    closest: Entry | None,
    kb: KnowledgeBase,
    now: datetime | None = None,
) -> Written:
    """Write DIR/entries/ENTRY_ID.md with `questions` as its phrasings and a
    placeholder answer that `validate` rejects until it is written."""
    if not ID_PATTERN.match(entry_id):
        raise CurateError(f"{entry_id!r} is not a valid id: use lowercase words joined by dashes, e.g. vpn-reset")
    dirs = _dirs_with(directory)
    existing = _find_file(entry_id, dirs)
    if existing is not None:
        raise CurateError(
            f"entry {entry_id!r} exists already ({existing}): "
            f'add the questions to it with role-diff add-phrasing {entry_id} "question"'
        )
    owners = {question_key(q): e.id for e in kb.entries for q in e.questions}
    # One phrasing per set of content words: the plainest wording (the shortest).
    by_key: dict[str, str] = {}
    for q in questions:
        q = " ".join(q.split())
        key = question_key(q)
        if key and (key not in by_key or len(q) < len(by_key[key])):
            by_key[key] = q
    kept: list[str] = []
    skipped: list[str] = []
    for key, q in by_key.items():
        if len(q) > MAX_QUESTION_CHARS:
            skipped.append(f"over {MAX_QUESTION_CHARS} characters: {q[:60]}...")
        elif key in owners:
            skipped.append(f"already a phrasing of {owners[key]!r}: {q}")
        else:
            kept.append(q)
    if not kept:
        raise CurateError("none of the cluster's questions can be a new phrasing: " + "; ".join(skipped))
    title = kept[0].rstrip(" ?!.") + "?"
    title = title[0].upper() + title[1:]
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 3].rstrip() + "..."
    topic = closest.topic if closest else "about"
    sources = list(closest.sources) if closest else sorted(kb.sources)[:1]
    related = [closest.id] if closest else []
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    lines = [
        "---",
        f"# Written by 'role-diff new' on {when} from unanswered cluster {cluster}.",
        "# To do: the title, the topic, the sources, at least "
        f"{MIN_QUESTIONS} phrasings and the answer below; then run role-diff validate.",
        f"id: {entry_id}",
        f"topic: {topic}" + (f"  # the topic of the closest entry, {closest.id}: check it" if closest else ""),
        f"title: {_yaml_text(title)}",
        "questions:",
        *(f"  - {_yaml_text(q)}" for q in kept),
        f"sources: [{', '.join(sources)}]  # keys from sources.yaml",
        f"related: [{', '.join(related)}]",
        "---",
        f"{PLACEHOLDER_MARK}: write the answer here, in your own words, at most 1,200 characters.",
        "",
    ]
    folder = _entries_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entry_id}.md"
    try:
        with path.open("x", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    except FileExistsError:
        raise CurateError(f"{path} exists already") from None
    except OSError as exc:
        raise CurateError(f"cannot write {path}: {exc.strerror}") from None
    _, problems, elsewhere = _validate(path, dirs)
    return Written(path, tuple(kept), tuple(skipped), problems, elsewhere)


# -- add-phrasing -------------------------------------------------------------------


def insert_phrasing(text: str, question: str) -> tuple[str, int]:
    """`text` (an entry file) with `question` appended to its `questions`
    list, every other line untouched; and the 1-based line it went on."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CurateError("the file does not start with '---' (YAML front matter)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise CurateError("the front matter is not closed by a '---' line")
    try:
        root = yaml.compose("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise CurateError(f"the front matter is not valid YAML: {str(exc).splitlines()[0]}") from None
    node = None
    if isinstance(root, yaml.MappingNode):
        node = next((v for k, v in root.value if getattr(k, "value", None) == "questions"), None)
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        raise CurateError("'questions' is not a list with one '- question' per line: add the phrasing by hand")
    last = node.value[-1]
    first_line = lines[1 + last.start_mark.line]
    m = re.match(r"^(\s*)-\s", first_line)
    indent = m.group(1) if m else " " * max(0, last.start_mark.column - 2)
    end_line = last.end_mark.line if last.end_mark.column > 0 else last.end_mark.line - 1
    at = 1 + end_line + 1  # the index of the line after the last item
    style = getattr(last, "style", None)
    if style == "'":
        item = "'" + question.replace("'", "''") + "'"
    elif style is None and _plain_ok(question):
        item = question
    else:
        item = _yaml_text(question)
    if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    lines.insert(at, f"{indent}- {item}{newline}")
    return "".join(lines), at + 1


def _plain_ok(question: str) -> bool:
    try:
        return yaml.safe_load(f"- {question}") == [question]
    except yaml.YAMLError:
        return False


def add_phrasing(entry_id: str, question: str, dirs: Sequence[Path] | None = None) -> Added:
    """Append a phrasing to an entry's file; validate; put the file back if
    the change brought a new problem (an entry still short of phrasings may
    get more)."""
    question = " ".join(question.split())
    if not question_key(question):
        raise CurateError("the question has no words to match on")
    if len(question) > MAX_QUESTION_CHARS:
        raise CurateError(f"the question is over {MAX_QUESTION_CHARS} characters")
    dirs = list(default_dirs() if dirs is None else dirs)
    path = _find_file(entry_id, dirs)
    if path is None:
        raise CurateError(f"no entry {entry_id!r} in {', '.join(str(d) for d in dirs)}")
    shipped = shipped_knowledge_dir()
    if path.resolve().is_relative_to(shipped.resolve()) and not (shipped.parent / "pyproject.toml").is_file():
        raise CurateError(
            f"{entry_id!r} ships inside the installed package ({path}): copy the file into your knowledge "
            "directory (ROLE_DIFF_KNOWLEDGE) and add the phrasing there"
        )
    _, before, _ = _validate(path, dirs)
    try:
        original = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CurateError(f"cannot read {path}: {exc}") from None
    kb, _ = check_knowledge(dirs)
    entry = kb.get(entry_id)
    key = question_key(question)
    if entry is not None:
        for q in entry.questions:
            if question_key(q) == key:
                raise CurateError(f"{entry_id!r} has that phrasing already: {q!r}")
    for other in kb.entries:
        if other.id != entry_id and any(question_key(q) == key for q in other.questions):
            raise CurateError(f"that phrasing belongs to entry {other.id!r} already ({other.path})")
    text, line = insert_phrasing(original, question)
    path.write_bytes(text.encode("utf-8"))
    kb, problems, _ = _validate(path, dirs)
    known = {_kind(p) for p in before}
    new = [p for p in problems if _kind(p) not in known]
    entry = kb.get(entry_id)
    readback = entry.questions[-1] == question if entry is not None else _reads_back(text, question)
    if new or not readback:
        path.write_bytes(original.encode("utf-8"))
        why = str(new[0]) if new else "the phrasing did not read back as written"
        raise CurateError(f"the change did not validate, so {path} is as it was: {why}")
    return Added(path, line, kb, problems)


@dataclass(frozen=True)
class Added:
    path: Path
    line: int
    kb: KnowledgeBase
    problems: tuple[Problem, ...]  # what was wrong with the entry before and still is (e.g. too few phrasings)


def _kind(problem: Problem) -> str:
    """A problem without its numbers: 'has 1 phrasing' and 'has 2' are the same problem."""
    return re.sub(r"\d+", "#", problem.message)


def _reads_back(text: str, question: str) -> bool:
    lines = text.splitlines()
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    data = yaml.safe_load("\n".join(lines[1:end]))
    return isinstance(data, dict) and isinstance(data.get("questions"), list) and data["questions"][-1] == question
