"""The topic model (bot/topics.py): the shipped model fits the knowledge and
the engine's tokens, loads what it saves, says clearly when its file is
damaged, and as the engine's second opinion completes follow-ups worded
the knowledge's own way never does, without answering what is not the
knowledge's."""

from __future__ import annotations

import gzip
import math
from dataclasses import replace
from pathlib import Path

import pytest

from bot.builtins import respond_turn
from bot.context import Turn
from bot.engine import Answer, Decline, Engine, Thresholds
from bot.evaluate import follow_up_counts, read_cases
from bot.knowledge import KnowledgeBase
from bot.occupations import names_occupation
from bot.topics import TopicModel, features

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)


@pytest.fixture(scope="module")
def without(kb: KnowledgeBase) -> Engine:
    return Engine(kb, Thresholds(topic_model=False))


def test_features_are_words_pairs_tokens_and_the_last_turns_tokens() -> None:
    got = features(["how", "much", "pay"], ["salary"], ["datascientist"])
    assert got == ["how", "much", "pay", "how much", "much pay", "K_salary", "P_datascientist"]
    assert features([], []) == []


def test_the_shipped_model_knows_every_topic_of_the_knowledge(engine: Engine, kb: KnowledgeBase) -> None:
    """A topic added to the knowledge without retraining
    (benchmarks/train_topics.py) fails here."""
    assert engine.topic_model is not None
    assert set(engine.topic_model.topics) == {e.topic for e in kb.entries} | {"none"}


def test_the_shipped_model_fits_the_engines_tokens(engine: Engine, kb: KnowledgeBase) -> None:
    """The model reads the knowledge's own phrasings as their topics, and
    knows most of their features: a change to the engine's tokens (stems,
    synonyms) without retraining shows here."""
    model = engine.topic_model
    assert model is not None
    known = total = right = asked = 0
    for entry in kb.entries:
        for q in entry.questions:
            feats = engine.topic_features(engine.hear(q))
            total += len(feats)
            known += sum(f in model.index for f in feats)
            asked += 1
            right += model.probabilities(feats)[0][0] == entry.topic
    # (word pairs seen once are left out of the model: about an eighth)
    assert known / total >= 0.8, f"{known / total:.1%} of the phrasings' features known"
    assert right / asked >= 0.95, f"{right / asked:.1%} of the phrasings read as their topic"


def test_probabilities_add_up_and_rank(engine: Engine) -> None:
    assert engine.topic_model is not None
    ranked = engine.topic_model.probabilities(features(["how", "much", "do", "they", "earn"], ["salary"]))
    assert math.isclose(sum(p for _, p in ranked), 1.0, rel_tol=1e-6)
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    assert ranked[0][0] == "salary"
    # nothing it knows: the intercepts alone, still a distribution
    assert math.isclose(sum(p for _, p in engine.topic_model.probabilities(["zzqx"])), 1.0, rel_tol=1e-6)


def test_a_model_saved_loads_the_same(tmp_path: Path) -> None:
    model = TopicModel(
        ["pay", "none"],
        [0.1, -0.1],
        {"earn": 1.5, "weather": 2.0, "K_salary": 1.2},
        {"earn": [(0, 2.0)], "weather": [(1, 3.0)], "K_salary": [(0, 1.0), (1, -0.5)]},
    )
    path = tmp_path / "m.json.gz"
    model.save(path)
    loaded = TopicModel.load(path)
    assert loaded.topics == model.topics
    assert loaded.weights() == model.weights()
    for feats in (["earn"], ["weather"], ["earn", "K_salary", "weather"]):
        for (t1, p1), (t2, p2) in zip(model.probabilities(feats), loaded.probabilities(feats), strict=True):
            assert t1 == t2 and math.isclose(p1, p2, rel_tol=1e-6)
    assert loaded.probabilities(["earn"])[0][0] == "pay"
    assert loaded.probabilities(["weather"])[0][0] == "none"


def test_a_model_that_does_not_fit_together_is_refused() -> None:
    with pytest.raises(ValueError, match="2 topics but 1 intercepts"):
        TopicModel(["a", "b"], [0.0], {}, {})
    with pytest.raises(ValueError, match="weighs topic 5"):
        TopicModel(["a"], [0.0], {"x": 1.0}, {"x": [(5, 1.0)]})


