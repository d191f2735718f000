"""Two reporting tables (issue #16). The trend's history (item 3): each school's học bạ figures per level as
they stood at the end of each day with a change (``credential_service/reporting/trend.py``), written in the
same transaction as the change. Created empty: the register keeps no history to fill it from; the first rows
are written by the next change of each school, or for every school at once by ``sogoc progress summaries
--rebuild``.

And the anonymous verification checks counted per day, channel and outcome (item 1, "QR scans, PDF checks";
``credential_service/reporting/check_counter.py``): counts only, no client address or document id.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_FIGURES = ("students", "locked", "signed_gvcn", "signed_principal", "sealed")


def upgrade() -> None:
    op.create_table(
        "progress_school_days",
        sa.Column("school_id", sa.String(36), primary_key=True),
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("level_grade", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in _FIGURES),
        *(sa.Column(f"{name}_change", sa.Integer, nullable=False) for name in _FIGURES),
    )
    op.create_index("ix_progress_school_days_year_day", "progress_school_days", ["school_year", "day"])
    op.create_table(
        "verification_daily_counts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("outcome", sa.String(16), primary_key=True),
        sa.Column("checks", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verification_daily_counts")
    op.drop_index("ix_progress_school_days_year_day", "progress_school_days")
    op.drop_table("progress_school_days")
