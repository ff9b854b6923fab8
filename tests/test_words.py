"""The English word list behind the typo corrector: read once, and a missing
or broken list is said (with what to do), never a crash."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import words
from bot.places import place_words


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    words.english_words.cache_clear()
    yield
    words.english_words.cache_clear()


def test_the_list_holds_everyday_words_without_apostrophes(fresh_cache: None) -> None:
    english = words.english_words()
    assert len(english) > 50_000
    assert {"properly", "payday", "miles", "wouldnt"} <= english
    assert not any("'" in w for w in english)
    assert "driftt" not in english


def test_a_missing_list_is_logged_with_what_to_do(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(words, "_PACKAGE", "no_such_package_for_role_diff")
    with caplog.at_level(logging.WARNING, logger="bot.words"):
        assert words.english_words() == frozenset()
    assert "pip install pyspellchecker" in caplog.text
    assert "without its English word list" in caplog.text


def test_a_broken_list_is_logged_not_raised(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    broken = tmp_path / "en.json.gz"
    broken.write_bytes(gzip.compress(b"[1, 2"))
    monkeypatch.setattr(words, "_data_file", lambda: broken)
    with caplog.at_level(logging.WARNING, logger="bot.words"):
        assert words.english_words() == frozenset()
    assert "reinstall the bot's dependencies" in caplog.text


def test_places_are_found_one_or_two_words_long() -> None:
    assert place_words("what about london".split()) == {2}
    assert place_words("the netherlands or new zealand".split()) == {0, 1, 3, 4}
    assert place_words("is it the same in sao paulo".split()) == {5, 6}
    # words that are places only in a pair, and everyday words, are not
    assert place_words("what is new about the paulo thing".split()) == set()
    assert place_words("what about us".split()) == set()