@pytest.mark.parametrize(
    "content",
    [b"not gzip at all", gzip.compress(b"{}", mtime=0), gzip.compress(b'{"topics": [', mtime=0)],
    ids=["not-gzip", "no-fields", "cut-short"],
)
def test_a_damaged_model_file_names_itself_and_the_fix(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "topic_model.json.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"topic_model\.json\.gz.*train_topics\.py"):
        TopicModel.load(path)


def _turn_after(engine: Engine, first: str | None) -> Turn | None:
    """The conversation's turn once `first` is answered (None: no conversation)."""
    if first is None:
        return None
    _, turn = respond_turn(engine, first)
    assert turn is not None
    return turn


FIRST = "what's the difference between a data scientist and an ML engineer?"
# Follow-ups that ask for another topic in everyday words (none of them a
# tuning set's line).
NEW_TOPIC_FOLLOW_UPS = [
    ("walk me through a real project with both", "example"),
    ("which one would suit someone who loves maths", "choosing"),
    ("do I need a degree for either", "education"),
    ("could one of them later move into the other job", "switching"),
    ("is there some comparison with everyday life that makes it stick", "analogy"),
    ("so will there still be openings for them in ten years", "demand"),
]


@pytest.mark.parametrize(("question", "topic"), NEW_TOPIC_FOLLOW_UPS)
def test_a_follow_up_in_everyday_words_gets_its_topic(engine: Engine, question: str, topic: str) -> None:
    _, turn = respond_turn(engine, FIRST)
    assert turn is not None
    result = engine.match(question, turn)
    assert isinstance(result, Answer), engine.topic_opinion(engine.hear(question), turn)[:3]
    assert result.entry.topic == topic


@pytest.mark.parametrize("name", ["tune11", "tune12"])
def test_the_topic_model_adds_answers_the_rules_missed(engine: Engine, without: Engine, name: str) -> None:
    """On conversations written by other people than the knowledge's
    curator, the engine with its second opinion gets more of the follow-up
    turns right than without it, with no more wrong, and answers no more of
    the off-topic turns. (The shipped model was fitted on these sets, so this
    checks that it is wired in and helps; how it does on sets it was not
    fitted on, `benchmarks/train_topics.py` prints: leave one set out.)"""
    cases = read_cases(DATA / f"{name}.tsv")
    with_model = follow_up_counts(engine, cases)
    rules = follow_up_counts(without, cases)
    n, right, wrong, false = with_model
    assert right >= rules[1] + n // 20, (with_model, rules)
    assert wrong <= rules[2]
    assert false <= rules[3]


@pytest.mark.parametrize(
    "question",
    [
        "what's the weather in london tomorrow",
        "set a timer for ten minutes",
        "thanks, that helps a lot",
        "when is my next pay day",
        "how do I rebase a branch in git",
        "what's a good recipe for banana bread",
    ],
)
def test_context_and_the_topic_model_never_answer_what_is_not_ours(engine: Engine, question: str) -> None:
    for first in (FIRST, "how much do data scientists make?", "what does an ML engineer do all day?"):
        _, turn = respond_turn(engine, first)
        assert isinstance(engine.match(question, turn), Decline), (first, question)
    assert isinstance(engine.match(question), Decline), question


def test_a_sure_topic_model_moves_the_rules_answer(engine: Engine, without: Engine) -> None:
    """Wherever the engine's answer differs from the rules' alone, it is the
    topic the model is sure of (at least `topic_overrule`)."""
    questions = [q for e in engine.kb.entries for q in e.questions[:3]] + [q for q, _ in NEW_TOPIC_FOLLOW_UPS]
    moved = 0
    for q in questions:
        mine, rules = engine.match(q), without.match(q)
        if isinstance(mine, Answer) and (not isinstance(rules, Answer) or rules.entry.topic != mine.entry.topic):
            moved += 1
            topic, p = engine.topic_opinion(engine.hear(q))[0]
            assert topic == mine.entry.topic, q
            assert p >= min(engine.t.topic_overrule, engine.t.topic_answer), q
    assert moved < len(questions) // 10


@pytest.mark.parametrize(
    ("first", "follow_up", "topic"),
    [
        ("what tools do ML engineers use?", "what about go or rust", "tools"),
        ("should a startup hire a DS or an MLE?", "pros and cons of one full-stack person", "team-structure"),
        ("what skills does an MLE need?", "kubernetes first or docker first", "tools"),
    ],
)
def test_a_follow_up_the_follow_up_models_gate_keeps_out_is_answered_by_a_sure_topic_model(
    engine: Engine, first: str, follow_up: str, topic: str
) -> None:
    """The follow-up model's gate (`Engine._may_pick`: a thing of its own,
    a how-to, a word it does not know) keeps these from it; the topic model,
    sure of the conversation's topic and reading the message alone as ours,
    answers them."""
    _, turn = respond_turn(engine, first)
    assert turn is not None  # follow_up_candidates takes a turn
    heard = engine.hear(follow_up)
    rules = engine.match_rules(follow_up, turn)
    assert isinstance(rules, Decline)
    candidates = engine.follow_up_candidates(heard, turn, rules)
    assert candidates and not engine._may_pick(candidates[0].features)
    answer = engine.match(follow_up, turn)
    assert isinstance(answer, Answer) and answer.entry.topic == topic


@pytest.mark.parametrize(
    ("first", "follow_up", "topic", "moved"),
    [
        # the last answer again, unless the topic model is sure the message asks something else
        ("what tools do ML engineers use?", "how long does that usually take", "switching", True),
        ("who deploys models, DS or MLE?", "so is it a small company thing?", "team-structure", True),
        ("DS vs MLE: what is the difference?", "is it normal that one person does both?", "team-structure", True),
        ("what does a data scientist do?", "why?", "data-scientist", False),
        ("what does a data scientist do?", "like what?", "data-scientist", False),
        ("how much do ML engineers make?", "is that normal?", "salary", False),
    ],
)
def test_the_last_answer_again_gives_way_only_to_a_sure_topic_model(
    kb: KnowledgeBase, engine: Engine, first: str, follow_up: str, topic: str, moved: bool
) -> None:
    _, turn = respond_turn(engine, first)
    assert turn is not None
    answer = engine.match(follow_up, turn)
    assert isinstance(answer, Answer) and answer.entry.topic == topic
    # with the bar above 1 the rules' answer (the last one again) stands
    sticky = Engine(kb, replace(engine.t, topic_overrule_last=1.01))
    kept = sticky.match(follow_up, turn)
    assert isinstance(kept, Answer) and kept.entry.id == turn.entry_id
    assert (answer.entry.id != turn.entry_id) == moved


@pytest.mark.parametrize(
    ("first", "follow_up", "topic"),
    [
        ("can a data scientist become an ML engineer?", "what do I need to learn first?", "skills"),
        ("how do DS and MLE work together?", "what goes wrong usually?", "working-together"),
        ("is the DS job market growing?", "remote jobs?", "demand"),
        # off-topic to the rules, and to the topic model too
        ("how much do data scientists make?", "what's the weather in montreal", None),
        ("is the DS job market growing?", "remote desktop not working", None),
    ],
)
def test_a_follow_up_the_rules_find_off_topic_is_answered_only_by_a_sure_topic_model(
    kb: KnowledgeBase, engine: Engine, first: str, follow_up: str, topic: str | None
) -> None:
    """Everyday words only ("what goes wrong usually?") or words the
    knowledge does not know: off-topic to the rules, the conversation's to
    a topic model `topic_answer_off_topic` sure (with the checks of the
    message read alone and without roles)."""
    turn = _turn_after(engine, first)
    rules = engine.match_rules(follow_up, turn)
    assert isinstance(rules, Decline) and rules.reason in ("off-topic", "unknown-words")
    answer = engine.match(follow_up, turn)
    assert (answer.entry.topic if isinstance(answer, Answer) else None) == topic
    strict = Engine(kb, replace(engine.t, topic_answer_off_topic=1.01))
    assert isinstance(strict.match(follow_up, turn), Decline) or topic is None


@pytest.mark.parametrize(
    ("first", "follow_up", "topic"),
    [
        ("what does a data scientist do?", "as opposed to an ML engineer?", "difference"),
        ("what is an ML engineer?", "vs a DS?", "difference"),
        ("what is a data scientist?", "and compared with an MLE?", "difference"),
        ("how much do data scientists earn?", "vs ML engineers?", "salary"),
        ("what tools does an ML engineer use?", "compared with a data scientist?", "tools"),
    ],
)
def test_the_other_role_set_against_the_last_answer_is_the_rules_reading(
    engine: Engine, first: str, follow_up: str, topic: str
) -> None:
    """A follow-up that only sets the other role against the last answer's
    ("vs a DS?", "as opposed to an ML engineer?") asks the last question of
    both roles: after a role's own entry, the difference. The topic model,
    which reads such a message as the role it names, does not move it."""
    turn = _turn_after(engine, first)
    answer = engine.match(follow_up, turn)
    assert isinstance(answer, Answer) and answer.entry.topic == topic, engine.topic_opinion(
        engine.hear(follow_up), turn
    )[:2]
    if topic == "difference":
        assert answer.settled


@pytest.mark.parametrize(
    ("first", "question"),
    [
        (None, "is your info current"),
        (None, "are you using real sources"),
        (None, "which topics do you know about"),
        (None, "how current is your info"),
        ("what does a data scientist do?", "how recent is your info"),
    ],
)
def test_a_question_about_the_bot_the_rules_decline_is_answered_by_a_sure_topic_model(
    kb: KnowledgeBase, engine: Engine, first: str | None, question: str
) -> None:
    """Asked of the bot in words its own entry is not asked with (small talk
    to the rules, or too low a score), the question gets the entry about the
    bot when the topic model is `topic_answer_about` sure; with the bar above
    1 it is declined, as before."""
    turn = _turn_after(engine, first)
    answer = engine.match(question, turn)
    assert isinstance(answer, Answer) and answer.entry.topic == "about"
    topic, p = engine.topic_opinion(engine.hear(question), turn)[0]
    assert topic == "about" and p >= engine.t.topic_answer_about
    strict = Engine(kb, replace(engine.t, topic_answer_about=1.01))
    assert isinstance(strict.match(question, turn), Decline)


@pytest.mark.parametrize(
    ("first", "question"),
    [
        (None, "write me a cover letter for an MLE job"),
        ("what does an ML engineer do?", "do you know a good python course"),
        ("what does an ML engineer do?", "can you make me a poster for it"),
        ("how much do data scientists make?", "know any good book on design patterns?"),
    ],
)
def test_an_answer_the_topic_model_reads_as_nothing_of_ours_is_declined(
    kb: KnowledgeBase, engine: Engine, first: str | None, question: str
) -> None:
    """A task for the bot or a recommendation asked of it ("know any good
    book on ...") shares words with an entry, and the rules would answer it;
    the topic model, `topic_veto` sure it is nothing of ours, declines it,
    offering the entry. With the bar above 1 the rules' answer stands."""
    turn = _turn_after(engine, first)
    declined = engine.match(question, turn)
    assert isinstance(declined, Decline) and declined.reason == "not-ours"
    topic, p = engine.topic_opinion(engine.hear(question), turn)[0]
    assert topic == "none" and p >= engine.t.topic_veto
    lenient = Engine(kb, replace(engine.t, topic_veto=1.01))
    answered = lenient.match(question, turn)
    assert isinstance(answered, Answer)
    assert declined.suggestions and declined.suggestions[0].id == answered.entry.id


def test_a_word_naming_another_occupation_is_a_feature_of_its_own() -> None:
    """ "OCC" once for each: what the model learns of nurses and chefs holds
    for the occupations its data never named."""
    assert features(["and", "nurses"], ["nurs"], occupations=1)[-1] == "OCC"
    assert "OCC" not in features(["and", "nurses"], ["nurs"])
    for word in ("nurse", "nurses", "dentists", "secretaries", "firefighter", "waitresses"):
        assert names_occupation(word), word
    # the roles, their neighbours and backgrounds of ours, and words more often something else
    for word in ("engineer", "analysts", "statistician", "physicist", "driver", "cleaner", "miner", "pilot", "nursery"):
        assert not names_occupation(word), word


@pytest.mark.parametrize(
    ("first", "question"),
    [
        ("what skills does an ML engineer need?", "what skills does a dentist need then"),
        ("how much do data scientists make?", "and how much do plumbers make"),
        ("what does a data scientist do all day?", "what does a typical week look like for a firefighter"),
        ("what tools do ML engineers use?", "what tools does a carpenter use"),
        ("is a degree needed to be a data scientist?", "do pharmacists need a degree"),
    ],
)
def test_a_follow_up_about_another_occupation_is_declined(
    kb: KnowledgeBase, engine: Engine, first: str, question: str
) -> None:
    """Context completes a question about the roles; it does not turn one
    about somebody else into an answer. The entry is offered."""
    turn = _turn_after(engine, first)
    assert turn is not None and engine.about_another_occupation(engine.hear(question), turn)
    declined = engine.match(question, turn)
    assert isinstance(declined, Decline), (first, question)
    lenient = Engine(kb, replace(engine.t, other_occupations=False, topic_veto=1.01))
    answered = lenient.match(question, turn)
    if isinstance(answered, Answer):
        assert declined.suggestions and declined.suggestions[0].id == answered.entry.id


@pytest.mark.parametrize(
    ("first", "question", "topic"),
    [
        ("what's a good analogy for DS vs MLE?", "so who is the chef", "analogy"),
        (
            "how do I switch from data science to ML engineering?",
            "i'm a nurse, how long would the switch take me",
            "switching",
        ),
    ],
)
def test_an_occupation_named_by_the_asker_or_an_analogy_is_not_someone_else(
    engine: Engine, first: str, question: str, topic: str
) -> None:
    turn = _turn_after(engine, first)
    assert turn is not None and not engine.about_another_occupation(engine.hear(question), turn)
    answered = engine.match(question, turn)
    assert isinstance(answered, Answer) and answered.entry.topic == topic, (first, question, answered)
