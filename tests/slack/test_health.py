"""/healthz follows the Socket Mode connection: 503 naming Slack while it is
down, 200 again once slack_sdk has reconnected (a real subprocess)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.runproc import RoleDiffProcess, clean_env, get, metric, wait_ready
from tests.slack.fake import APP_TOKEN, BOT_TOKEN, FakeSlack, Planned


async def poll_health(port: int, status: int, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        got, body = await get(f"http://127.0.0.1:{port}/healthz")
        if got == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz did not answer {status} within {timeout} s: {got} {body}")
        await asyncio.sleep(0.1)


async def test_healthz_follows_the_socket_mode_connection(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake.api_url,
        ROLE_DIFF_HTTP_PORT="127.0.0.1:0",
    )
    proc = await RoleDiffProcess.start(tmp_path, "run", "slack", env=env)
    try:
        port = await proc.ops_port()
        await wait_ready(port)
        await poll_health(port, 200)
        opened = len(fake.of("apps.connections.open"))
        # Slack drops the connection and refuses the next one: slack_sdk waits, then tries again
        fake.plan("apps.connections.open", Planned(status=503, body={"ok": False, "error": "fatal_error"}))
        assert fake._ws is not None
        await fake._ws.close()
        body = await poll_health(port, 503)
        assert body["platforms"] == {"slack": False}
        _, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert metric(text, "role_diff_platform_connected", platform="slack") == 0
        # slack_sdk reconnects by itself once Slack lets it
        body = await poll_health(port, 200, timeout=60)
        assert body["platforms"] == {"slack": True}
        assert len(fake.of("apps.connections.open")) > opened
        code, _ = await proc.stop()
        assert code == 0
    finally:
        await proc.kill()
        await fake.close()
