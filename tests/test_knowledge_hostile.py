"""Hostile knowledge directories, through the real loader and the real CLI: symlink loops,
links to devices, FIFOs, oversized files and control characters are each a problem with
its path; nothing hangs, nothing reads forever, no traceback. And one `validate` names
every problem of an entry at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import MAX_ENTRY_BYTES, check_knowledge

from .kbfactory import entry_text, make_kb

ROOT = Path(__file__).resolve().parents[1]


def problems_for(*dirs: Path) -> list[str]:
    _, problems = check_knowledge(list(dirs), require_topics=False)
    return [str(p) for p in problems]


def extra_dir(tmp_path: Path) -> Path:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "fine.md").write_text(entry_text("fine", "salary"), encoding="utf-8")
    return extra


def test_symlink_loops_are_problems_with_their_path(tmp_path: Path) -> None:
    extra = extra_dir(tmp_path)
    (extra / "loop.md").symlink_to(extra / "loop.md")
    (extra / "a.md").symlink_to(extra / "b.md")
    (extra / "b.md").symlink_to(extra / "a.md")
    (extra / "gone.md").symlink_to(extra / "nowhere.md")
    (extra / "sources.yaml").symlink_to(extra / "sources.yaml")
    found = problems_for(extra)
    assert any(p.startswith(str(extra / "loop.md")) and "symlink loop" in p for p in found), found
    assert any(p.startswith(str(extra / "a.md")) and "symlink loop" in p for p in found), found
    assert any(p.startswith(str(extra / "b.md")) and "symlink loop" in p for p in found), found
    assert any(p.startswith(str(extra / "gone.md")) and "does not exist" in p for p in found), found
    assert any(p.startswith(str(extra / "sources.yaml")) and "symlink loop" in p for p in found), found


def test_a_knowledge_directory_that_is_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "validate", str(loop)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1
    assert f"{loop}: not a directory" in result.stdout.splitlines()
    assert "Traceback" not in result.stderr


def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    extra = extra_dir(tmp_path)
    (extra / "zero.md").symlink_to("/dev/zero")
    (extra / "compare.yaml").symlink_to("/dev/zero")
    found = problems_for(extra)
    assert f"{extra / 'zero.md'}: a character device, not a regular file: only regular files are read" in found
    assert any(p.startswith(str(extra / "compare.yaml")) and "character device" in p for p in found), found


def test_a_fifo_is_refused_and_nothing_hangs(tmp_path: Path) -> None:
    extra = extra_dir(tmp_path)
    os.mkfifo(extra / "x.md")
    # through the CLI as a user runs it, with a time limit: before, `ask` hung forever here
    env = {**os.environ, "ROLE_DIFF_KNOWLEDGE": str(extra), "PYTHONPATH": str(ROOT), "ROLE_DIFF_LOG": "off"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "what is mlops"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "extra/x.md: a FIFO (named pipe), not a regular file" in result.stderr  # relative to the cwd
    assert "Traceback" not in result.stderr


def test_oversized_and_directory_entries(tmp_path: Path) -> None:
    extra = extra_dir(tmp_path)
    (extra / "huge.md").write_bytes(b"---\n" + b"x" * (MAX_ENTRY_BYTES + 1))
    (extra / "dir.md").mkdir()
    found = problems_for(extra)
    assert f"{extra / 'huge.md'}: {MAX_ENTRY_BYTES + 5:,} bytes; the limit is {MAX_ENTRY_BYTES:,}" in found
    assert f"{extra / 'dir.md'}: a directory, not a regular file: only regular files are read" in found


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    real = tmp_path / "elsewhere.md"
    real.write_text(entry_text("linked", "salary", related="[demand]"), encoding="utf-8")
    (extra / "linked.md").symlink_to(real)
    kb, problems = check_knowledge([make_kb(tmp_path / "base"), extra])
    assert [str(p) for p in problems] == []
    assert kb.by_id["linked"].answer == "The answer of linked."


@pytest.mark.parametrize(("char", "name"), [("\x00", "0000"), ("\x1b", "001B"), ("\x07", "0007"), ("\x85", "0085")])
def test_control_characters_in_answers_are_rejected(tmp_path: Path, char: str, name: str) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    text = entry_text("mine", "salary").replace("The answer of mine.", f"The answer{char} of mine.")
    (extra / "mine.md").write_text(text, encoding="utf-8")
    line = text.split("\n").index(f"The answer{char} of mine.") + 1
    found = problems_for(extra)
    assert f"{extra / 'mine.md'}:{line}: control character U+{name} in the text: remove it" in found


def test_tabs_and_crlf_are_fine(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    text = entry_text("tabbed", "salary").replace("The answer of tabbed.", "The answer\tof tabbed.")
    (extra / "tabbed.md").write_bytes(text.replace("\n", "\r\n").encode())
    assert problems_for(make_kb(tmp_path / "base"), extra) == []


def test_validate_names_every_problem_of_an_entry_at_once(tmp_path: Path) -> None:
    """An unknown field used to hide the unknown source key and the missing related id."""
    extra = tmp_path / "extra"
    extra.mkdir()
    text = (
        "---\n"  # 1
        "id: mine\n"  # 2
        "topic: salary\n"  # 3
        "title: Ours\n"  # 4
        "questions:\n"  # 5
        + "".join(f"  - our own pay question {w}\n" for w in "abcdef")  # 6-11
        + "sources: [jones, nosuchsource]\n"  # 12
        "related: [demand, ghost-entry]\n"  # 13
        "colour: blue\n"  # 14
        "---\n"
        "Our answer.\n"
    )
    (extra / "mine.md").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "validate", str(extra)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    where = "extra/mine.md"  # shown relative to the working directory
    assert (
        f"{where}:14: unknown field 'colour' (known: id, keywords, questions, related, sources, title, topic)" in lines
    )
    assert f"{where}:12: unknown source key 'nosuchsource'" in lines
    assert f"{where}:13: related id 'ghost-entry' does not exist" in lines
    assert len([line for line in lines if line.startswith(where)]) == 3, result.stdout
    assert "Traceback" not in result.stderr
