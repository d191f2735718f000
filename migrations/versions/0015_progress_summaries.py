"""The progress summary of each class, and of each school's classes per level and status (issue #16 item 6),
kept in the same transaction as the change that moves them (``credential_service/reporting/summaries.py``), so
the city dashboard reads a few rows per school. Filled here from the register (the rebuild), so an existing
database shows the same numbers as before; and the indexes that make counting one class again quick.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


_COUNTS = (  # rules.Tally's counts a class has
    "students", "drafted", "locked", "signed_gvcn", "signed_principal", "sealed",
    "no_personal_id", "pin_malformed", "pin_province", "pin_sex", "pin_birth_year",
)  # fmt: skip
_BY_CLASS = [("year_results", "class_id"), ("transcripts", "class_id"), ("signing_events", "transcript_id")]


def upgrade() -> None:
    op.create_table(
        "progress_class_summaries",
        sa.Column("class_id", sa.String(36), primary_key=True),
        sa.Column("school_id", sa.String(36), nullable=False),
        sa.Column("school_year", sa.String(9), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("grade", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("last_change", sa.DateTime(timezone=True), nullable=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in _COUNTS),
    )
    op.create_index("ix_progress_class_summaries_school_year", "progress_class_summaries", ["school_year"])
    op.create_table(
        "progress_school_summaries",
        sa.Column("school_id", sa.String(36), primary_key=True),
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("level_grade", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(24), primary_key=True),
        sa.Column("with_students", sa.Integer, primary_key=True),
        sa.Column("classes", sa.Integer, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in _COUNTS),
    )
    op.create_index("ix_progress_school_summaries_school_year", "progress_school_summaries", ["school_year"])
    # Counting one class again (each import, lock and signature) reads its rows by class: without these, each
    # is a scan of ~900,000 rows at a city's size (the lock and signing steps read transcripts by class too).
    for table, column in _BY_CLASS:
        op.create_index(f"ix_{table}_{column}", table, [column])
    # Backfill from the register (the same function as `sogoc progress summaries --rebuild`).
    from credential_service.reporting.summaries import rebuild

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    for table, column in _BY_CLASS:
        op.drop_index(f"ix_{table}_{column}", table)
    op.drop_index("ix_progress_school_summaries_school_year", "progress_school_summaries")
    op.drop_table("progress_school_summaries")
    op.drop_index("ix_progress_class_summaries_school_year", "progress_class_summaries")
    op.drop_table("progress_class_summaries")
