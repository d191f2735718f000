"""The latest check of each person against the national population database (issue #16 item 1, "mismatches with
the population registry"; ``credential_service/holders/registry_checks.py``): the outcome (match, mismatch,
not_found) and the names of the fields that disagreed — never the registry's values (PDPL 91/2025, data
minimisation). One row per person, replaced by each new check. Created empty: ``sogoc holder registry-check``
fills it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_registry_checks",
        sa.Column("person_id", sa.String(36), sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("mismatched_fields", sa.JSON, nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_person_registry_checks_outcome", "person_registry_checks", ["outcome"])


def downgrade() -> None:
    op.drop_index("ix_person_registry_checks_outcome", "person_registry_checks")
    op.drop_table("person_registry_checks")
