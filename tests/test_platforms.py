"""Platforms are found through the `role_diff.adapters` entry-point group: the
core names no adapter, imports no chat SDK, and a new platform is a package
that registers itself."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import platforms
from bot.platforms import Adapter, UnknownPlatform
from bot.settings import SettingsError
from tests.runproc import ROOT, RoleDiffProcess, clean_env, get, metric, wait_ready

SDKS = ("slack_bolt", "slack_sdk", "discord", "aiohttp")


def test_the_shipped_adapters_register_themselves() -> None:
    found = platforms.adapters()
    assert {"console", "slack", "discord"} <= set(found)
    assert all(isinstance(a, Adapter) and a.name == name for name, a in found.items())
    assert found["console"].multi is False and found["slack"].multi and found["discord"].multi
    with pytest.raises(UnknownPlatform) as info:
        platforms.get("teams")
    assert "installed: console, discord, slack" in str(info.value)


def test_the_core_never_imports_an_adapter_by_name() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] == "adapters"]
    assert offenders == []


def test_importing_the_core_and_listing_platforms_imports_no_sdk() -> None:
    code = (
        "import sys\n"
        "import bot.cli, bot.service, bot.platforms, bot.runner, bot.runtime, bot.metrics, bot.reload, bot.logsetup\n"
        "found = bot.platforms.adapters()\n"
        "assert {'console', 'slack', 'discord'} <= set(found), found\n"
        "from bot.cli import build_parser\n"
        "build_parser()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SDKS!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("environ", "names", "why"),
    [
        ({}, [], "no platform tokens set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["slack"], "tokens set: SLACK_BOT_TOKEN"),
        ({"DISCORD_TOKEN": "a.b.c", "SLACK_BOT_TOKEN": " "}, ["discord"], "tokens set: DISCORD_TOKEN"),
        (
            {"DISCORD_TOKEN": "a.b.c", "SLACK_BOT_TOKEN": "xoxb-1"},
            ["discord", "slack"],
            "tokens set: DISCORD_TOKEN, SLACK_BOT_TOKEN",
        ),
        (
            {"ROLE_DIFF_PLATFORMS": "slack, discord", "DISCORD_TOKEN": "x"},
            ["slack", "discord"],
            "from ROLE_DIFF_PLATFORMS",
        ),
        ({"ROLE_DIFF_PLATFORMS": "console"}, ["console"], "from ROLE_DIFF_PLATFORMS"),
    ],
)
def test_choosing_platforms(environ: dict[str, str], names: list[str], why: str) -> None:
    assert platforms.choose(environ) == (names, why)


@pytest.mark.parametrize("value", ["slack teams", "console,slack"])
def test_bad_platform_list_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as info:
        platforms.choose({"ROLE_DIFF_PLATFORMS": value})
    assert info.value.variable == "ROLE_DIFF_PLATFORMS"


async def one_shot(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, list[str]]:
    proc = await RoleDiffProcess.start(tmp_path, *args, env=env)
    try:
        code = await asyncio.wait_for(proc.proc.wait(), 20)
        await asyncio.wait_for(proc._reader, 5)
    finally:
        await proc.kill()
    return code, proc.lines


async def test_run_with_nothing_configured_and_no_terminal_says_what_to_set(tmp_path: Path) -> None:
    code, lines = await one_shot(tmp_path, "run", env=clean_env(tmp_path))
    assert code == 2
    [line] = lines
    assert line.startswith("role-diff: ROLE_DIFF_PLATFORMS: no platform to run")
    assert "SLACK_BOT_TOKEN" in line and "DISCORD_TOKEN" in line and "role-diff chat" in line


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (("run", "slack", "console"), "role-diff: console runs alone"),
        (("run", "teams"), "role-diff: unknown platform 'teams' (installed: console, discord, slack)"),
    ],
)
async def test_run_usage_errors(tmp_path: Path, args: tuple[str, ...], start: str) -> None:
    code, lines = await one_shot(tmp_path, *args, env=clean_env(tmp_path))
    assert code == 2
    [line] = lines
    assert line.startswith(start)


ECHO = """
import sys

from bot.platforms import Adapter
from bot.service import Asker


class Echo(Adapter):
    name = "echo"
    token_vars = ("ECHO_TOKEN",)

    def prepare(self, options, environ):
        async def serve(service, runtime):
            runtime.health.add("echo", lambda: True)
            runtime.health.started("echo")
            reply = service.ask("what is mlops", Asker("echo", "u1", "dm"))
            print("echo answered", reply.topic, file=sys.stderr, flush=True)
            await runtime.stop.wait()
            return 0

        return serve


adapter = Echo()
"""


async def test_a_new_platform_is_a_package_that_registers_itself(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "echo_platform").mkdir(parents=True)
    (site / "echo_platform" / "__init__.py").write_text(textwrap.dedent(ECHO))
    dist = site / "echo_platform-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-platform\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[role_diff.adapters]\necho = echo_platform:adapter\n")
    env = clean_env(tmp_path, ROLE_DIFF_HTTP_PORT="127.0.0.1:0", ECHO_TOKEN="x" * 12)
    env["PYTHONPATH"] = f"{ROOT}:{site}"
    proc = await RoleDiffProcess.start(tmp_path, "run", env=env)  # found by its token, like the shipped ones
    try:
        assert (await proc.wait_line(r"running (\S+) ")).group(1) == "echo"
        assert (await proc.wait_line(r"echo answered (\S+)")).group(1) == "mlops"
        port = await proc.ops_port()
        assert (await wait_ready(port))["platforms"] == {"echo": True}
        _, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert metric(text, "role_diff_questions_total", platform="echo", outcome="answered") == 1
        code, _ = await proc.stop()
        assert code == 0
    finally:
        await proc.kill()


def test_run_with_nothing_configured_in_a_terminal_starts_the_chat(tmp_path: Path) -> None:
    import os
    import pty
    import select

    main, child = pty.openpty()
    env = clean_env(tmp_path, HOME=str(tmp_path), TERM="dumb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], stdin=child, stdout=child, stderr=child, cwd=tmp_path, env=env
    )
    os.close(child)
    seen = b""
    try:
        os.write(main, b"what is mlops\nquit\n")
        while proc.poll() is None or select.select([main], [], [], 0.1)[0]:
            if select.select([main], [], [], 20)[0]:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            else:
                break
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    text = seen.decode(errors="replace")
    assert (
        "no platform tokens set (DISCORD_TOKEN for discord; SLACK_BOT_TOKEN for slack): starting the terminal chat"
        in text
    )
    assert "MLOps" in text  # the chat answered


def test_the_fast_entry_point_reader_agrees_with_importlib_metadata() -> None:
    from importlib.metadata import entry_points

    from bot.platforms import GROUP, _entry_points

    fast = sorted((e.name, e.value) for e in _entry_points())
    assert fast == sorted((e.name, e.value) for e in entry_points(group=GROUP))
    assert ("slack", "adapters.slack:adapter") in fast
