"""Grade-10 admissions publication (issue #15 item 6): appeals (phúc khảo) and the signed documents published from
a run (the results list, an appeal's diff of who moved).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admission_appeals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.String(16), sa.ForeignKey("admission_years.year"), nullable=False),
        sa.Column("registration_no", sa.String(32), nullable=False),
        sa.Column("scores_before", sa.JSON, nullable=False),
        sa.Column("scores_after", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
        sa.Column("run_before", sa.String(36), sa.ForeignKey("admission_runs.id"), nullable=False),
        sa.Column("run_after", sa.String(36), sa.ForeignKey("admission_runs.id"), nullable=False),
    )
    op.create_index("ix_admission_appeals_year", "admission_appeals", ["year"])
    op.create_table(
        "admission_publications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.String(16), sa.ForeignKey("admission_years.year"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("admission_runs.id"), nullable=False),
        sa.Column("previous_run_id", sa.String(36), nullable=True),
        sa.Column("appeal_id", sa.String(36), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_admission_publications_year", "admission_publications", ["year"])
    op.create_index("ix_admission_publications_run_id", "admission_publications", ["run_id"])


def downgrade() -> None:
    for table in ("admission_publications", "admission_appeals"):
        op.drop_table(table)
