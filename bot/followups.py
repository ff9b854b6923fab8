"""Choosing a follow-up's answer among what the conversation suggests.

A follow-up ("is that more common at startups?", "what gaps would I have",
"that doesn't sound right, I thought DS paid more") can be read several ways:
alone, with the conversation's roles, with the last question's words, or as
a word on the last answer. The engine's rules pick one reading; this model
weighs them all. Each reading's best entry is a candidate, described by
features of the message (short, a role named, a cue, words that refer back,
words the knowledge does not know ...) and of the candidate (its score in each
reading, whether the readings agree on it, whether it is the last answer or
the rules' pick, how many of the message's words it knows). A logistic model
gives each candidate the probability that it is the right answer; the most
likely answers when it reaches `Thresholds.follow_up_pick`, else the
follow-up is declined with the candidates as suggestions.

The weights are learned from the tuning sets' conversations
(`benchmarks/train_followups.py`, which also prints the cross-validated
figures) and written to `bot/followup_weights.py`; the features are named
here, and a test holds the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# Features of the message, the same for every candidate.
TURN_FEATURES = (
    "short",  # at most five words
    "long",  # more than twelve
    "has_role",  # names a role
    "own_topic",  # topic words of its own (up to three, as a share of three)
    "unknown",  # words the knowledge does not know (up to three, as a share)
    "cue",  # said as a follow-up: "and ...", "what about ..."
    "refers",  # they/it/that/those ...
    "no_tokens",  # nothing but filler
    "how_to",  # "how do I ..."
    "question",  # has a question mark
    "of_its_own",  # defines or picks a thing of its own ("what is kafka?")
    "rule_answered",  # the rules answered it
    "alone_best",  # the best score of the message read alone
    "coverage",  # share of its words the knowledge knows
    "other_people",  # names another job (nurses, data engineers)
    "may_borrow",  # it asks (a question, a cue, a correction), not of the asker's own pay
    "generic_only",  # only everyday words
    "topic_share",  # topic words, as a share of its words
    "stranger",  # a word that is not one of the knowledge's topics ("nurses")
)
# Turn features that also weigh the candidate by how it was found.
_INTERACTING = (
    "short",
    "has_role",
    "own_topic",
    "cue",
    "refers",
    "no_tokens",
    "unknown",
    "long",
    "of_its_own",
    "rule_answered",
    "other_people",
    "may_borrow",
    "generic_only",
    "topic_share",
    "stranger",
)
# Features of a candidate.
CANDIDATE_FEATURES = (
    "bias",
    "rule",  # the rules' pick
    "alone",  # its score, the message read alone
    "with_roles",  # ... with the conversation's roles
    "with_last",  # ... with the last question's words
    "alone_top",  # the best entry read alone
    "with_roles_top",
    "with_last_top",
    "last",  # the last answer
    "agree",  # share of the three readings whose best entry it is
    "same_topic",  # of the last answer's topic
    "about",  # an entry about the bot
    "one_role",  # an entry about one role
    "fit",  # share of the message's topic words the entry is asked or answered with
    "margin",  # its score read alone, minus the best one's
    "alone*own_topic",
    "with_last*short",
)
FEATURES = (
    *(f"t_{name}" for name in TURN_FEATURES),
    *CANDIDATE_FEATURES,
    *(f"{by}*{name}" for by in ("last", "alone_top", "rule") for name in _INTERACTING),
)


def interactions(features: dict[str, float]) -> None:
    """Add the products of how a candidate was found and the message's features."""
    for name in _INTERACTING:
        turn = features[f"t_{name}"]
        features[f"last*{name}"] = features["last"] * turn
        features[f"alone_top*{name}"] = features["alone_top"] * turn
        features[f"rule*{name}"] = features["rule"] * turn
    features["alone*own_topic"] = features["alone"] * features["t_own_topic"]
    features["with_last*short"] = features["with_last"] * features["t_short"]


@dataclass(frozen=True)
class Candidate:
    """A reading's best entry for a follow-up."""

    entry_id: str
    score: float  # its best final score among the readings
    tokens: tuple[str, ...]  # the tokens of the reading it was found by (what the next turn borrows)
    features: Mapping[str, float]


class FollowUpModel:
    """A logistic model over `FEATURES`: the probability a candidate is right."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        missing = [name for name in FEATURES if name not in weights]
        unknown = [name for name in weights if name not in FEATURES]
        if missing or unknown:
            raise ValueError(
                f"follow-up weights do not fit the features (missing {missing}, unknown {unknown}):"
                " run benchmarks/train_followups.py"
            )
        self.weights = dict(weights)

    def probability(self, features: Mapping[str, float]) -> float:
        z = sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        if z < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def choose(self, candidates: list[Candidate]) -> list[tuple[float, Candidate]]:
        """The candidates with their probabilities, likeliest first."""
        ranked = [(self.probability(c.features), c) for c in candidates]
        ranked.sort(key=lambda pc: -pc[0])
        return ranked


def default_model() -> FollowUpModel:
    from .followup_weights import WEIGHTS

    return FollowUpModel(WEIGHTS)
