"""`role-diff` as a user runs it, in a subprocess: its stderr read as it comes,
so a test can wait for a line (a bound port, a reload) while the server runs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PORT_LINE = re.compile(r"on http://127\.0\.0\.1:(\d+)")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No platform, role-diff or proxy settings from the outside; the log off; no .env."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "ROLE_DIFF_")) and "PROXY" not in k.upper()
    }
    env.update(PYTHONPATH=str(ROOT), ROLE_DIFF_LOG="off", DISCORD_STATE_DIR=str(tmp_path / "state"), **extra)
    return env


class RoleDiffProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._new = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def start(
        cls, tmp_path: Path, *args: str, env: dict[str, str], preexec_fn: Callable[[], None] | None = None
    ) -> RoleDiffProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            cwd=tmp_path,  # no .env from the checkout
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=preexec_fn,  # e.g. a resource limit for the child
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode(errors="replace"))
            self._new.set()
        self._new.set()

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def mark(self) -> int:
        """Where the stderr read so far ends (for `wait_line(since=...)`)."""
        return len(self.lines)

    async def wait_line(self, pattern: str, timeout: float = 20, since: int = 0) -> re.Match[str]:
        """The first stderr line from line `since` on matching `pattern` (waiting for it)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for line in self.lines[seen:]:
                m = regex.search(line)
                if m:
                    return m
            seen = len(self.lines)
            if self._reader.done():
                raise AssertionError(f"role-diff exited ({self.proc.returncode}) before {pattern!r}:\n{self.stderr}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.stderr}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def ops_port(self) -> int:
        m = await self.wait_line(r"serving /metrics, /healthz and /readyz on http://127\.0\.0\.1:(\d+)")
        return int(m.group(1))

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> tuple[int, float]:
        """Send `sig`; the exit code and how long it took to exit (AssertionError if not within `timeout`)."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"role-diff did not stop within {timeout} s of the signal:\n{self.stderr}") from None
        await asyncio.wait_for(self._reader, 5)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()


async def get(url: str) -> tuple[int, Any]:
    """GET: (status, parsed JSON or text)."""
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        text = await resp.text()
        if resp.headers.get("Content-Type", "").startswith("application/json"):
            import json

            return resp.status, json.loads(text)
        return resp.status, text


async def wait_ready(port: int, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, body = await get(f"http://127.0.0.1:{port}/readyz")
        except aiohttp.ClientError:
            status, body = 0, None
        if status == 200:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz not 200 within {timeout} s: {status} {body}")
        await asyncio.sleep(0.1)


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from a Prometheus exposition (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        sample, _, value = line.rpartition(" ")
        if "{" in sample:
            sample_name, _, rest = sample.partition("{")
            got = ",".join(sorted(p for p in rest.rstrip("}").split(",") if p))
        else:
            sample_name, got = sample, ""
        if sample_name == name and got == want:
            return float(value)
    return 0.0
