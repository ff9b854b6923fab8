"""How long `role-diff report` takes on a big log.

Generates an interaction log of N questions (default 1,000,000) in a SQLite
file with the log's own tables: 90 days, four platforms, 5,000 users, the
knowledge's phrasings as answered questions, a few hundred recurring
off-topic questions plus a long tail of one-off ones as declined questions,
built-ins, and feedback on about 3 % of answers (some people voting twice).
Then times, in the same run:

- the baseline: reading every question row once into Python (what any
  row-by-row report costs at least);
- the report's figures (SQL aggregation + clustering + closest entries);
- the HTML page (matplotlib charts);
- `role-diff report --html` as a fresh process, end to end.

    python benchmarks/report.py [--questions 1000000] [--keep PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.log import _tables  # noqa: E402
from bot.report import Period, figures, open_log  # noqa: E402

OFF_TOPIC = [
    "how do I reset my VPN password",
    "who is bringing snacks to standup",
    "what's the wifi password",
    "when is the next all hands",
    "how do I book a meeting room",
    "what is the difference between precision and recall",
    "how do I get access to the data warehouse",
    "what's the weather tomorrow",
    "can you recommend a good python course",
    "how much vacation do I have left",
    "how does a data engineer differ from an analytics engineer",
    "what does a research scientist do",
    "is a PhD required for a research scientist",
    "how do I request a new laptop",
    "what's the best GPU for deep learning",
    "how do I write a good resume",
    "what is a transformer model",
    "how do I do feature engineering",
    "explain gradient descent",
    "what is a p-value",
]
WORDS = (
    "how what why when where which who can should would our my team company data model pipeline deploy report "
    "dashboard metric budget hiring interview laptop access password meeting office travel policy release sprint "
    "ticket bug review design cloud cost cluster gpu notebook python sql spark airflow kafka schema query latency"
).split()
TWEAKS = ["", "?", " please", " pls", " ??", "!"]
BUILTINS = ["help", "topics", "compare", "compare pay", "sources", ""]
PLATFORMS = [("slack", 0.6), ("discord", 0.3), ("console", 0.08), ("cli", 0.02)]


def generate(path: Path, n: int, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    kb = load_knowledge()
    answered_pool = [(q, e.id, e.topic) for e in kb.entries for q in e.questions]
    declined_pool = [f"{base}{tweak}" for base in OFF_TOPIC for tweak in TWEAKS]
    tail_pool = [f"{base} at acme corp {i}" for i in range(300) for base in OFF_TOPIC[:2]]
    users = [f"{rng.getrandbits(256):064x}" for _ in range(5000)]
    platforms, weights = zip(*PLATFORMS, strict=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=90)
    span = (now - start).total_seconds()

    _, meta, _, _, _ = _tables()
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{path}")
    meta.create_all(engine)
    engine.dispose()
    import sqlite3

    con = sqlite3.connect(path)
    q_sql = (
        "INSERT INTO questions (asked_at, platform, user_hash, channel_kind, question, outcome, entry_id, topic,"
        " score, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )
    f_sql = "INSERT INTO feedback (given_at, platform, user_hash, entry_id, helpful) VALUES (?,?,?,?,?)"
    # A few entries people like less.
    disliked = {e.id for e in kb.entries[::7]}
    offsets = sorted(rng.random() * span for _ in range(n))
    chunk: list[tuple] = []
    votes: list[tuple] = []
    for off in offsets:
        at = start + timedelta(seconds=off)
        stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
        platform = rng.choices(platforms, weights)[0]
        user = rng.choice(users)
        r = rng.random()
        if r < 0.70:
            q, entry_id, topic = rng.choice(answered_pool)
            row = (stamp, platform, user, "channel", q, "answered", entry_id, topic, 80.0, 0.4)
            if rng.random() < 0.03:
                bad = 0.55 if entry_id in disliked else 0.15
                given = (at + timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
                votes.append((given, platform, user, entry_id, rng.random() >= bad))
                if rng.random() < 0.2:  # changed their mind: only the last vote counts
                    again = (at + timedelta(seconds=90)).strftime("%Y-%m-%d %H:%M:%S.%f")
                    votes.append((again, platform, user, entry_id, rng.random() >= 0.5))
        elif r < 0.90:
            d = rng.random()
            if d < 0.8:
                q = rng.choice(declined_pool)
            elif d < 0.9:
                q = rng.choice(tail_pool)
            else:
                q = " ".join(rng.sample(WORDS, 6)) + "?"  # a one-off question
            row = (stamp, platform, user, "dm", q, "declined", None, None, 30.0, 0.5)
        else:
            row = (stamp, platform, user, "command", rng.choice(BUILTINS), "builtin", None, None, None, 0.1)
        chunk.append(row)
        if len(chunk) == 50_000:
            con.executemany(q_sql, chunk)
            chunk.clear()
    if chunk:
        con.executemany(q_sql, chunk)
    con.executemany(f_sql, votes)
    con.commit()
    con.close()
    return n, len(votes)


def timed(fn, runs: int = 3) -> tuple[float, object]:
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated log at this path")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--log", type=Path, default=None, help="time an existing log instead of generating one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.log or args.keep or Path(tmp) / "big.sqlite3"
        if args.log is None:
            if path.exists():
                path.unlink()
            t0 = time.perf_counter()
            n, votes = generate(path, args.questions)
            print(
                f"generated {n:,} questions and {votes:,} votes in {time.perf_counter() - t0:.1f} s "
                f"({path.stat().st_size / 1e6:.0f} MB)",
                flush=True,
            )
        url = f"sqlite:///{path}"
        db = open_log(url)
        _, _, questions, _, _ = _tables()
        import sqlalchemy as sa

        def read_all() -> int:
            with db.connect() as conn:
                return len(conn.execute(sa.select(questions)).all())

        engine = Engine(load_knowledge())
        base, count = timed(read_all, args.runs)
        fig_time, data = timed(lambda: figures(db, engine, Period()), args.runs)
        from bot.report_html import render_html

        html_time, page = timed(lambda: render_html(data), args.runs)
        db.dispose()
        out = Path(tmp) / "report.html"
        env = {**os.environ, "ROLE_DIFF_DATABASE_URL": url}
        cli = [sys.executable, "-m", "bot.cli", "report", "--html", str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cli, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        cli_time = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        load = os.getloadavg()[0]
        t = data["totals"]
        print(
            f"log: {t['questions']:,} questions, {t['declined']:,} declined "
            f"({data['unanswered']['distinct_questions']:,} distinct), {len(data['days'])} days"
        )
        print(f"{'what':<52} {'seconds':>8}")
        print(f"{'baseline: read every question row once (median)':<52} {base:8.2f}   ({count:,} rows)")
        print(f"{'report figures: SQL aggregation + clusters (median)':<52} {fig_time:8.2f}")
        print(f"{'HTML page with 3 matplotlib charts (median)':<52} {html_time:8.2f}   ({len(page) // 1024} KB)")
        print(f"{'role-diff report --html, fresh process, end to end':<52} {cli_time:8.2f}   (target: under 10 s)")
        where = f"load average {load:.1f} on {os.cpu_count()} cores"
        print(f"{'  ... its CPU time (user + system)':<52} {cli_cpu:8.2f}   ({where})")


if __name__ == "__main__":
    main()
