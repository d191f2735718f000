"""Grade-10 admissions (issue #15): a year's rules as loaded, imported applicants, and each allocation run.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admission_years",
        sa.Column("year", sa.String(16), primary_key=True),
        sa.Column("config_text", sa.Text, nullable=False),
        sa.Column("config_sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", TZ, nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "admission_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.String(16), sa.ForeignKey("admission_years.year"), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("applicants", sa.Integer, nullable=False),
        sa.Column("imported_at", TZ, nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_admission_imports_year", "admission_imports", ["year"])
    op.create_table(
        "admission_applicants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.String(16), sa.ForeignKey("admission_years.year"), nullable=False),
        sa.Column("import_id", sa.String(36), sa.ForeignKey("admission_imports.id"), nullable=False),
        sa.Column("registration_no", sa.String(32), nullable=False),
        sa.Column("personal_id", sa.String(12), nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("violation", sa.Boolean, nullable=False),
        sa.Column("wishes", sa.JSON, nullable=False),
        sa.Column("priority_group", sa.String(16), nullable=True),
        sa.Column("direct_category", sa.String(32), nullable=True),
        sa.UniqueConstraint("year", "registration_no", name="uq_admission_applicants_year_sbd"),
        sa.UniqueConstraint("year", "personal_id", name="uq_admission_applicants_year_pin"),
    )
    op.create_index("ix_admission_applicants_year", "admission_applicants", ["year"])
    op.create_table(
        "admission_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.String(16), sa.ForeignKey("admission_years.year"), nullable=False),
        sa.Column("config_sha256", sa.String(64), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("output_sha256", sa.String(64), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("applicants", sa.Integer, nullable=False),
        sa.Column("admitted", sa.Integer, nullable=False),
        sa.Column("ran_at", TZ, nullable=False),
        sa.Column("ran_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_admission_runs_year", "admission_runs", ["year"])


def downgrade() -> None:
    for table in ("admission_runs", "admission_applicants", "admission_imports", "admission_years"):
        op.drop_table(table)
