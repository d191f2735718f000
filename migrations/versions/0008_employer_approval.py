"""Employer approval: when and by whom the Sở approved an organisation; tax codes in canonical form.

Organisations already active are recorded as approved at their registration (they were let in by
the rules of the time); pending ones stay pending. Tax codes are rewritten to the canonical form of
``credential_service.employers.tax_codes`` (10 digits, or ``NNNNNNNNNN-NNN``); two organisations
whose codes are the same MST stop the migration (the Sở merges them by hand first).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
MIGRATED_BY = "migration 0008 (active before approvals were recorded)"
SEPARATORS = frozenset(" .-\u2010\u2011\u2012\u2013\u2014\u2212")


def _canonical(raw: str) -> str:
    """The canonical MST (a frozen copy of ``tax_codes.normalise_tax_code``); unchanged when malformed."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw).strip() if ch not in SEPARATORS)
    if not (digits.isascii() and digits.isdigit()):
        return raw
    if len(digits) == 10:
        return digits
    if len(digits) == 13:
        return f"{digits[:10]}-{digits[10:]}"
    return raw


def upgrade() -> None:
    with op.batch_alter_table("organisations") as b:
        b.add_column(sa.Column("approved_at", TZ, nullable=True))
        b.add_column(sa.Column("approved_by", sa.String(100), nullable=True))
    orgs = sa.table(
        "organisations",
        sa.column("id", sa.String),
        sa.column("tax_code", sa.String),
        sa.column("status", sa.String),
        sa.column("created_at", TZ),
        sa.column("approved_at", TZ),
        sa.column("approved_by", sa.String),
    )
    conn = op.get_bind()
    conn.execute(
        orgs.update().where(orgs.c.status == "active").values(approved_at=orgs.c.created_at, approved_by=MIGRATED_BY)
    )
    rows = conn.execute(sa.select(orgs.c.id, orgs.c.tax_code)).all()
    seen: dict[str, str] = {}
    for org_id, tax_code in rows:
        canonical = _canonical(tax_code)
        if canonical in seen:
            raise RuntimeError(
                f"organisations {seen[canonical]} and {org_id} have the same tax code {canonical}: "
                "merge them before upgrading / hai tổ chức trùng mã số thuế, cần gộp trước khi nâng cấp"
            )
        seen[canonical] = org_id
    for org_id, tax_code in rows:
        canonical = _canonical(tax_code)
        if canonical != tax_code:
            conn.execute(orgs.update().where(orgs.c.id == org_id).values(tax_code=canonical))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as b:
        b.drop_column("approved_by")
        b.drop_column("approved_at")
