"""A second opinion on a question's topic: a linear model of how people word each topic.

The matcher (bot/engine.py) scores a question against the knowledge's
phrasings; it is right when people ask as the phrasings do. People often do
not ("what would each cost us roughly", "got an analogy I can use with my
execs?"). This model has learned, from the knowledge's phrasings and the
tuning sets' labelled questions (`benchmarks/train_topics.py`), which words
and word pairs go with which topic: a multinomial logistic regression over
TF-IDF weighted features of the message (its words as typed, typos
corrected, and their pairs; the engine's tokens, which fold synonyms and
role names, and their pairs; how many of its words the knowledge does not
know, and how many name an occupation far from the roles) and, in a
conversation, of the last answered turn (its tokens and its topic).

The engine asks it only when the rules have already decided the message is
about the domain (`Engine.second_opinion`): it may answer a question the
matcher declined for a low score, never one the matcher found off-topic.

The model is data (bot/topic_model.json.gz), written by the trainer; a test
holds it to the knowledge's topics.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from itertools import pairwise
from operator import is_not
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("topic_model.json.gz")
_KNOWN = partial(is_not, None)  # true for a feature's index, false for None (a feature the model does not know)


def features(
    words: Sequence[str],
    tokens: Sequence[str],
    context: Sequence[str] = (),
    unknown: int = 0,
    last_topic: str = "",
    occupations: int = 0,
) -> list[str]:
    """The model's features of a message: its words and word pairs, its
    engine tokens ("K_") and their pairs, the conversation's last tokens
    ("P_") and topic ("T_"), "UNK" once for each of its tokens the knowledge does not know
    ("football", "mortgage"; as the engine counts them, `Engine.topic_features`),
    and "OCC" once for each word that names an occupation far from the
    roles ("nurse", "chef": `bot.occupations`), so that what the model
    learns of the ones in its data holds for the others."""
    out = list(words)
    out += [f"{a} {b}" for a, b in pairwise(words)]
    keys = [f"K_{t}" for t in tokens]
    out += keys
    out += [f"{a} {b}" for a, b in pairwise(keys)]
    out += [f"P_{t}" for t in context]
    if last_topic:
        out.append(f"T_{last_topic}")
    out += ["UNK"] * unknown
    out += ["OCC"] * occupations
    return out


class TopicModel:
    """Topic probabilities of a message, from `features`.

    Held as compact arrays: the features (their index), each one's IDF, and
    its non-zero weights as (topic index, weight) runs, row by row."""

    def __init__(
        self,
        topics: Sequence[str],
        intercepts: Sequence[float],
        idf: Mapping[str, float],
        weights: Mapping[str, Sequence[tuple[int, float]]],
    ) -> None:
        if len(topics) != len(intercepts):
            raise ValueError(f"topic model: {len(topics)} topics but {len(intercepts)} intercepts")
        self.topics = tuple(topics)
        self.intercepts = tuple(intercepts)
        names = list(idf)
        self.index = {name: i for i, name in enumerate(names)}
        self.idf = array("f", (idf[name] for name in names))
        self.indptr = array("I", [0])
        self.classes = array("B")
        self.values = array("f")
        self.rows: dict[int, tuple[tuple[int, float], ...]] = {}  # see _row
        for name in names:
            for c, w in weights.get(name, ()):
                if not 0 <= c < len(self.topics):
                    raise ValueError(f"topic model: feature {name!r} weighs topic {c}, not one of {len(self.topics)}")
                self.classes.append(c)
                self.values.append(w)
            self.indptr.append(len(self.values))

    def _row(self, i: int) -> tuple[tuple[int, float], ...]:
        """A feature's (topic index, weight) pairs as Python numbers, made on
        first use and kept in `rows` (at most one a feature): the arrays stay
        compact, and the sums loop over ready pairs (messages share most of
        their features)."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return tuple(zip(self.classes[lo:hi], self.values[lo:hi], strict=True))

    def weights(self) -> dict[str, list[tuple[int, float]]]:
        """The non-zero weights by feature (what the constructor takes)."""
        out: dict[str, list[tuple[int, float]]] = {}
        for name, i in self.index.items():
            lo, hi = self.indptr[i], self.indptr[i + 1]
            if hi > lo:
                out[name] = [(self.classes[k], self.values[k]) for k in range(lo, hi)]
        return out

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {
            "topics": list(self.topics),
            "intercepts": list(self.intercepts),
            "features": "\n".join(self.index),
            **{name: base64.b64encode(getattr(self, name).tobytes()).decode("ascii") for name in _ARRAYS},
        }
        with gzip.GzipFile(path, "wb", mtime=0) as fh:
            fh.write(json.dumps(data).encode("utf-8"))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicModel:
        """The model as `save` wrote it. A missing or damaged file is an
        error naming it and what to do."""
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            model = cls.__new__(cls)
            model.topics = tuple(data["topics"])
            model.intercepts = tuple(float(b) for b in data["intercepts"])
            names = data["features"].split("\n") if data["features"] else []
            model.index = {name: i for i, name in enumerate(names)}
            model.rows = {}
            for name, code in _ARRAYS.items():
                arr = array(code)
                arr.frombytes(base64.b64decode(data[name]))
                setattr(model, name, arr)
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise ValueError(
                f"topic model {path}: cannot be read ({exc}); run benchmarks/train_topics.py to write it again"
            ) from exc
        sizes = (len(model.idf), len(model.indptr) - 1, len(model.topics), len(model.intercepts))
        if sizes[0] != len(names) or sizes[1] != len(names) or sizes[2] != sizes[3]:
            raise ValueError(f"topic model {path}: its parts do not fit together; run benchmarks/train_topics.py")
        return model

    def probabilities(self, feats: Sequence[str]) -> list[tuple[str, float]]:
        """(topic, probability), likeliest first. TF-IDF as the trainer's
        vectoriser computes it (sublinear term frequency, L2-normalised)."""
        index = self.index
        counts = Counter(filter(_KNOWN, map(index.get, feats)))  # the features the model knows
        values = {i: (1.0 + math.log(n)) * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        z = list(self.intercepts)
        rows = self.rows
        for i, v in values.items():
            v /= norm
            row = rows.get(i)
            if row is None:
                row = rows[i] = self._row(i)
            for c, w in row:
                z[c] += w * v
        top = max(z)
        exps = [math.exp(x - top) for x in z]
        total = sum(exps)
        ranked = [(t, e / total) for t, e in zip(self.topics, exps, strict=True)]
        ranked.sort(key=lambda tp: -tp[1])
        return ranked


_ARRAYS = {"idf": "f", "indptr": "I", "classes": "B", "values": "f"}  # saved as base64 of their bytes
