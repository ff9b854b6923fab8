"""event_claims (deduplicating chat events across replicas) and indexes for
retention and for erasing one person's rows.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_claims",
        sa.Column("claim_key", sa.String(200), primary_key=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_event_claims_claimed_at", "event_claims", ["claimed_at"])
    op.create_index("ix_questions_user_hash", "questions", ["user_hash"])
    op.create_index("ix_feedback_given_at", "feedback", ["given_at"])
    op.create_index("ix_feedback_user_hash", "feedback", ["user_hash"])
