"""Knowledge hot reload while the Slack HTTP server runs (a real subprocess):
an edited entry is served at the next question; a broken one keeps the last
good knowledge serving, and /healthz and /metrics say why."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import aiohttp

from tests.runproc import RoleDiffProcess, clean_env, get, metric
from tests.slack.fake import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, signed_headers

QUESTION = "who mentors new ML engineers on our team?"
ENTRY = """\
---
id: team-mentor
topic: working-together
title: "Who mentors new ML engineers here"
questions:
  - "who mentors new ML engineers on our team?"
  - "who is the mentor for a new ML engineer?"
  - "which person mentors new data scientists and ML engineers?"
  - "who do new ML engineers ask for mentoring?"
  - "who is the ML engineer mentor on our team?"
  - "mentor for new ML engineers"
sources: [jones]
related: []
---
{answer}
"""


def write(path: Path, text: str) -> None:
    """As editors save: a new file renamed over the old one."""
    tmp = path.parent.parent / (path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def ask(session: aiohttp.ClientSession, base: str, fake: FakeSlack, question: str) -> str:
    body = command_body(question, response_url=fake.response_url())
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    async with session.post(base + "/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 200
        return json.dumps(json.loads(await resp.text()))


async def test_knowledge_reloads_while_serving(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    entry = kb / "team-mentor.md"
    write(entry, ENTRY.format(answer="Priya mentors new ML engineers on our team."))
    fake = await FakeSlack().start()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        ROLE_DIFF_KNOWLEDGE=str(kb),
    )
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", "--http", "--port", "0", env=env)
    try:
        port = int((await proc.wait_line(r"serving http://127\.0\.0\.1:(\d+)/slack/events")).group(1))
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            assert "Priya" in await ask(session, base, fake, QUESTION)

            # an edit: the next question gets the new answer
            mark = proc.mark()
            write(entry, ENTRY.format(answer="Sam mentors new ML engineers on our team."))
            await proc.wait_line(r"knowledge reloaded \(changed: team-mentor\.md\)", since=mark)
            answer = await ask(session, base, fake, QUESTION)
            assert "Sam" in answer and "Priya" not in answer

            # a broken file: the last good knowledge keeps serving, and health says why
            mark = proc.mark()
            write(entry, ENTRY.format(answer="Nobody.").replace("questions:\n", "questions: [unclosed\n"))
            await proc.wait_line(r"knowledge reload \(changed: team-mentor\.md\) failed", since=mark)
            assert "Sam" in await ask(session, base, fake, QUESTION)
            status, health = await get(base + "/healthz")
            assert status == 200  # still live: it serves the last good knowledge
            knowledge = health["knowledge"]
            assert knowledge["ok"] is False and knowledge["serving"].startswith("the last good knowledge")
            # file and line (the path as shown relative to the working directory)
            assert any(p.startswith("kb/team-mentor.md:") and p.split(":")[1].isdigit() for p in knowledge["problems"])
            _, text = await get(base + "/metrics")
            assert metric(text, "role_diff_knowledge_reloads_total", result="failed") == 1
            assert metric(text, "role_diff_knowledge_reloads_total", result="ok") == 1
            assert metric(text, "role_diff_knowledge_problems") == len(knowledge["problems"]) > 0
            assert "team-mentor.md:" in proc.stderr  # the process log names file and line too

            # SIGHUP reloads as well; fixed, health is ok again
            mark = proc.mark()
            proc.proc.send_signal(signal.SIGHUP)
            await proc.wait_line(r"knowledge reload \(SIGHUP\) failed", since=mark)
            mark = proc.mark()
            write(entry, ENTRY.format(answer="Ada mentors new ML engineers on our team."))
            await proc.wait_line(r"knowledge reloaded \(changed: team-mentor\.md\)", since=mark)
            assert "Ada" in await ask(session, base, fake, QUESTION)
            _, health = await get(base + "/healthz")
            assert health["knowledge"]["ok"] is True and "problems" not in health["knowledge"]
            _, text = await get(base + "/metrics")
            assert metric(text, "role_diff_knowledge_problems") == 0
            assert metric(text, "role_diff_questions_total", platform="slack", outcome="answered") == 4
        code, _ = await proc.stop()
        assert code == 0
    finally:
        await proc.kill()
        await fake.close()
    assert "Traceback" not in proc.stderr and BOT_TOKEN not in proc.stderr and SIGNING_SECRET not in proc.stderr
