"""The answer engine: a question in, an Answer or a Decline out.

The index is built once, when the knowledge loads; answering reads it and
never writes, so one Engine serves any number of concurrent requests.

How a question is matched (precision first):

1. Clean it (cut, markup stripped) and reduce it to content tokens: role names
   and their shorthands collapse to one token each (DS, data sci -> data
   scientist; MLE, ML eng -> ML engineer), question filler is dropped.
2. Tokens the knowledge does not know are typo-corrected against its
   vocabulary with rapidfuzz, when one is close enough.
3. Candidate questions (those sharing a token with the query) are scored with
   rapidfuzz: token-set similarity (do the query's words appear?) and
   token-sort similarity (are there many other words?), the best question per
   entry. The share of the query's (IDF-weighted) words that the entry knows
   is blended in.
4. Gates keep filler from carrying a match: the question must be *about*
   something the knowledge covers (a role name, or a domain word such as
   "mlops" or "analogy"), and most of its words must be known. "What's the
   difference between precision and recall" shares only filler and
   "difference" with the knowledge, so it is declined.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .knowledge import Entry, KnowledgeBase
from .text import (
    ROLE_TOKENS,
    STEMMED_GENERIC,
    clean_input,
    content_tokens,
)


@dataclass(frozen=True)
class Thresholds:
    """Every tuning knob of the matcher, in one place (tuned on ../shared/eval)."""

    answer: float = 62.0  # final score needed to answer
    answer_without_role: float = 68.0  # ... when the question names no role
    suggest: float = 42.0  # final score for a "did you mean" suggestion
    coverage_with_role: float = 0.5  # share of query words the knowledge knows
    coverage_without_role: float = 0.7
    typo_cutoff: float = 82.0  # rapidfuzz ratio to correct an unknown word
    typo_min_len: int = 4
    runner_up_margin: float = 12.0
    fuzz_weight: float = 0.6  # final = fuzz_weight * fuzz + (1 - fuzz_weight) * overlap
    candidate_cap: int = 4000  # most questions scored per query
    max_suggestions: int = 3


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Answer:
    entry: Entry
    score: float
    runners_up: tuple[Entry, ...]


@dataclass(frozen=True)
class Decline:
    score: float
    suggestions: tuple[Entry, ...]
    reason: str  # "empty", "unknown-words", "off-topic", "low-score"


Result = Answer | Decline


@dataclass(frozen=True)
class Analysis:
    """What the engine made of a question (for `explain`, tests and tuning)."""

    tokens: tuple[str, ...]
    known: tuple[str, ...]
    corrected: dict[str, str]
    coverage: float
    has_role: bool
    has_domain: bool
    scores: tuple[tuple[str, float, float, float], ...]  # (entry id, final, fuzz, overlap)


class Index:
    """Everything derived from the knowledge that matching needs, built once."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.q_text: list[str] = []
        self.q_entry: list[int] = []
        postings: dict[str, list[int]] = {}
        entry_vocab: list[frozenset[str]] = []
        for ei, entry in enumerate(self.entries):
            vocab: set[str] = set()
            phrasings = [*entry.questions, entry.title]
            for phrase in phrasings:
                toks = content_tokens(phrase)
                if not toks:
                    continue
                qi = len(self.q_text)
                self.q_text.append(" ".join(toks))
                self.q_entry.append(ei)
                for t in toks:
                    postings.setdefault(t, []).append(qi)
                vocab.update(toks)
            for kw in entry.keywords:
                vocab.update(content_tokens(kw))
            entry_vocab.append(frozenset(vocab))
        self.entry_vocab = entry_vocab
        self.postings: dict[str, tuple[int, ...]] = {t: tuple(v) for t, v in postings.items()}
        df: dict[str, int] = {}
        for vocab in entry_vocab:
            for t in vocab:
                df[t] = df.get(t, 0) + 1
        n = max(len(self.entries), 1)
        self.idf: dict[str, float] = {t: math.log((n + 1) / (d + 0.5)) + 0.1 for t, d in df.items()}
        self.unknown_idf = math.log((n + 1) / 0.5) + 0.1
        self.vocab_list: list[str] = sorted(df)
        self.vocab = frozenset(df)


