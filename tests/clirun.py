"""Runs `role-diff` in this process (much faster than a subprocess on a busy
machine) with a clean ROLE_DIFF_* environment, and returns what a
subprocess would: the exit status, stdout and stderr."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from unittest import mock

from bot.cli import main


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROLE_DIFF_")}
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, {**clean, "ROLE_DIFF_LOG": "on", **env}, clear=True):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    return subprocess.CompletedProcess(["role-diff", *args], code, out.getvalue(), err.getvalue())
