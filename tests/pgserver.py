"""A throwaway PostgreSQL server on 127.0.0.1 for the tests.

Debian's `postgresql` package provides the binaries (`./dev test` installs it
when missing). `initdb` and `postgres` refuse to run as root, so as root they
run as the `postgres` user the package creates, on a temporary directory that
user owns; otherwise as the current user. The server listens on a free port on
loopback only, with its socket in the same directory, and is stopped (SIGINT,
fast shutdown) and its directory removed at the end of the session.

`ROLE_DIFF_TEST_POSTGRES_URL` (an admin URL such as
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`) uses a server you run
instead. Each test gets its own database (`fresh_database`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) counts as gone
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self) -> None:
        self.dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.admin_url = ""

    def start(self) -> PgServer:
        bindir = find_bin()
        if bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL is not installed: the log tests need it (Debian: apt-get install postgresql; "
                "./dev test installs it when run as root), or set ROLE_DIFF_TEST_POSTGRES_URL"
            )
        as_root = os.geteuid() == 0
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        self.dir = Path(tempfile.mkdtemp(prefix="role-diff-pg-"))
        if as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        init = subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if init.returncode != 0:
            self.stop()
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        for _ in range(5):
            self.port = _free_port()
            self.proc = subprocess.Popen(
                [
                    *prefix,
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.dir),
                    "-F",  # no fsync: a test server
                    "-c",
                    "max_connections=200",
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(self.dir / "server.log", "wb"),
            )
            if self._wait_ready():
                self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
                return self
            self._kill()
        log = (self.dir / "server.log").read_text(errors="replace")[-800:]
        self.stop()
        raise PostgresUnavailable(f"postgres did not start: {log}")

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"):
                    return True
            except psycopg.OperationalError:
                time.sleep(0.1)
        return False

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0]) if self.dir else None
        except (OSError, ValueError, IndexError):
            return None

    def _kill(self) -> None:
        """Fast shutdown (SIGINT) of the postmaster itself (runuser, its parent as root,
        is not relied on to pass the signal on), then of the process we started."""
        pid = self._postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _parts(admin_url: str) -> dict[str, str | int]:
    from sqlalchemy.engine import make_url

    u = make_url(admin_url)
    return {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username or "postgres",
        "password": u.password or "",
        "dbname": u.database or "postgres",
    }


@contextlib.contextmanager
def fresh_database(admin_url: str):  # type: ignore[no-untyped-def]
    """A new empty database on the server; yields its SQLAlchemy URL and drops it after."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(**_parts(admin_url), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**_parts(admin_url), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
