"""Database failures in words: what failed, why, and what to do.

A warning that says only `OperationalError` or `ModuleNotFoundError` leaves
an operator guessing. `explain(exc, url)` names the cause in one line and
the fix ("install the postgresql extra", "the SQLite file is locked by
another process"), and never shows the password in the URL.
"""

from __future__ import annotations

from bot.clikit import describe

POSTGRES_DRIVERS = {"psycopg", "psycopg2", "psycopg_binary", "asyncpg", "pg8000"}
FIX_POSTGRES = "install the postgresql extra: pip install 'role-diff[postgresql]' (the psycopg driver)"


def safe_url(url: str) -> str:
    """The URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def _where(url: str) -> str:
    if url.startswith("sqlite:///"):
        return f"the SQLite file {url[len('sqlite:///') :].split('?')[0] or '(in memory)'}"
    return safe_url(url)


def explain(exc: BaseException, url: str = "") -> str:
    """One line: the cause of a database failure and what to do about it."""
    where = _where(url) if url else "the database"
    if isinstance(exc, ModuleNotFoundError | ImportError):
        name = (getattr(exc, "name", None) or "").split(".")[0]
        if name.startswith("psycopg") or (not name and "psycopg" in str(exc)):
            return f"the PostgreSQL driver ({name or 'psycopg'}) is not installed: {FIX_POSTGRES}"
        if name in POSTGRES_DRIVERS:
            return (
                f"the PostgreSQL driver {name} named in ROLE_DIFF_DATABASE_URL is not installed: pip install {name}, "
                f"or use postgresql+psycopg:// and {FIX_POSTGRES}"
            )
        return f"the database driver {name or '?'} is not installed for {safe_url(url) or 'this URL'}: pip install it"
    if isinstance(exc, OSError):  # creating the SQLite file's directory
        reason = exc.strerror or describe(exc)
        return f"cannot create or open {where}: {reason}: check the path in ROLE_DIFF_DATABASE_URL and its permissions"
    kind = type(exc).__name__
    text = " ".join(str(getattr(exc, "orig", None) or exc).split()).lower()
    if kind == "NoSuchModuleError":
        scheme = url.split(":", 1)[0] if url else "?"
        return (
            f"ROLE_DIFF_DATABASE_URL names an unknown kind of database ({scheme}): "
            "use sqlite:///path/to/file.sqlite3 or postgresql+psycopg://user@host/db"
        )
    if kind == "ArgumentError":
        return "ROLE_DIFF_DATABASE_URL is not a database URL: use sqlite:///path or postgresql+psycopg://user@host/db"
    if "database is locked" in text:
        return f"{where} is locked by another process (another role-diff, or a tool holding a write lock): close it"
    if "unable to open database file" in text:
        return f"cannot open {where}: check that its directory exists and is writable by this user"
    if "readonly database" in text or "read-only" in text:
        return f"{where} is read-only: give this user write permission, or point ROLE_DIFF_DATABASE_URL elsewhere"
    if "database or disk is full" in text or "no space left" in text:
        return f"the disk holding {where} is full: free space"
    if "disk i/o error" in text:
        return f"a disk I/O error on {where}: check the disk and the file"
    if "password authentication failed" in text or "authentication failed" in text:
        return f"{where} refused the user or password in ROLE_DIFF_DATABASE_URL: check them"
    if "connection refused" in text or "could not connect" in text or "timeout expired" in text:
        return f"cannot reach {where}: is the database server running, and is ROLE_DIFF_DATABASE_URL right?"
    if "does not exist" in text and "database" in text:
        return f"the database in ROLE_DIFF_DATABASE_URL does not exist on {where}: create it (createdb)"
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"{where} lacks role-diff's tables (another program's database?): point ROLE_DIFF_DATABASE_URL elsewhere"
    return f"{describe(exc)[:300]} ({where})"
