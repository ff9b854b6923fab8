"""Lines in, JSON lines out, whatever the bytes: batch `role-diff ask`.

Input is read as bytes and decoded as UTF-8 with invalid sequences replaced
(U+FFFD), so every input line gives exactly one question, and a line longer
than `MAX_LINE_BYTES` is cut (the rest of it skipped, not taken for another
line). Output is encoded as UTF-8 by us, not by the terminal's locale, so
every line is valid UTF-8 JSON even under `PYTHONIOENCODING=ascii:strict`
or with stray surrogates in a question that came from `argv`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

MAX_LINE_BYTES = 64 * 1024  # the engine reads 2,000 characters of a question


def clean_text(text: str) -> str:
    """`text` as valid Unicode: bytes smuggled in as surrogates (argv, surrogateescape) and
    lone surrogates become U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def read_lines(stream: IO[bytes] | None = None) -> Iterator[str]:
    """Each line of `stream` (stdin's bytes by default) as text, without its line ending."""
    source = stream if stream is not None else sys.stdin.buffer
    while True:
        raw = source.readline(MAX_LINE_BYTES)
        if not raw:
            return
        if not raw.endswith(b"\n"):  # cut: skip the rest of this line
            rest = raw
            while rest and not rest.endswith(b"\n"):
                rest = source.readline(MAX_LINE_BYTES)
        yield raw.rstrip(b"\r\n").decode("utf-8", "replace")


def write_json_line(value: Any, stream: IO[bytes] | None = None) -> None:
    """One JSON document on one line, as UTF-8, flushed (other tools read it line by line)."""
    text = json.dumps(value, ensure_ascii=False)
    data = clean_text(text).encode("utf-8") + b"\n"
    if stream is None:
        sys.stdout.flush()  # anything printed before goes first
        stream = sys.stdout.buffer
    stream.write(data)
    stream.flush()
