"""The curator's report: the figures of the interaction log, read in SQL.

Every count is an aggregate query (SQLAlchemy Core on the log's tables), so
the report's cost grows with the number of days, platforms and entries, not
with the number of questions: Python only sees grouped rows. The two places
that look at single rows are bounded: the declined questions are grouped by
text in SQL and only the `MAX_DISTINCT` most frequent distinct ones are
clustered; and the questions behind a 👎 are looked up for at most
`EXAMPLES` votes per entry.

Feedback counts once per person and entry: the last 👍/👎 a user gave an
entry in the period wins (votes without a user each count).

`figures()` returns plain data (what `role-diff report --json` prints);
`bot/report_html.py` turns it into the HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Engine
    from .log import Unanswered

MAX_DISTINCT = 2000  # most frequent distinct declined questions that are clustered
CLUSTER_RATIO = 90  # token-sort similarity (0-100) that makes two questions one cluster
MAX_VARIANTS = 20  # variants kept per cluster
EXAMPLES = 3  # questions shown per entry that led to a 👎
OUTCOMES = ("answered", "declined", "builtin")
# Console control input that older versions logged as a question.
CONTROL_INPUT = frozenset({"+", "-", "quit", "exit", "bye", ":q", "/quit", "/exit"})


class ReportError(Exception):
    """The log cannot be read; the message says why and what to do."""


def _aware(at: Any) -> datetime | None:
    if isinstance(at, str):  # an aggregate over a DateTime column comes back as text on SQLite
        at = datetime.fromisoformat(at)
    if isinstance(at, datetime) and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at if isinstance(at, datetime) else None


def is_control_input(text: str) -> bool:
    t = text.strip().casefold()
    return t in CONTROL_INPUT or t.isdigit()


def open_log(url: str) -> Any:
    """A SQLAlchemy engine on an existing log (never creates one)."""
    import sqlalchemy as sa

    if not url:
        raise ReportError("no interaction log is configured (set ROLE_DIFF_DATABASE_URL, or ROLE_DIFF_LOG=on)")
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if str(path) not in ("", ":memory:") and not path.is_file():
            raise ReportError(f"no interaction log at {path}: nothing has been recorded yet")
    from .log import _tables

    _, _, questions, feedback, _ = _tables()
    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        raise ReportError(f"cannot open the interaction log: {_describe(exc)}") from None
    for table in (questions, feedback):
        try:
            with engine.connect() as conn:
                conn.execute(sa.select(table.c.id).limit(1)).all()
        except Exception as exc:
            engine.dispose()
            raise ReportError(
                f"cannot read the {table.name} table of the interaction log ({url.split('://')[0]}): {_describe(exc)}"
            ) from None
    return engine


def _describe(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# -- clustering -----------------------------------------------------------------


@dataclass
class _Cluster:
    key: str
    question: str
    count: int
    last: datetime | None
    variants: list[str]


def cluster_questions(rows: Iterable[tuple[str, int, datetime | None]]) -> list[_Cluster]:
    """Group near-identical questions: the same content words
    (`question_key`) or a token-sort similarity of at least CLUSTER_RATIO.
    `rows` are distinct questions with their counts, most frequent first;
    a cluster is named after its most frequent question."""
    from rapidfuzz import fuzz, process

    from .text import question_key, token_sort_key

    clusters: list[_Cluster] = []
    by_key: dict[str, _Cluster] = {}
    by_len: dict[int, list[str]] = {}  # cluster keys by length
    # Two strings whose lengths differ by more than this share cannot reach
    # CLUSTER_RATIO (an indel ratio), so only keys of near length are compared.
    spread = (100 - CLUSTER_RATIO) / (100 + CLUSTER_RATIO)
    for text, count, last in rows:
        if is_control_input(text):
            continue
        key = question_key(text) or text.casefold().strip()
        found = by_key.get(key)
        if found is None:
            sorted_key = token_sort_key(key)  # token-sort similarity as ratio(): each key sorted once
            found = by_key.get(sorted_key)
            low, high = int(len(key) * (1 - spread)), int(len(key) / (1 - spread)) + 1
            for size in range(low, high + 1) if found is None else ():
                bucket = by_len.get(size)
                if bucket:
                    hit = process.extractOne(
                        sorted_key, bucket, scorer=fuzz.ratio, processor=None, score_cutoff=CLUSTER_RATIO
                    )
                    if hit is not None:
                        found = by_key[hit[0]]
                        break
            if found is None:
                found = _Cluster(key, text, 0, last, [])
                clusters.append(found)
                by_key[sorted_key] = found
                by_len.setdefault(len(sorted_key), []).append(sorted_key)
            by_key[key] = found
        found.count += count
        if last is not None and (found.last is None or last > found.last):
            found.last = last
        if len(found.variants) < MAX_VARIANTS and text not in found.variants:
            found.variants.append(text)
    clusters.sort(key=lambda c: (-c.count, c.question))
    return clusters


# -- queries --------------------------------------------------------------------


def _day(sa: Any, dialect: str, column: Any) -> Any:
    """The UTC day of a timestamp as 'YYYY-MM-DD' text, in SQL."""
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS...' in UTC; the expression of ix_questions_day
        return sa.func.date(column)
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.cast(sa.func.date(column), sa.String)


@dataclass(frozen=True)
class Period:
    since: timedelta | None = None
    platform: str | None = None
    now: datetime | None = None

    @property
    def start(self) -> datetime | None:
        return (self.now or datetime.now(UTC)) - self.since if self.since is not None else None


def _where_questions(query: Any, questions: Any, period: Period, day: Any = None) -> Any:
    if period.start is not None:
        query = query.where(questions.c.asked_at >= period.start)
        if day is not None:  # lets SQLite seek in ix_questions_day
            query = query.where(day >= period.start.astimezone(UTC).strftime("%Y-%m-%d"))
    if period.platform:
        query = query.where(questions.c.platform == period.platform)
    return query


def declined_distinct(conn: Any, period: Period, limit: int = MAX_DISTINCT) -> tuple[list[tuple[str, int, Any]], int]:
    """The `limit` most frequent distinct declined questions (text, count,
    last asked) and how many distinct declined questions there are."""
    from .log import _tables

    sa, _, questions, _, _ = _tables()
    n = sa.func.count().label("n")
    query = sa.select(
        questions.c.question,
        n,
        sa.func.max(questions.c.asked_at).label("last"),
        sa.func.count().over().label("distinct_total"),
    ).where(questions.c.outcome == sa.literal_column("'declined'"))  # a literal: SQLite's partial index matches it
    query = _where_questions(query, questions, period)
    query = query.group_by(questions.c.question)
    query = query.order_by(n.desc(), sa.func.length(questions.c.question), questions.c.question).limit(limit)
    rows = conn.execute(query).all()
    total = int(rows[0].distinct_total) if rows else 0
    return [(r.question, int(r.n), _aware(r.last)) for r in rows], total


def unanswered_groups(
    db: Any, since: timedelta | None = None, limit: int = 50, platform: str | None = None
) -> list[Unanswered]:
    """What `role-diff unanswered` lists: the clusters of declined questions."""
    from .log import Unanswered

    with db.connect() as conn:
        rows, _ = declined_distinct(conn, Period(since, platform))
    return [
        Unanswered(c.question, c.count, c.last or datetime.now(UTC), tuple(c.variants))
        for c in cluster_questions(rows)[:limit]
    ]


def _closest(engine: Engine, question: str) -> dict[str, Any]:
    """The entry that came closest to a declined question, by today's knowledge."""
    from .engine import Answer

    result = engine.match(question)
    if isinstance(result, Answer):
        return {"entry_id": result.entry.id, "title": result.entry.title, "score": result.score, "kind": "answered-now"}
    scores = engine.analyse(question).scores
    if not scores:
        return {"entry_id": None, "title": None, "score": 0.0, "kind": "gap"}
    entry_id, score = scores[0][0], round(scores[0][1], 1)
    near = score >= engine.t.suggest
    return {
        "entry_id": entry_id,
        "title": engine.kb.by_id[entry_id].title,
        "score": score,
        "kind": "near" if near else "gap",
    }


