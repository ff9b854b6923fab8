"""Learn the topic model (bot/topics.py) from the knowledge and the tuning sets.

Examples: every phrasing of the knowledge, labelled with its entry's topic,
and every row of the tuning sets in tests/data (never the report-only blind
and fresh sets), labelled with the topics it expects (a row expecting two
weighs half on each); the rows that expect a decline (near misses such as
"how do I version my code with git", off-topic chat) are the class "none",
and so are the lines of tests/data/offtopic.txt (each also after a
knowledge phrasing, as a follow-up), so the model learns what is not the
knowledge's. A conversation's later turns carry the tokens of the turn
before and the topic it expects. A multinomial logistic regression
(scikit-learn) over TF-IDF weighted features (`Engine.topic_features`);
weights under `--prune` are dropped, and the model is written to
bot/topic_model.json.gz.

First it prints, per tuning set, how the engine does on it with the topic
model fitted on the *other* sets (leave one set out), beside the engine
without it: single questions and follow-up turns apart, right / wrong
topic, and off-topic rows answered. Run after changing the knowledge, the
engine's tokens or the tuning sets:

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python benchmarks/train_topics.py [--check] [--quick]

`--check` writes nothing; `--quick` skips the leave-one-set-out figures.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine, Thresholds  # noqa: E402
from bot.evaluate import Case, evaluate, read_cases  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.topics import MODEL_PATH, TopicModel  # noqa: E402

DATA = ROOT / "tests" / "data"
# Everyday messages that are not the knowledge's (assistant requests, small
# talk, office chatter, words of ours meaning something else: "pay day",
# "deploy troops"), written blind for this model; never CLINC150, which
# measures the off-topic rate.
OFFTOPIC = DATA / "offtopic.txt"
REPORT_ONLY = ("blind", "fresh")
C = 10.0  # inverse L2 penalty
MIN_DF = 2  # a feature seen in fewer examples is left out
DEFAULT_PRUNE = 0.2

Example = tuple[list[str], str, float]  # features, topic, weight


def tuning_sets() -> list[Path]:
    return sorted(p for p in DATA.glob("*.tsv") if not p.stem.startswith(REPORT_ONLY))


def examples(engine: Engine, cases: list[Case]) -> list[Example]:
    """The rows of a tuning set; each later turn of a conversation with the
    last turn's tokens and the topic it expects (its writer's, not the
    engine's: fitted on the engine's own answers, the model does about as
    well and keeps a conversation's topic less often, as in "is that in
    Europe?" after a PhD question)."""
    out: list[Example] = []
    last: dict[str, tuple[list[str], str]] = {}  # a conversation's last tokens and topic
    for case in cases:
        context, last_topic = last.get(case.conversation, ([], "")) if case.conversation else ([], "")
        heard = engine.hear(case.question, last_topic or None)
        if case.conversation:
            said = sorted(t for t in case.expected if t != "none")
            last[case.conversation] = (heard.tokens, said[0] if said else last_topic)
        topics = sorted(case.expected)
        if not topics or ("none" in topics and len(topics) > 1):
            continue
        feats = engine.topic_features(heard, context, last_topic=last_topic)
        out += [(feats, topic, 1.0 / len(topics)) for topic in topics]
    return out


def knowledge_examples(engine: Engine) -> list[Example]:
    out: list[Example] = []
    for entry in engine.kb.entries:
        for q in entry.questions:
            out.append((engine.topic_features(engine.hear(q)), entry.topic, 1.0))
    return out


