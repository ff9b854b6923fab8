"""Alembic's environment for the interaction log.

Run through `bot.logdb.upgrade` (`role-diff db upgrade`, or automatically when
a log opens), which passes an open connection in a transaction; there is no
alembic.ini.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only bot.logdb runs these migrations
    raise RuntimeError("run the interaction log's migrations with 'role-diff db upgrade'")
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
