"""The start-up cache of the knowledge and its engine (bot/cache.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cache
from bot.builtins import respond
from bot.knowledge import KnowledgeError
from tests.kbfactory import make_kb

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "k")


@pytest.fixture(autouse=True)
def fresh_stats() -> None:
    cache.STATS.clear()


def files(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir()) if where.exists() else []


def test_second_load_is_a_hit_and_answers_the_same(kdir: Path, tmp_path: Path) -> None:
    where = tmp_path / "cache"
    first = cache.load_engine([kdir], directory=where)
    second = cache.load_engine([kdir], directory=where)
    assert cache.STATS == {"miss": 1, "hit": 1}
    assert second is not first
    assert [e.id for e in second.kb.entries] == [e.id for e in first.kb.entries]
    q = "synthetic question salary number a"
    assert respond(second, q).entry_id == respond(first, q).entry_id == "salary"
    assert len(files(where)) == 1 and files(where)[0].startswith("engine-")


def test_any_knowledge_change_is_a_miss_and_is_seen(kdir: Path, tmp_path: Path) -> None:
    where = tmp_path / "cache"
    cache.load_engine([kdir], directory=where)
    entry = kdir / "entries" / "salary.md"
    entry.write_text(entry.read_text(encoding="utf-8").replace("The answer of salary.", "Changed."), "utf-8")
    engine = cache.load_engine([kdir], directory=where)
    assert cache.STATS == {"miss": 2}
    assert engine.kb.by_id["salary"].answer == "Changed."
    before = cache.cache_key([kdir])
    (kdir / "entries" / "new-one.md").write_text("---\n---\n", encoding="utf-8")  # a new file counts too
    assert cache.cache_key([kdir]) != before
    assert cache.cache_key([kdir]) != cache.cache_key([kdir / "nothing"])


def test_a_code_change_is_a_new_key(kdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_module = tmp_path / "engine.py"
    fake_module.write_text("THRESHOLD = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_package_sources", lambda: [fake_module])
    before = cache.cache_key([kdir])
    fake_module.write_text("THRESHOLD = 2\n", encoding="utf-8")
    assert cache.cache_key([kdir]) != before


def test_the_real_key_covers_every_bot_module() -> None:
    names = {p.name for p in cache._package_sources()}
    assert {"engine.py", "knowledge.py", "builtins.py", "text.py", "cache.py"} <= names


def test_a_corrupt_cache_is_ignored_counted_and_replaced(
    kdir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = tmp_path / "cache"
    cache.load_engine([kdir], directory=where)
    [name] = files(where)
    (where / name).write_bytes(b"role-diff engine cache 1\n\x80\x05garbage")
    with caplog.at_level(logging.DEBUG, logger="role_diff.cache"):
        engine = cache.load_engine([kdir], directory=where)
    assert len(engine.kb.entries) > 0
    assert cache.STATS["unreadable"] == 1 and cache.STATS["miss"] == 2
    assert any("unusable" in r.getMessage() for r in caplog.records)
    cache.load_engine([kdir], directory=where)
    assert cache.STATS["hit"] == 1, "the corrupt file was replaced by a good one"
    (where / name).write_bytes(b"something else entirely")
    cache.load_engine([kdir], directory=where)
    assert cache.STATS["unreadable"] == 2


def test_an_unwritable_cache_only_costs_speed(kdir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    engine = cache.load_engine([kdir], directory=blocker)
    assert len(engine.kb.entries) > 0
    assert cache.STATS["unwritable"] == 1


def test_broken_knowledge_raises_and_caches_nothing(kdir: Path, tmp_path: Path) -> None:
    (kdir / "entries" / "salary.md").write_text("no front matter\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        cache.load_engine([kdir], directory=tmp_path / "cache")
    assert files(tmp_path / "cache") == []


def test_racing_processes_leave_one_whole_file(kdir: Path, tmp_path: Path) -> None:
    where = tmp_path / "cache"
    code = (
        "import sys; from pathlib import Path; from bot import cache; from bot.builtins import respond\n"
        "e = cache.load_engine([Path(sys.argv[1])], directory=Path(sys.argv[2]))\n"
        "print(respond(e, 'synthetic question salary number a').entry_id)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(kdir), str(where)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert [o[0].strip() for o in outs] == ["salary"] * 6
    assert len(files(where)) == 1 and not [n for n in files(where) if n.endswith(".tmp")]
    cache.load_engine([kdir], directory=where)
    assert cache.STATS == {"hit": 1}


def test_old_cache_files_are_pruned(kdir: Path, tmp_path: Path) -> None:
    where = tmp_path / "cache"
    where.mkdir()
    for i in range(cache.KEEP + 3):
        old = where / f"engine-old{i}.pickle"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    cache.load_engine([kdir], directory=where)
    names = files(where)
    assert len(names) == cache.KEEP
    assert "engine-old0.pickle" not in names and any(not n.startswith("engine-old") for n in names)


def test_the_cached_engine_answers_exactly_like_a_fresh_one(tmp_path: Path) -> None:
    from bot.engine import Engine
    from bot.knowledge import load_knowledge

    fresh = Engine(load_knowledge())
    cache.load_engine(directory=tmp_path / "cache")
    cached = cache.load_engine(directory=tmp_path / "cache")
    assert cache.STATS == {"miss": 1, "hit": 1}
    questions = [q for e in fresh.kb.entries for q in e.questions[:4]]
    questions += ["what's the weather tomorrow", "precision vs recall", "ds vs mle pay", "compare tools", ""]
    for q in questions:
        a, b = respond(fresh, q), respond(cached, q)
        assert (a.kind, a.entry_id, a.score, a.plain_text()) == (b.kind, b.entry_id, b.score, b.plain_text()), q
