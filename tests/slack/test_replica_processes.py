"""Two `role-diff run slack --http` processes (replicas behind a load balancer)
on one PostgreSQL database and one fake Slack: the same event delivered to both
(the second as Slack's retry) is answered once, and each replica's /metrics
counts what it did."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from tests.runproc import RoleDiffProcess, clean_env, get, metric
from tests.slack.fake import BOT_TOKEN, SIGNING_SECRET, FakeSlack, event_callback, mention, signed_headers

QUESTION = "what is the difference between a data scientist and an ml engineer"


async def test_two_replicas_answer_one_event_once_and_count_it(tmp_path: Path, pg_url: str) -> None:
    fake = await FakeSlack().start()
    procs: list[RoleDiffProcess] = []
    try:
        for i in range(2):
            home = tmp_path / f"replica{i}"
            home.mkdir()
            env = clean_env(
                home,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=fake.api_url,
                ROLE_DIFF_DATABASE_URL=pg_url,
                ROLE_DIFF_HASH_SALT="the-same-salt-on-every-replica",
                XDG_DATA_HOME=str(home / "data"),
            )
            env["ROLE_DIFF_LOG"] = "on"
            procs.append(await RoleDiffProcess.start(home, "run", "slack", "--http", "--port", "0", env=env))
        ports = [
            int((await p.wait_line(r"serving http://127\.0\.0\.1:(\d+)/slack/events", timeout=60)).group(1))
            for p in procs
        ]
        body = json.dumps(event_callback(mention(QUESTION, ts="1700009999.000001"), event_id="Ev0PROCS"))
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        async with aiohttp.ClientSession() as session:
            for port, extra in zip(ports, ({}, retry), strict=True):
                headers = {"Content-Type": "application/json", **signed_headers(body), **extra}
                async with session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as r:
                    assert r.status == 200
        await fake.wait_for(lambda: len(fake.bodies("chat.postMessage")) >= 1, timeout=15)
        await asyncio.sleep(1.0)  # room for a second, duplicate answer to arrive (it must not)
        scraped = []
        for port in ports:
            status, text = await get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            scraped.append(metric(text, "role_diff_questions_total", platform="slack", outcome="answered"))
        posts = fake.bodies("chat.postMessage")
        assert len(posts) == 1 and posts[0]["thread_ts"] == "1700009999.000001"
        assert sorted(scraped) == [0.0, 1.0]  # the replica that answered counted it; the other did not
    finally:
        for p in procs:
            await p.stop()
        await fake.close()
