"""The real Discord bot against the fake Discord on 127.0.0.1: interactions per
second answered, and latency from INTERACTION_CREATE sent to the callback
received (p50/p99). Figures only, no pass/fail: machines here are noisy.

In one run, on loopback only, bounded in count and time:
  1. baseline: the core alone (`RoleDiff.ask`), and the core plus rendering
     the embeds (no network);
  2. baseline: a trivial echo client (raw aiohttp websocket + HTTP, no
     discord.py) answering every INTERACTION_CREATE with a fixed callback:
     what the fake and loopback themselves cost;
  3. the role-diff bot (discord.py 2.7), one interaction at a time (latency)
     and with up to --concurrency in flight (throughput).

Run: ./dev bench   (or .venv/bin/python benchmarks/discord_fake.py [--n 500])
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.discord.bot import create_bot, endpoints  # noqa: E402
from adapters.discord.render import render  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.log import InteractionLog  # noqa: E402
from bot.service import Asker, RoleDiff  # noqa: E402
from tests.discord.fake import GUILD_ID, FakeDiscord  # noqa: E402

TIME_LIMIT = 60.0  # seconds per phase, whatever --n says


def percentiles(ms: list[float]) -> tuple[float, float]:
    s = sorted(ms)
    return s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.99))]


def workload(service: RoleDiff, n: int) -> list[str]:
    questions = [q for e in service.kb.entries for q in e.questions]
    questions += ["how do I bake sourdough", "what is the capital of peru", "help", "topics", "compare pay", ""]
    return [questions[i % len(questions)] for i in range(n)]


def report(label: str, latencies: list[float], rate: float) -> None:
    p50, p99 = percentiles(latencies)
    print(f"{label:<52} {p50:8.2f} {p99:8.2f} {rate:9.0f}")


def core_baseline(service: RoleDiff, questions: list[str]) -> None:
    asker = Asker("discord", "1", "command")
    for fn, label in (
        (lambda q: service.ask(q, asker), "baseline: RoleDiff.ask alone"),
        (lambda q: render(service.ask(q, asker), echo_question=True), "baseline: RoleDiff.ask + render embeds"),
    ):
        for q in questions[:100]:
            fn(q)
        times = []
        start = time.perf_counter()
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
        report(label, times, len(times) / (time.perf_counter() - start))


async def sequential(fake: FakeDiscord, questions: list[str]) -> tuple[list[float], float]:
    latencies: list[float] = []
    start = time.perf_counter()
    for q in questions:
        payload = fake.slash(q)
        t0 = time.perf_counter()
        call = await fake.interact(payload)
        latencies.append((call.at - t0) * 1000)
        if time.perf_counter() - start > TIME_LIMIT:
            break
    return latencies, len(latencies) / (time.perf_counter() - start)


async def concurrent(fake: FakeDiscord, questions: list[str], limit: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(limit)
    deadline = time.perf_counter() + TIME_LIMIT

    async def one(q: str) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                return
            payload = fake.slash(q)
            t0 = time.perf_counter()
            call = await fake.interact(payload, timeout=30)
            latencies.append((call.at - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one(q) for q in questions))
    return latencies, len(latencies) / (time.perf_counter() - start)


async def with_echo_client(fake: FakeDiscord, run: Callable[[], Awaitable[None]]) -> None:
    """A trivial gateway client: identify, then answer each interaction with a fixed callback."""
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 0, "properties": {}}})
        await fake.wait_for(lambda: fake.connected)

        async def answer(d: dict) -> None:
            url = f"{fake.api_url}/interactions/{d['id']}/{d['token']}/callback"
            body = json.dumps({"type": 4, "data": {"content": "ok"}})
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                await r.read()

        async def loop() -> None:
            async for msg in ws:
                event = json.loads(msg.data)
                if event.get("t") == "INTERACTION_CREATE":
                    asyncio.create_task(answer(event["d"]))  # noqa: RUF006 - awaited via the callbacks

        reader = asyncio.create_task(loop())
        try:
            await run()
        finally:
            reader.cancel()
            await ws.close()


async def main_async(n: int, concurrency: int) -> None:
    kb = load_knowledge()
    with tempfile.TemporaryDirectory() as tmp:
        log = InteractionLog("sqlite:///" + str(Path(tmp) / "bench.sqlite3"), enabled=True)
        service = RoleDiff(Engine(kb), log)
        questions = workload(service, n)
        print(f"knowledge: {len(kb.entries)} entries; workload: {n} /role-diff interactions, loopback only")
        print(f"interaction log: on (SQLite in a temp dir); concurrency for throughput: {concurrency}")
        print()
        print(f"{'what':<52} {'p50 ms':>8} {'p99 ms':>8} {'per s':>9}")
        core_baseline(service, questions)

        fake = await FakeDiscord().start()
        try:
            with endpoints(fake.api_url, fake.gateway_url):
                fake.commands[str(GUILD_ID)] = [{"id": "1", "name": "role-diff"}]

                async def echo_runs() -> None:
                    report("baseline: echo client, one at a time", *await sequential(fake, questions))
                    figures = await concurrent(fake, questions, concurrency)
                    report(f"baseline: echo client, {concurrency} in flight", *figures)

                await with_echo_client(fake, echo_runs)
                await fake.wait_for(lambda: fake.connected == 0)

                bot = create_bot(service, state_dir=Path(tmp) / "state", guild_id=GUILD_ID, guild_ready_timeout=0.01)
                task = asyncio.create_task(bot.start(fake.token))
                await asyncio.wait_for(bot.wait_until_ready(), 10)
                try:
                    for q in questions[:50]:  # warm up
                        await fake.interact(fake.slash(q))
                    report("role-diff bot, one at a time", *await sequential(fake, questions))
                    report(f"role-diff bot, {concurrency} in flight", *await concurrent(fake, questions, concurrency))
                finally:
                    await bot.close()
                    await task
        finally:
            await fake.close()
            service.close()
    print()
    print("latency: INTERACTION_CREATE written to the bot's websocket -> its callback POST read by the fake")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="interactions per phase (default 1000, max 20000)")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(max(10, min(args.n, 20_000)), max(1, args.concurrency)))


if __name__ == "__main__":
    main()
