"""Start-up: `role-diff ask "..."` as a fresh process, printed as figures.

In one run, interleaved so machine noise hits every variant alike:
  - baseline: a bare `python -c pass` (the interpreter's own start-up);
  - `role-diff ask "..."` with default settings: logging on (the default
    SQLite file, here under a temporary XDG_DATA_HOME so no real log grows),
    warm engine cache (the usual case: the cache is written by the first run);
  - the same with `--no-log`;
  - the same with logging on and a cold cache (a new XDG_CACHE_HOME each run:
    the first run after installing or changing the knowledge or the code);
  - a reference: `python -c` writing one row with the standard library's
    sqlite3 (what a one-shot log row costs without SQLAlchemy).
Output goes to a pipe, as in scripts. Prints min / median / max wall ms and
the median CPU ms (user + system; steadier than wall time on a busy machine).

Run: ./dev bench   (or .venv/bin/python benchmarks/startup.py [RUNS])
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "what does an ML engineer do"
# What one log row costs a fresh process with the standard library's sqlite3
# (a reference for the one-shot log path; the log itself is bot/log.py).
SQLITE_ROW = (
    "import os, sqlite3; c = sqlite3.connect(os.path.join(os.environ['XDG_DATA_HOME'], 'ref.sqlite3')); "
    "c.execute('create table if not exists q (asked_at text, question text)'); "
    "c.execute(\"insert into q values (datetime('now'), 'what does an ML engineer do')\"); c.commit()"
)


def role_diff() -> list[str]:
    script = Path(sys.executable).parent / "role-diff"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_ms(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms): CPU time is less disturbed by other load on the machine."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=False)
    ms = (time.perf_counter() - t0) * 1000
    cpu = (_children_cpu() - cpu0) * 1000
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.decode()[-500:]}")
    return ms, cpu


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    tmp = Path(tempfile.mkdtemp(prefix="role-diff-bench-"))
    (tmp / "data").mkdir()
    try:
        # As installed: compiled bytecode is written and used (some shells set PYTHONDONTWRITEBYTECODE).
        drop = ("ROLE_DIFF_", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env.update(XDG_DATA_HOME=str(tmp / "data"), XDG_CACHE_HOME=str(tmp / "cache"))
        ask = [*role_diff(), "ask", QUESTION]
        variants: dict[str, tuple[list[str], bool]] = {
            "bare python -c pass (baseline)": ([sys.executable, "-c", "pass"], False),
            "role-diff ask, log on (default), warm cache": (ask, False),
            "role-diff ask --no-log, warm cache": ([*ask[:-1], "--no-log", QUESTION], False),
            "role-diff ask, log on, cold cache": (ask, True),
            "reference: python + one stdlib sqlite3 row": ([sys.executable, "-c", SQLITE_ROW], False),
        }
        wall_ms(ask, env)  # writes the cache and creates the log database
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for i in range(runs):
            for name, (cmd, cold) in variants.items():
                run_env = {**env, "XDG_CACHE_HOME": str(tmp / f"cold{i}")} if cold else env
                times[name].append(wall_ms(cmd, run_env))
        base = statistics.median(w for w, _ in times["bare python -c pass (baseline)"])
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"role-diff ask as a fresh process, {runs} runs each, stdout a pipe; load average {load:.1f}")
        print(f"{'what':46} {'wall min':>8} {'median':>7} {'max':>7} {'- baseline':>10} {'CPU median':>10}")
        for name, ts in times.items():
            walls = [w for w, _ in ts]
            med = statistics.median(walls)
            cpu = statistics.median(c for _, c in ts)
            print(f"{name:46} {min(walls):8.0f} {med:7.0f} {max(walls):7.0f} {med - base:10.0f} {cpu:10.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
