"""External (interrupted) signing: pending requests between prepare and complete, and their replay guard.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
S36 = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "external_signing_requests",
        sa.Column("id", S36, primary_key=True),
        sa.Column("request_id", S36, nullable=False, unique=True),
        sa.Column("batch_id", S36, nullable=False, index=True),
        sa.Column("class_id", S36, sa.ForeignKey("classes.id"), nullable=False, index=True),
        sa.Column("transcript_id", S36, sa.ForeignKey("transcripts.id"), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("staff_id", S36, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("revision_sha256", sa.String(64), nullable=False),
        sa.Column("pending_json", sa.Text, nullable=False),
        sa.Column("checks", sa.JSON, nullable=True),
        sa.Column("client", sa.String(200), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("consumed_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("external_signing_requests")