def figures(
    db: Any,
    engine: Engine,
    period: Period,
    *,
    clusters: int = 30,
) -> dict[str, Any]:
    """Every figure of the report, as JSON-ready data."""
    from .log import _tables

    sa, _, questions, feedback, _ = _tables()
    now = period.now or datetime.now(UTC)
    period = Period(period.since, period.platform, now)
    dialect = db.dialect.name
    day = _day(sa, dialect, questions.c.asked_at).label("day")
    n = sa.func.count().label("n")
    with db.connect() as conn:
        # 1. One pass over the questions: counts by day, platform, outcome and entry.
        query = sa.select(day, questions.c.platform, questions.c.outcome, questions.c.entry_id, n)
        query = _where_questions(query, questions, period, day)
        query = query.group_by(day, questions.c.platform, questions.c.outcome, questions.c.entry_id)
        grouped = conn.execute(query).all()
        # 2. The declined questions, grouped by text in SQL.
        distinct_rows, distinct_total = declined_distinct(conn, period)
        # 3. Feedback: the last vote per person and entry.
        helpful = _helpfulness(conn, sa, questions, feedback, period)

    days: dict[str, dict[str, int]] = {}
    platforms: dict[str, dict[str, int]] = {}
    per_entry: dict[str, int] = {}
    totals = dict.fromkeys(OUTCOMES, 0)
    for d, platform, outcome, entry_id, count in grouped:
        outcome = outcome if outcome in totals else "builtin"
        days.setdefault(str(d), dict.fromkeys(OUTCOMES, 0))[outcome] += count
        platforms.setdefault(platform, dict.fromkeys(OUTCOMES, 0))[outcome] += count
        totals[outcome] += count
        if outcome == "answered" and entry_id:
            per_entry[entry_id] = per_entry.get(entry_id, 0) + count

    def rate(c: dict[str, int]) -> float | None:
        asked = c["answered"] + c["declined"]
        return round(c["answered"] / asked, 4) if asked else None

    cluster_list = cluster_questions(distinct_rows)
    shown = []
    for rank, c in enumerate(cluster_list[:clusters], start=1):
        shown.append(
            {
                "rank": rank,
                "question": c.question,
                "count": c.count,
                "last_asked": c.last.isoformat() if c.last else None,
                "variants": c.variants,
                "closest": _closest(engine, c.question),
            }
        )
    kb = engine.kb
    titles = {e.id: e.title for e in kb.entries}
    for item in helpful:
        item["title"] = titles.get(item["entry_id"])
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "period": {
            "since": period.start.isoformat(timespec="seconds") if period.start else None,
            "until": now.isoformat(timespec="seconds"),
            "platform": period.platform,
        },
        "totals": {"questions": sum(totals.values()), **totals, "answer_rate": rate(totals)},
        "days": [{"day": d, **c, "answer_rate": rate(c)} for d, c in sorted(days.items())],
        "platforms": [
            {"platform": p, "questions": sum(c.values()), **c, "answer_rate": rate(c)}
            for p, c in sorted(platforms.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "unanswered": {
            "distinct_questions": distinct_total,
            "clustered_questions": len(distinct_rows),
            "clusters_total": len(cluster_list),
            "clusters": shown,
        },
        "helpfulness": helpful,
        "answers_per_entry": dict(sorted(per_entry.items(), key=lambda kv: (-kv[1], kv[0]))),
        "never_matched": sorted(e.id for e in kb.entries if e.id not in per_entry),
    }


def _helpfulness(conn: Any, sa: Any, questions: Any, feedback: Any, period: Period) -> list[dict[str, Any]]:
    f = feedback.c
    voter = sa.case((f.user_hash.is_(None), "#" + sa.cast(f.id, sa.String)), else_=f.user_hash)
    ranked = sa.select(
        f.entry_id,
        f.helpful,
        f.user_hash,
        f.given_at,
        sa.func.row_number()
        .over(partition_by=(voter, f.entry_id), order_by=(f.given_at.desc(), f.id.desc()))
        .label("rn"),
    )
    if period.start is not None:
        ranked = ranked.where(f.given_at >= period.start)
    if period.platform:
        ranked = ranked.where(f.platform == period.platform)
    last = ranked.cte("last_vote")  # computed once, read twice
    up = sa.func.sum(sa.case((last.c.helpful == sa.true(), 1), else_=0))
    down = sa.func.sum(sa.case((last.c.helpful == sa.false(), 1), else_=0))
    counts_q = sa.select(
        last.c.entry_id, up.label("up"), down.label("down"), sa.null().label("user_hash"), sa.null().label("given_at")
    )
    counts_q = counts_q.where(last.c.rn == 1).group_by(last.c.entry_id)
    # The latest few 👎 per entry from known users, to find the question behind each.
    recent = sa.select(
        last.c.entry_id,
        last.c.user_hash,
        last.c.given_at,
        sa.func.row_number().over(partition_by=last.c.entry_id, order_by=last.c.given_at.desc()).label("k"),
    ).where(last.c.rn == 1, last.c.helpful == sa.false(), last.c.user_hash.is_not(None))
    recent_sq = recent.subquery("recent_down")
    downs_q = sa.select(recent_sq.c.entry_id, sa.null(), sa.null(), recent_sq.c.user_hash, recent_sq.c.given_at).where(
        recent_sq.c.k <= EXAMPLES
    )
    counts, downs = [], []
    for row in conn.execute(sa.union_all(counts_q, downs_q)):
        (downs if row.user_hash is not None else counts).append(row)
    counts = [(r.entry_id, r.up, r.down) for r in counts]
    examples = _questions_behind(conn, sa, questions, downs, period)
    out = []
    for entry_id, u, d in counts:
        u, d = int(u or 0), int(d or 0)
        out.append(
            {
                "entry_id": entry_id,
                "helpful": u,
                "unhelpful": d,
                "ratio": round(u / (u + d), 4) if u + d else None,
                "unhelpful_questions": examples.get(entry_id, []),
            }
        )
    out.sort(key=lambda x: (x["ratio"] if x["ratio"] is not None else 1.0, -x["unhelpful"], x["entry_id"]))
    return out


def _questions_behind(conn: Any, sa: Any, questions: Any, downs: Sequence[Any], period: Period) -> dict[str, list[str]]:
    """For each 👎 (entry, user, time), the last question that user asked which
    that entry answered before the vote."""
    if not downs:
        return {}
    q = questions.c
    query = sa.select(q.user_hash, q.entry_id, q.asked_at, q.question).where(
        q.outcome == "answered",
        sa.or_(
            *(sa.and_(q.user_hash == u, q.entry_id == e) for u, e in sorted({(d.user_hash, d.entry_id) for d in downs}))
        ),
    )
    query = _where_questions(query, questions, Period(None, period.platform))
    asked: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for user_hash, entry_id, at, text in conn.execute(query):
        asked.setdefault((user_hash, entry_id), []).append((_aware(at) or datetime.min.replace(tzinfo=UTC), text))
    for found in asked.values():
        found.sort(reverse=True)  # the latest first
    out: dict[str, list[str]] = {}
    for d in sorted(downs, key=lambda d: (d.entry_id, _aware(d.given_at)), reverse=True):
        given = _aware(d.given_at)
        for at, text in asked.get((d.user_hash, d.entry_id), []):
            if given is None or at <= given:
                if text not in out.setdefault(d.entry_id, []):
                    out[d.entry_id].append(text)
                break
    return out