def offtopic_examples(engine: Engine) -> list[Example]:
    """The off-topic messages (OFFTOPIC), class "none": each alone, and
    each again as a follow-up, after one of the knowledge's phrasings in turn
    (so that the last turn's tokens alone never make a topic)."""
    firsts = [(engine.hear(entry.questions[0]).tokens, entry.topic) for entry in engine.kb.entries]
    out: list[Example] = []
    lines = [line.strip() for line in OFFTOPIC.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, line in enumerate(lines):
        heard = engine.hear(line)
        out.append((engine.topic_features(heard), "none", 1.0))
        context, topic = firsts[i % len(firsts)]
        out.append((engine.topic_features(heard, context, last_topic=topic), "none", 1.0))
    return out


def fit(data: list[Example], prune: float) -> TopicModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=lambda feats: feats, sublinear_tf=True, min_df=MIN_DF)
    x = vec.fit_transform([f for f, _, _ in data])
    clf = LogisticRegression(C=C, max_iter=5000)
    clf.fit(x, [t for _, t, _ in data], sample_weight=[w for _, _, w in data])
    names = vec.get_feature_names_out()
    weights: dict[str, list[tuple[int, float]]] = {}
    for c, row in enumerate(clf.coef_):
        for i, w in enumerate(row):
            if abs(w) >= prune:
                weights.setdefault(str(names[i]), []).append((c, round(float(w), 4)))
    idf = {str(n): round(float(v), 5) for n, v in zip(names, vec.idf_, strict=True)}
    return TopicModel([str(t) for t in clf.classes_], [round(float(b), 4) for b in clf.intercept_], idf, weights)


def counts(engine: Engine, cases: list[Case]) -> tuple[list[int], list[int]]:
    """([single questions, right, wrong], [follow-up turns, right, wrong]) in
    scope, and off-topic rows answered (last of each)."""
    report = evaluate(engine, cases)
    single, later = [0, 0, 0, 0], [0, 0, 0, 0]
    for o in report.outcomes:
        row = later if id(o.case) in report.follow_ups else single
        if "none" in o.case.expected:
            row[3] += o.kind == "false-answer"
            continue
        row[0] += 1
        row[1] += o.kind == "right"
        row[2] += o.kind == "wrong-topic"
    return single, later


def leave_one_out(
    kb_data: list[Example], sets: dict[str, list[Case]], per_set: dict[str, list[Example]], prune: float
) -> None:
    kb = load_knowledge()
    without = Engine(kb, Thresholds(topic_model=False))
    print(f"{'held out':<11}{'single: without':>22}{'with':>14}{'follow-ups: without':>26}{'with':>14}")
    totals = [[0] * 4 for _ in range(4)]
    for name, cases in sets.items():
        model = fit(kb_data + [e for other, ex in per_set.items() if other != name for e in ex], prune)
        engine = Engine(kb)
        engine.topic_model = model
        rows = [*counts(without, cases), *counts(engine, cases)]
        rows = [rows[0], rows[2], rows[1], rows[3]]  # single without/with, follow-ups without/with
        totals = [[a + b for a, b in zip(t, r, strict=True)] for t, r in zip(totals, rows, strict=True)]
        print(f"{name:<11}" + "".join(_cell(r) for r in rows))
    print(f"{'all':<11}" + "".join(_cell(r) for r in totals))


def _cell(row: list[int]) -> str:
    n, right, wrong, false = row
    if not n:
        return f"{'-':>20}"
    return f"{n:>4} {right / n:>6.1%} {wrong / n:>5.1%} +{false:<2}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prune", type=float, default=DEFAULT_PRUNE, help="drop weights under this (absolute)")
    ap.add_argument("--check", action="store_true", help="print the figures, write nothing")
    ap.add_argument("--quick", action="store_true", help="skip the leave-one-set-out figures")
    args = ap.parse_args()
    engine = Engine(load_knowledge(), replace(Thresholds(), topic_model=False))
    kb_data = knowledge_examples(engine)
    sets = {p.stem: read_cases(p) for p in tuning_sets()}
    per_set = {name: examples(engine, cases) for name, cases in sets.items()}
    kb_data += offtopic_examples(engine)
    print(
        f"{len(kb_data)} phrasings and off-topic lines,"
        f" {sum(map(len, per_set.values()))} tuning rows from {len(sets)} sets"
    )
    if not args.quick:
        leave_one_out(kb_data, sets, per_set, args.prune)
    if args.check:
        return
    model = fit(kb_data + [e for ex in per_set.values() for e in ex], args.prune)
    model.save()
    n = len(model.values)
    print(f"wrote {MODEL_PATH.relative_to(ROOT)}: {len(model.topics)} topics, {len(model.idf)} features, {n} weights")


if __name__ == "__main__":
    main()
