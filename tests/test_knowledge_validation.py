"""Knowledge validation: every problem is found and named with file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, check_knowledge, load_knowledge, shipped_knowledge_dir

from .kbfactory import entry_text, make_kb


def problems_for(root: Path) -> list[str]:
    _, problems = check_knowledge([root])
    return [str(p) for p in problems]


def test_the_factory_kb_is_valid(tmp_path: Path) -> None:
    kb, problems = check_knowledge([make_kb(tmp_path)])
    assert problems == []
    assert len(kb.entries) == 22
    assert kb.sources["process"].date == "2021-08-20"


def test_shipped_knowledge_is_valid() -> None:
    kb, problems = check_knowledge([shipped_knowledge_dir()])
    assert [str(p) for p in problems] == []
    assert {e.topic for e in kb.entries} >= {"difference", "salary", "mlops", "about"}
    assert all(len(e.questions) >= 6 for e in kb.entries)
    assert all(len(e.answer) <= 1200 for e in kb.entries)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    path = root / "entries" / "salary.md"
    path.write_text("---\nid: salary\ntopic: salary\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    found = problems_for(root)
    hits = [p for p in found if "salary.md" in p]
    assert len(hits) == 1
    assert "invalid YAML" in hits[0]
    # the error is on (or right after) line 4 of the file, where the bad value is
    line = int(hits[0].split(":")[1])
    assert 4 <= line <= 6


def test_missing_front_matter(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    (root / "entries" / "salary.md").write_text("just text\n", encoding="utf-8")
    found = problems_for(root)
    assert any(p.endswith("salary.md:1: an entry must start with '---' (YAML front matter)") for p in found)
    # and the topic it held is now missing
    assert any("required topic 'salary' has no entry" in p for p in found)


def test_unclosed_front_matter(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    (root / "entries" / "salary.md").write_text("---\nid: salary\n", encoding="utf-8")
    assert any("salary.md:1: the front matter is not closed" in p for p in problems_for(root))


def test_schema_problems_are_each_reported_with_their_line(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    text = (
        "---\n"  # 1
        "id: salary\n"  # 2
        "topic: salaries\n"  # 3
        "title: Pay\n"  # 4
        "questions:\n"  # 5
        "  - only one\n"  # 6
        "sources: [jones, nosuchsource]\n"  # 7
        "related:\n"  # 8
        "  - demand\n"  # 9
        "  - ghost-entry\n"  # 10
        "colour: blue\n"  # 11
        "---\n"
        "Body.\n"
    )
    (root / "entries" / "salary.md").write_text(text, encoding="utf-8")
    found = problems_for(root)
    joined = "\n".join(found)
    assert "salary.md:3: unknown topic 'salaries'" in joined
    assert "salary.md:5: 'questions' needs at least 6 phrasings, has 1" in joined
    assert "salary.md:11: unknown field 'colour'" in joined


def test_cross_entry_problems(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    text = entry_text("salary", "salary", related="[demand, ghost-entry]").replace(
        "sources: [jones]", "sources: [jones, nosuchsource]"
    )
    (root / "entries" / "salary.md").write_text(text, encoding="utf-8")
    found = "\n".join(problems_for(root))
    assert "salary.md:12: unknown source key 'nosuchsource'" in found
    assert "salary.md:13: related id 'ghost-entry' does not exist" in found


def test_duplicate_question_phrasing_names_both_places(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    qs = ["How much does an MLE make?", *[f"pay question {w}" for w in "abcde"]]
    (root / "entries" / "salary.md").write_text(entry_text("salary", "salary", questions=qs), encoding="utf-8")
    qs2 = ["how much does a machine learning engineer make", *[f"demand question {w}" for w in "abcde"]]
    (root / "entries" / "demand.md").write_text(entry_text("demand", "demand", questions=qs2), encoding="utf-8")
    found = [p for p in problems_for(root) if "also claimed by" in p]
    assert len(found) == 1
    assert "demand.md" in found[0] or "salary.md" in found[0]
    assert "how much does" in found[0].lower()


def test_duplicate_ids_in_one_directory(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    (root / "entries" / "salary-copy.md").write_text(entry_text("salary", "salary"), encoding="utf-8")
    found = "\n".join(problems_for(root))
    assert "'id' is 'salary' but the file is named 'salary-copy.md'" in found


def test_answer_too_long(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    text = entry_text("salary", "salary").replace("The answer of salary.", "x" * 1300)
    (root / "entries" / "salary.md").write_text(text, encoding="utf-8")
    assert any("the answer is 1300 characters; the limit is 1200" in p for p in problems_for(root))


def test_not_utf8(tmp_path: Path) -> None:
    root = make_kb(tmp_path)
    (root / "entries" / "salary.md").write_bytes(b"---\nid: \xff\xfe\n---\n")
    assert any("salary.md:1: not UTF-8" in p for p in problems_for(root))


def test_override_directory_replaces_and_adds(tmp_path: Path) -> None:
    base = make_kb(tmp_path / "base")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "salary.md").write_text(
        entry_text("salary", "salary").replace("The answer of salary.", "Our own pay bands."), encoding="utf-8"
    )
    (extra / "our-levels.md").write_text(entry_text("our-levels", "job-titles", related="[salary]"), encoding="utf-8")
    kb, problems = check_knowledge([base, extra])
    assert problems == []
    assert kb.by_id["salary"].answer == "Our own pay bands."
    assert kb.by_id["our-levels"].topic == "job-titles"


def test_override_directory_is_validated(tmp_path: Path) -> None:
    base = make_kb(tmp_path / "base")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "broken.md").write_text("---\nid: broken\n---\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge([base, extra])
    assert any("broken.md" in str(p) and "missing field 'topic'" in str(p) for p in info.value.problems)


def test_validate_cli_exit_codes(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "mine.md").write_text(entry_text("mine", "salary", related="[nope]"), encoding="utf-8")
    cmd = [sys.executable, "-m", "bot.cli", "validate", str(extra)]
    bad = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "mine.md:" in bad.stdout and "related id 'nope' does not exist" in bad.stdout
    assert "Traceback" not in bad.stderr
    (extra / "mine.md").write_text(entry_text("mine", "salary", related="[demand]"), encoding="utf-8")
    good = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("ok:")
