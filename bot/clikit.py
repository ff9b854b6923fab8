"""What every role-diff command line shares: the program name, the one-line
failure message, and describing an exception in one line (never a traceback)."""

from __future__ import annotations

import sys

PROG = "role-diff"


def fail(message: str, status: int = 1) -> int:
    """Print `role-diff: message` to stderr (a JSON object with ROLE_DIFF_LOG_FORMAT=json); return the exit status."""
    from .logsetup import failure_line

    print(failure_line(PROG, message), file=sys.stderr)
    return status


def describe(exc: BaseException) -> str:
    """`TypeName: first line of the message`, for one-line error reports."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
