"""Inline citations: source keys in the knowledge, short names in replies.

Curators cite sources by key in answers and comparison cells: "(clarifying,
jones)", "**turner**: ...", "clarifying says ...". Readers should see the
source's short name instead ("Clarifying the Critical Roles", "Jones",
"Turner"); the full credit stays in the reply's sources line. This is done
once, while the reply is built, so every platform shows the same words.

What counts as a citation (a whole word equal to a source key, any case):

- every item of a parenthesised list that is exactly a key: "(jones,
  clarifying)", "(turner, a line she heard)". An item is dropped when its
  short name is already in the same sentence or list ("Tina Jones (jones)"
  reads "Tina Jones"), and the parentheses go when nothing is left;
- any other occurrence, except right after "the", "its", "a", "on" and
  similar words when no source noun (article, blog, post...) follows: so
  "its process" and "a blog post on process" stay English while "the
  clarifying article" and "the process blog" are citations.

A short name is capitalised where it starts a sentence, a bullet or a bold
label. Links (`[label](https://...)`) are never touched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

# Words after which a key is read as an ordinary word, unless a source noun follows.
_ENGLISH_BEFORE = frozenset(
    "a an the its it's their this that these those our your his her my whose any every each no on of".split()
)
_SOURCE_NOUN = re.compile(r"\s+(?:article|blog|post|piece|paper|essay|chat|thread|answer|write-up)\b", re.IGNORECASE)
_LINK = re.compile(r"(\[[^\]]+\]\(https?://[^)\s]+\))")
_PREVIOUS_WORD = re.compile(r"([\w']+)\s+$")


@functools.cache
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"\((?P<paren>[^()\n]*)\)|(?<![\w-])(?P<word>{words})(?![\w-])", re.IGNORECASE)


def _sentence_before(text: str, end: int) -> str:
    """The text from the start of the sentence (or bullet) up to `end`."""
    before = text[:end]
    cut = max(before.rfind(". "), before.rfind("\n"), before.rfind("! "), before.rfind("? "))
    return before[cut + 1 :]


def _starts_sentence(text: str, start: int) -> bool:
    """Whether `start` begins a sentence, a line, a bullet or a bold label at one."""
    i = start
    while i > 0 and text[i - 1] in " \t*":  # spaces and bold markers
        i -= 1
    if i == 0 or text[i - 1] == "\n":
        return True
    if text[i - 1] in ".!?" and i < start:
        return True
    return text[i - 1] in "-•" and (i == 1 or text[i - 2] == "\n") and i < start


def _capitalise(name: str) -> str:
    return name[:1].upper() + name[1:]


class _Renderer:
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = {k.casefold(): v for k, v in names.items()}
        self.pattern = _pattern(tuple(self.names))

    def render(self, text: str) -> str:
        parts = _LINK.split(text)  # odd parts are links: left alone
        return "".join(p if i % 2 else self.pattern.sub(self._sub, p) for i, p in enumerate(parts))

    def _sub(self, m: re.Match[str]) -> str:
        if m.group("paren") is not None:
            return self._paren(m)
        return self._word(m.string, m.start(), m.end(), m.group("word"))

    def _word(self, text: str, start: int, end: int, word: str) -> str:
        name = self.names[word.casefold()]
        if len(name) > len(word) and text[start : start + len(name)].casefold() == name.casefold():
            return word  # already written out: a "Clarifying the Critical Roles" article
        previous = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
        if (
            previous
            and previous.group(1).casefold() in _ENGLISH_BEFORE
            and not _SOURCE_NOUN.match(text, end)
            and word[:1].islower()
        ):
            return word  # "its process", "a blog post on process": ordinary English
        if _starts_sentence(text, start):
            name = _capitalise(name)
        if " " in name and name.endswith("s") and text.startswith(("'s", "’s"), end):
            name += "\u0000"  # marker: "Critical Roles's" -> "Critical Roles'" (fixed below)
        return name

    def _paren(self, m: re.Match[str]) -> str:
        inner = m.group("paren")
        items = inner.split(", ")
        if not any(item.strip().casefold() in self.names for item in items):
            # free text in brackets: cite the words inside it
            return "(" + self.pattern.sub(self._sub, inner) + ")"
        context = _sentence_before(m.string, m.start()).casefold()
        others = " ".join(i for i in items if i.strip().casefold() not in self.names).casefold()
        out: list[str] = []
        for item in items:
            key = item.strip().casefold()
            if key not in self.names:
                out.append(self.pattern.sub(self._sub, item))
                continue
            name = self.names[key]
            if name.casefold() in context or name.casefold() in others or name in out:
                continue  # "Tina Jones (jones)": the sentence already names her
            out.append(name)
        if not out:
            return "\u0001"  # marker: drop the parentheses and the space before them
        return "(" + ", ".join(out) + ")"


def render_citations(text: str, names: Mapping[str, str]) -> str:
    """`text` with each inline citation of a key in `names` as its short name."""
    if not names or not text:
        return text
    return _render(text, tuple(sorted(names.items())))


@functools.lru_cache(maxsize=4096)  # the same entries are rendered again and again
def _render(text: str, names: tuple[tuple[str, str], ...]) -> str:
    out = _Renderer(dict(names)).render(text)
    if "\u0000" in out:
        out = re.sub("\u0000['’]s", "'", out).replace("\u0000", "")
    if "\u0001" in out:
        out = re.sub(r"\s*\u0001", "", out)
    return out