class Engine:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.kb = kb
        self.t = thresholds
        self.index = Index(kb.entries)

    # -- matching ----------------------------------------------------------

    def _correct(self, tokens: list[str]) -> tuple[list[str], dict[str, str]]:
        vocab = self.index.vocab
        out: list[str] = []
        corrected: dict[str, str] = {}
        for tok in tokens:
            if tok in vocab or len(tok) < self.t.typo_min_len or tok.isdigit():
                out.append(tok)
                continue
            hit = process.extractOne(
                tok, self.index.vocab_list, scorer=fuzz.ratio, processor=None, score_cutoff=self.t.typo_cutoff
            )
            if hit is not None:
                corrected[tok] = hit[0]
                out.append(hit[0])
            else:
                out.append(tok)
        return list(dict.fromkeys(out)), corrected

    def _candidates(self, known: list[str]) -> list[int]:
        idx = self.index
        lists = sorted((idx.postings.get(t, ()) for t in known), key=len)
        chosen: set[int] = set()
        for plist in lists:
            if chosen and len(chosen) + len(plist) > self.t.candidate_cap:
                break
            chosen.update(plist)
        return sorted(chosen)

    def analyse(self, text: str) -> Analysis:
        cleaned, _ = clean_input(text)
        tokens, corrected = self._correct(content_tokens(cleaned))
        return self._analyse_tokens(tokens, corrected)

    def _analyse_tokens(self, tokens: list[str], corrected: dict[str, str]) -> Analysis:
        idx = self.index
        known = [t for t in tokens if t in idx.vocab]
        has_role = any(t in ROLE_TOKENS for t in known)
        has_domain = any(t not in STEMMED_GENERIC and t not in ROLE_TOKENS for t in known)
        coverage = len(known) / len(tokens) if tokens else 0.0
        if not known:
            return Analysis(tuple(tokens), (), corrected, coverage, has_role, has_domain, ())
        query = " ".join(tokens)
        cands = self._candidates(known)
        texts = [idx.q_text[i] for i in cands]
        best_fuzz: dict[int, float] = {}
        set_scores = process.extract(
            query, texts, scorer=fuzz.token_set_ratio, processor=None, limit=None, score_cutoff=30
        )
        passing = [c for _, _, c in set_scores]
        sort_scores = process.extract(
            query, [texts[c] for c in passing], scorer=fuzz.token_sort_ratio, processor=None, limit=None
        )
        sort_by_pos = {pos: s for _, s, pos in sort_scores}
        for pos, (_, set_score, c) in enumerate(set_scores):
            ei = idx.q_entry[cands[c]]
            combined = 0.5 * set_score + 0.5 * sort_by_pos.get(pos, 0.0)
            if combined > best_fuzz.get(ei, -1.0):
                best_fuzz[ei] = combined
        total_idf = sum(idx.idf.get(t, idx.unknown_idf) for t in tokens)
        scored: list[tuple[str, float, float, float]] = []
        for ei, fz in best_fuzz.items():
            vocab = idx.entry_vocab[ei]
            overlap = sum(idx.idf[t] for t in known if t in vocab) / total_idf
            final = self.t.fuzz_weight * fz + (1 - self.t.fuzz_weight) * 100 * overlap
            scored.append((idx.entries[ei].id, final, fz, overlap))
        scored.sort(key=lambda s: (-s[1], s[0]))
        return Analysis(tuple(tokens), tuple(known), corrected, coverage, has_role, has_domain, tuple(scored))

    def match(self, text: str) -> Result:
        """Answer or decline a question (built-in commands are not handled here)."""
        cleaned, _ = clean_input(text)
        raw_tokens = content_tokens(cleaned)
        if not raw_tokens:
            return Decline(0.0, (), "empty")
        tokens, corrected = self._correct(raw_tokens)
        a = self._analyse_tokens(tokens, corrected)
        return self.decide(a)

    def decide(self, a: Analysis) -> Result:
        t = self.t
        by_id = self.kb.by_id
        if not a.scores:
            return Decline(0.0, (), "unknown-words")
        best_id, best, _, _ = a.scores[0]
        suggestions = tuple(by_id[s[0]] for s in a.scores[: t.max_suggestions] if s[1] >= t.suggest)
        if not (a.has_role or a.has_domain):
            return Decline(best, suggestions, "off-topic")
        need_cov = t.coverage_with_role if a.has_role else t.coverage_without_role
        need_score = t.answer if a.has_role else t.answer_without_role
        if a.coverage < need_cov:
            return Decline(best, suggestions, "unknown-words")
        if best < need_score:
            return Decline(best, suggestions, "low-score")
        runners = tuple(by_id[s[0]] for s in a.scores[1:4] if s[1] >= best - t.runner_up_margin and s[1] >= t.suggest)
        return Answer(by_id[best_id], round(best, 1), runners)

    # -- autocomplete --------------------------------------------------------

    def complete(self, partial: str, limit: int = 25, max_len: int = 100) -> list[str]:
        """Knowledge questions ranked for a partly typed question."""
        cleaned, _ = clean_input(partial)
        questions = [q for e in self.kb.entries for q in e.questions if len(q) <= max_len]
        if not cleaned.strip():
            firsts = [e.questions[0] for e in self.kb.entries if len(e.questions[0]) <= max_len]
            return firsts[:limit]
        hits = process.extract(cleaned, questions, scorer=fuzz.WRatio, processor=_lower, limit=limit * 2)
        out: list[str] = []
        for q, _, _ in hits:
            if q not in out:
                out.append(q)
            if len(out) == limit:
                break
        return out


def _lower(s: str) -> str:
    return s.casefold()
