"""The follow-up model (bot/followups.py): its weights are what the training
script learns from the tuning sets, it does better than the rules on the
tuning sets it was not fitted on, and it never lets context turn an
unrelated message into an answer."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.builtins import respond_turn
from bot.context import Turn
from bot.engine import Answer, Decline, Engine, Thresholds
from bot.followup_weights import WEIGHTS
from bot.followups import FEATURES, FollowUpModel
from bot.knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent


def _trainer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_followups", ROOT / "benchmarks" / "train_followups.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_followups"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trainer() -> ModuleType:
    return _trainer()


@pytest.fixture(scope="module")
def rules(kb: KnowledgeBase) -> Engine:
    return Engine(kb, Thresholds(follow_up_model=False, topic_model=False))


@pytest.fixture(scope="module")
def data(trainer: ModuleType, rules: Engine) -> list:
    return trainer.turns(rules)


def test_the_weights_fit_the_features() -> None:
    assert list(WEIGHTS) == list(FEATURES)
    assert any(w != 0.0 for w in WEIGHTS.values())


def test_weights_that_do_not_fit_are_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"missing \['bias'\].*train_followups"):
        FollowUpModel({k: v for k, v in WEIGHTS.items() if k != "bias"})
    with pytest.raises(ValueError, match=r"unknown \['shoe_size'\]"):
        FollowUpModel({**WEIGHTS, "shoe_size": 1.0})


def test_the_shipped_weights_are_what_the_tuning_sets_teach(trainer: ModuleType, data: list) -> None:
    """A change to the rules, the features or the tuning sets without
    retraining (benchmarks/train_followups.py) fails here."""
    learned = trainer.fit(data, trainer.DEFAULT_L2)
    shipped = [WEIGHTS[name] for name in FEATURES]
    off = [(name, a, b) for name, a, b in zip(FEATURES, shipped, learned, strict=True) if abs(a - b) > 2e-3]
    assert not off, f"bot/followup_weights.py is stale, run benchmarks/train_followups.py: {off[:5]}"


def test_on_sets_it_was_not_fitted_on_it_beats_the_rules(trainer: ModuleType, rules: Engine, data: list) -> None:
    """Leave one tuning set out: fitted on the others, and the set asked as
    the service asks it (each answer the next turn's context), the model gets
    at least 1 % more of the follow-up turns right than the rules, at most
    0.5 % more wrong (refitting moves a few rows either way), and answers no
    more of the off-topic turns; on the near misses and off-topic questions
    asked as follow-ups (each turn with the rules' context) it answers at
    most two more than the rules."""
    sources = sorted({t.source.split()[0] for t in data})
    assert len(sources) >= 6
    n, rules_right, rules_wrong, model_right, model_wrong, rules_false, model_false = trainer.closed_loop(
        rules, data, sources, trainer.DEFAULT_L2, show=False
    )
    assert model_right - rules_right >= 0.01 * n, (rules_right, model_right, n)
    assert model_wrong <= rules_wrong + 0.005 * n, (rules_wrong, model_wrong, n)
    assert model_false <= rules_false, (rules_false, model_false)
    pick = Thresholds().follow_up_pick
    rules_strays = model_strays = 0
    for source in sources:
        weights = trainer.fit([t for t in data if t.source.split()[0] != source], trainer.DEFAULT_L2)
        strays = [t for t in data if t.source == f"{source} strays"]
        rules_strays += sum(trainer.outcome(t, None, pick)[1] for t in strays)
        model_strays += sum(trainer.outcome(t, weights, pick)[1] for t in strays)
    assert model_strays <= rules_strays + 2, (rules_strays, model_strays)


def _ask(engine: Engine, *questions: str) -> list[str | None]:
    previous: Turn | None = None
    topics: list[str | None] = []
    for q in questions:
        reply, turn = respond_turn(engine, q, previous)
        if turn is not None:
            previous = turn
        topics.append(reply.topic if reply.kind == "answer" else None)
    return topics


@pytest.mark.parametrize(
    ("first", "follow_up", "topics"),
    [
        # a company's size asked of the last answer's practice
        ("do data scientists write production code?", "is that more usual at small startups?", {"team-structure"}),
        # who is on the hook for what the last answer described
        ("what is MLOps?", "who fixes it when it breaks at night?", {"mlops"}),
    ],
)
def test_a_follow_up_the_rules_decline_is_read_in_context(
    engine: Engine, rules: Engine, first: str, follow_up: str, topics: set[str]
) -> None:
    assert _ask(rules, first, follow_up)[1] is None
    assert _ask(engine, first, follow_up)[1] in topics


@pytest.mark.parametrize(
    "follow_up",
    [
        "how much do nurses make?",  # another job's pay
        "what is kafka?",  # a thing of its own
        "could you track an order for me",  # words the knowledge does not know, no topic
        "what's the weather in London",
        "how do I rebase in git",
    ],
)
def test_a_model_keen_to_answer_still_cannot_answer_what_the_rules_keep_out(kb: KnowledgeBase, follow_up: str) -> None:
    keen = Engine(kb)
    keen.followups = FollowUpModel({name: (20.0 if name == "bias" else 0.0) for name in FEATURES})
    for first in ("how much do data scientists make?", "what does an ML engineer do?"):
        assert _ask(keen, first, follow_up)[1] is None, (first, follow_up)


def test_a_doubtful_follow_up_is_declined_with_its_readings_as_suggestions(kb: KnowledgeBase) -> None:
    doubtful = Engine(kb, Thresholds(topic_model=False))
    doubtful.followups = FollowUpModel({name: (-20.0 if name == "bias" else 0.0) for name in FEATURES})
    first = doubtful.match("how much do data scientists make?")
    assert isinstance(first, Answer)
    previous = Turn(first.entry.id, first.tokens, first.entry.topic, ("datascientist",))
    result = doubtful.match("and for ML engineers?", previous)
    assert isinstance(result, Decline)
    assert first.entry in result.suggestions


def test_turned_off_the_rules_answer_alone(kb: KnowledgeBase, rules: Engine) -> None:
    assert rules.followups is None
    first = rules.match("how much do data scientists make?")
    assert isinstance(first, Answer)
    previous = Turn(first.entry.id, first.tokens, first.entry.topic, ("datascientist",))
    for q in ("and for ML engineers?", "is that per year?", "what's the weather in London"):
        assert rules.match(q, previous) == rules.match_rules(q, previous)


def test_explain_after_shows_the_conversation_the_rules_and_each_candidate() -> None:
    from tests.test_cli import run

    out = run(
        "explain",
        "--after",
        "do data scientists write production code?",
        "is that more usual at small startups?",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("earlier:   'do data scientists write production code?' -> production-code")
    assert lines[1].startswith("after:     production-code (topic production-code")
    assert lines[2] == "rules:     Decline low-score"
    candidates = [line for line in lines if line.startswith("  ")]
    assert any("production-code" in line and "the last answer" in line for line in candidates)
    probabilities = [float(line.split()[0]) for line in candidates]
    assert probabilities == sorted(probabilities, reverse=True) and len(probabilities) >= 2
    assert lines[-1].startswith("decision:  Answer ")
    assert not any(line.startswith("others:") for line in lines)
    # a follow-up about somebody else says so
    other = run("explain", "--after", "what skills does an ML engineer need?", "and what skills does a dentist need")
    assert other.returncode == 0, other.stderr
    assert "others:    it names an occupation far from the roles" in other.stdout
    assert other.stdout.splitlines()[-1].startswith("decision:  Decline")
    # an earlier turn that was declined leaves nothing to follow
    alone = run("explain", "--after", "what's the weather in London", "and for ML engineers?")
    assert alone.returncode == 0, alone.stderr
    assert "no earlier turn was answered" in alone.stdout


@pytest.mark.parametrize(
    ("first", "follow_up", "topic"),
    [
        ("how much do data scientists make?", "is that before tax?", "salary"),
        ("how much do ML engineers earn?", "are those numbers gross or net?", "salary"),
        ("what's an MLE's salary?", "is that in euros?", "salary"),
        ("do data scientists need a PhD?", "is that in europe?", "education"),
        # "it" is most often the weather or the time, not the last answer
        ("how much do data scientists make?", "is it going to rain tomorrow?", None),
        ("how much do data scientists make?", "is this where i apply for a new credit card", None),
    ],
)
def test_a_question_on_the_last_answer_of_a_case_it_need_not_know(
    engine: Engine, first: str, follow_up: str, topic: str | None
) -> None:
    assert _ask(engine, first, follow_up)[1] == topic
