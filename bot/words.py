"""Words of everyday English, so the typo corrector can tell a word from a typo.

"driftt", "actuall" and "beginn" are typos of "drift", "actually" and "begin";
"properly", "mode" and "miles" are words in their own right, however close
they are to "proper", "model" and "mles". The list is pyspellchecker's English
word-frequency dictionary (MIT licence; built from OpenSubtitles and SCOWL),
read straight from its data file: the package's spell checker is not used.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

_PACKAGE = "spellchecker"
_DATA = ("resources", "en.json.gz")


class WordListError(Exception):
    """The English word list could not be read (the cause and what to do)."""


def _data_file() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WordListError(f"the {_PACKAGE} package is not installed: pip install pyspellchecker")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_DATA)


@cache
def english_words() -> frozenset[str]:
    """Every word of the dictionary, lower case, apostrophes dropped ("wouldn't" -> "wouldnt").

    Without the list the corrector still works, more timidly (it never lengthens
    or shortens a word at its end, nor turns a short word into a role's
    shorthand); that is logged once as a warning with what to do.
    """
    try:
        path = _data_file()
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise WordListError(f"{path}: not a JSON object of word frequencies")
    except (WordListError, OSError, ValueError) as exc:
        log.warning(
            "typo correction without its English word list (%s); reinstall the bot's dependencies "
            "(pip install -e .) to correct 'driftt' or 'actuall'",
            exc,
        )
        return frozenset()
    return frozenset(str(w).lower().replace("'", "") for w in data)
