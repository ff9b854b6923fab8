"""Batch `role-diff ask --json` whatever the input bytes: the CLI as a subprocess, under
strict and non-UTF-8 output settings. Every output line is valid UTF-8 JSON, one per input
line (the issue's probe printed raw 0xFF 0xFE, or crashed and printed nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LINES = [
    b"what is mlops",
    b"bad \xff\xfe mlops",  # not UTF-8
    b"\xed\xa0\x80 an encoded surrogate",  # UTF-8 for U+D800: invalid
    b"\xc3 cut in the middle of a character",
    b"nul \x00 and escape \x1b[31m inside",
    b"",  # an empty line is a question too (the overview)
    b"what is the difference between a data scientist and an ml engineer\r",  # CRLF
    "caf\u00e9 \U0001f600 fine UTF-8".encode(),
    b"x" * 200_000,  # longer than a line is read: cut, still one answer
    b"last line without a newline",
]


def ask_batch(data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        input=data,
        capture_output=True,
        timeout=120,
        env={**os.environ, "ROLE_DIFF_LOG": "off", "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"PYTHONIOENCODING": "utf-8:strict"},
        {"PYTHONIOENCODING": "ascii:strict"},
        {"PYTHONIOENCODING": "latin-1", "LC_ALL": "C", "PYTHONUTF8": "0"},
    ],
    ids=["default", "utf8-strict", "ascii-strict", "latin1-C-locale"],
)
def test_every_line_is_valid_utf8_json_one_per_input_line(env: dict[str, str]) -> None:
    result = ask_batch(b"\n".join(LINES), **env)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr
    text = result.stdout.decode("utf-8")  # strict: raises on any invalid byte
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == len(LINES)
    questions = [r["question"] for r in rows]
    assert questions[0] == "what is mlops" and rows[0]["entry_id"] == "mlops"
    assert questions[1] == "bad \ufffd\ufffd mlops"
    assert "\ufffd" in questions[2] and "\ufffd" in questions[3]
    assert questions[4] == "nul \x00 and escape \x1b[31m inside"  # JSON-escaped, not lost
    assert rows[6]["entry_id"] == "difference"  # the \r of CRLF is not part of the question
    assert questions[7] == "caf\u00e9 \U0001f600 fine UTF-8"
    assert questions[9] == "last line without a newline"


def test_argv_with_invalid_bytes_gives_valid_json() -> None:
    """A question from the command line with bytes that are not UTF-8 (surrogateescape)."""
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"bot.cli", b"ask", b"--json", b"what is \xff mlops"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "ROLE_DIFF_LOG": "off", "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict"},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    row = json.loads(result.stdout.decode("utf-8"))
    assert row["question"] == "what is \ufffd mlops"
