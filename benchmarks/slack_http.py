"""`role-diff run slack --http` under a load of signed slash commands, on loopback.

Starts the real server as a subprocess (the interaction log on, as users run
it: a fresh SQLite file in a temporary directory, or --database-url; --no-log
turns it off), a fake Slack on 127.0.0.1 answering auth.test, a signing secret), then several concurrent
aiohttp clients send signed `/role-diff` commands at a bounded rate (default
100 requests/s for 20 s) and time each ack. The same load against a bare
aiohttp handler that returns a constant (another subprocess, another port) is
the baseline: what loopback, aiohttp and the load generator cost by
themselves. Figures only, no pass/fail: machines here are noisy.

Bounded in count (rate x duration requests, at most --clients in flight),
in time (5 s per request, the phase ends --duration + 10 s after it starts at
the latest), and to 127.0.0.1.

Run: ./dev bench   (or .venv/bin/python benchmarks/slack_http.py [--rate 100 --duration 20 --clients 8]
      [--no-log | --database-url postgresql+psycopg://...])
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import load_knowledge  # noqa: E402

SECRET = "0123456789abcdef0123456789abcdef"
BOT_TOKEN = "xoxb-bench-0000-notarealtoken"
REQUEST_TIMEOUT = 5.0
WARM_UP = 20  # requests before timing starts


# -- helpers -------------------------------------------------------------------------------


def sign(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def workload() -> list[str]:
    kb = load_knowledge()
    questions = [q for e in kb.entries for q in e.questions]
    questions += ["how do I bake sourdough", "what is the capital of peru", "help", "topics", "compare pay", ""]
    return questions


def command_body(text: str, i: int, response_url: str) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": "T0BENCH",
            "team_domain": "bench",
            "channel_id": "C0BENCH",
            "channel_name": "general",
            "user_id": f"U{i % 50:05d}",
            "user_name": "bench",
            "command": "/role-diff",
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": response_url,
            "trigger_id": f"{i}.1.2",
        }
    )


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def logged_rows(url: str) -> int | str:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            n = int(conn.execute(sa.text("SELECT count(*) FROM questions")).scalar_one())
        engine.dispose()
        return n
    except Exception as exc:  # a figure, not a test: say why there is none
        return f"? ({type(exc).__name__})"


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLE_DIFF_")) and "PROXY" not in k.upper()
    }
    env.update(PYTHONPATH=str(ROOT), **{"ROLE_DIFF_LOG": "off", **extra})
    return env


# -- the fake Slack and the baseline server ------------------------------------------------


async def start_fake_slack() -> tuple[web.AppRunner, int, list[str]]:
    """Answers auth.test (and records anything else the bot calls: it should call nothing)."""
    other: list[str] = []

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "team": "Bench", "user": "role-diff", "team_id": "T0BENCH",
                                      "user_id": "UBOT", "bot_id": "B0BOT"})  # fmt: skip
        other.append(method)
        return web.json_response({"ok": True})

    app = web.Application()
    app.add_routes([web.post("/api/{method}", api)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1], other  # type: ignore[union-attr]


def serve_baseline() -> None:
    """A bare aiohttp handler returning a constant ephemeral answer (run in its own process)."""
    body = json.dumps({"response_type": "ephemeral", "text": "constant", "blocks": []})

    async def events(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.add_routes([web.post("/slack/events", events)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"serving http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events", flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def start_server(args: list[str], env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if not line:
            break
        seen.append(line)
        m = re.search(r"serving (http://127\.0\.0\.1:\d+/slack/events)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise SystemExit("the server did not start:\n" + "".join(seen))


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# -- the load --------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu: float | None = None
    late: int = 0  # requests that could not start on schedule (all clients busy)

    def line(self) -> str:
        done = len(self.latencies)
        s = sorted(self.latencies) or [float("nan")]
        p50, p99 = s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.99))]
        cpu = f"{100 * self.cpu / self.elapsed:5.0f}%" if self.cpu is not None and self.elapsed else "    ?"
        return (
            f"{self.label:<34} {done / self.elapsed:7.1f} {p50:8.2f} {p99:8.2f} {s[-1]:8.2f} "
            f"{self.errors:6d} {self.late:5d} {cpu}"
        )


async def load(
    url: str, label: str, *, rate: float, duration: float, clients: int, questions: list[str], pid: int | None
) -> Result:
    total = int(rate * duration)
    result = Result(label)
    counter = iter(range(total))
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # warm-up: a few requests, not counted
        for i in range(WARM_UP):  # trigger ids of their own: a repeated trigger_id is a replay, acked with nothing
            body = command_body(questions[i % len(questions)], total + i, url.replace("/slack/events", "/response"))
            async with session.post(url, data=body, headers=sign(body)) as resp:
                await resp.read()
        cpu0 = cpu_seconds(pid) if pid else None
        start = time.perf_counter()
        hard_stop = start + duration + 10

        async def client() -> None:
            for i in counter:
                due = start + i / rate
                now = time.perf_counter()
                if now > hard_stop:
                    return
                if due > now:
                    await asyncio.sleep(due - now)
                elif now - due > 0.01:
                    result.late += 1
                body = command_body(questions[i % len(questions)], i, url.replace("/slack/events", "/response"))
                headers = sign(body)
                t0 = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        text = await resp.text()
                    ok = resp.status == 200 and json.loads(text).get("response_type") == "ephemeral"
                except (TimeoutError, aiohttp.ClientError, ValueError):
                    ok = False
                if ok:
                    result.latencies.append((time.perf_counter() - t0) * 1000)
                else:
                    result.errors += 1

        await asyncio.gather(*(client() for _ in range(clients)))
        result.elapsed = time.perf_counter() - start
        if pid and cpu0 is not None:
            cpu1 = cpu_seconds(pid)
            result.cpu = None if cpu1 is None else cpu1 - cpu0
    return result


async def main(args: argparse.Namespace) -> None:
    questions = workload()
    fake, fake_port, other_calls = await start_fake_slack()
    print(
        f"{int(args.rate * args.duration)} signed slash commands per server, target {args.rate:.0f}/s for "
        f"{args.duration:.0f} s, {args.clients} concurrent clients, loopback; {os.cpu_count()} CPUs\n"
    )
    header = (
        f"{'server':<34} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} {'late':>5} {'CPU':>6}"
    )
    print(header)
    print("-" * len(header))
    try:
        proc, url = await start_server([__file__, "--serve-baseline"], clean_env())
        try:
            r = await load(url, "baseline: bare aiohttp, constant", rate=args.rate, duration=args.duration,
                           clients=args.clients, questions=questions, pid=proc.pid)  # fmt: skip
            print(r.line(), flush=True)
        finally:
            await stop(proc)
        tmp = tempfile.TemporaryDirectory(prefix="role-diff-bench-")
        db_url = args.database_url or f"sqlite:///{tmp.name}/interactions.sqlite3"
        log_env = (
            {"ROLE_DIFF_LOG": "off"}
            if args.no_log
            else {"ROLE_DIFF_LOG": "on", "ROLE_DIFF_DATABASE_URL": db_url, "XDG_DATA_HOME": tmp.name}
        )
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=f"http://127.0.0.1:{fake_port}/api/",
            **log_env,
        )
        label = "role-diff run slack --http" + (" (no log)" if args.no_log else " (log on)")
        proc, url = await start_server(["-m", "bot.cli", "run", "slack", "--http", "--port", "0"], env)
        try:
            r = await load(url, label, rate=args.rate, duration=args.duration,
                           clients=args.clients, questions=questions, pid=proc.pid)  # fmt: skip
            print(r.line(), flush=True)
        finally:
            await stop(proc)
        if not args.no_log:
            print(
                f"\ninteraction log: {logged_rows(db_url)} rows for {len(r.latencies)} answered requests "
                f"+ {WARM_UP} warm-up requests"
            )
        tmp.cleanup()
    finally:
        await fake.cleanup()
    print(
        "\nreq/s: acks completed per second; latency: request sent -> ack body read; late: requests that "
        "started >10 ms behind schedule\n(all clients busy); CPU: the server process's CPU time / wall time."
    )
    if other_calls:
        print(f"note: the bot called {sorted(set(other_calls))} during the run")


if __name__ == "__main__":
    if "--serve-baseline" in sys.argv:
        serve_baseline()
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per server (default 20, at most 120)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8, at most 64)")
    parser.add_argument("--no-log", action="store_true", help="run the server with ROLE_DIFF_LOG=off")
    parser.add_argument("--database-url", default="", help="the interaction log's database (default: a temp SQLite)")
    ns = parser.parse_args()
    ns.duration = min(max(ns.duration, 1.0), 120.0)
    ns.clients = min(max(ns.clients, 1), 64)
    ns.rate = min(max(ns.rate, 1.0), 2000.0)
    asyncio.run(main(ns))
