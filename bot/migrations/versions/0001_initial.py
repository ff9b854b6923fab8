"""The tables role-diff has always had: questions, feedback, log_meta.

Databases created before migrations existed already hold them (made by
SQLAlchemy's create_all): only what is missing is created, then the database
is stamped.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "questions" not in existing:
        op.create_table(
            "questions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("platform", sa.String(16), nullable=False),
            sa.Column("user_hash", sa.String(64), nullable=True),
            sa.Column("channel_kind", sa.String(16), nullable=True),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("entry_id", sa.String(80), nullable=True),
            sa.Column("topic", sa.String(40), nullable=True),
            sa.Column("score", sa.Float, nullable=True),
            sa.Column("latency_ms", sa.Float, nullable=True),
        )
        op.create_index("ix_questions_asked_at", "questions", ["asked_at"])
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("platform", sa.String(16), nullable=False),
            sa.Column("user_hash", sa.String(64), nullable=True),
            sa.Column("entry_id", sa.String(80), nullable=False),
            sa.Column("helpful", sa.Boolean, nullable=False),
        )
    if "log_meta" not in existing:
        op.create_table(
            "log_meta",
            sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("value", sa.String(200), nullable=False),
        )
