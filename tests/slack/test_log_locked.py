"""`role-diff run slack --http` stopped while its database is locked says exactly
how many rows it could not write, once, with the cause (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from pathlib import Path

import aiohttp

from tests.dbtools import count, locked
from tests.slack.fake import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, signed_headers
from tests.slack.test_cli import clean_env


async def test_server_stopped_while_the_database_is_locked_reports_the_exact_loss(db_url: str, tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        ROLE_DIFF_DATABASE_URL=db_url,
        ROLE_DIFF_LOG_FLUSH_TIMEOUT="1",
    )
    env["ROLE_DIFF_LOG"] = "on"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "slack", "--http", "--port", "0",
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        port = None
        lines: list[str] = []
        while port is None:
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert line, "the server stopped: " + "".join(lines)
            lines.append(line)
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/slack/events", line)
            port = int(m.group(1)) if m else None
        url = f"http://127.0.0.1:{port}/slack/events"
        with locked(db_url):
            async with aiohttp.ClientSession() as session:
                for i in range(50):
                    body = command_body(f"what is mlops {i}", response_url=fake.response_url())
                    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
                    async with session.post(url, data=body, headers=headers) as resp:
                        assert resp.status == 200  # answered although nothing can be written
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 20) == 0
        everything = "".join(lines) + (await proc.stderr.read()).decode()
        lost = [line for line in everything.splitlines() if "could not be written" in line]
        assert len(lost) == 1, everything
        assert "50 of 50 rows could not be written (50 failed, 0 dropped" in lost[0]
        assert len([line for line in everything.splitlines() if "WARNING" in line and "role_diff.log" in line]) <= 1
        assert "Traceback" not in everything
        assert count(db_url) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(TimeoutError):  # bounded: an unread pipe would hold wait() forever
                await asyncio.wait_for(proc.wait(), 10)
        await fake.close()
