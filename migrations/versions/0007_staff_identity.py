"""Staff identity: accounts (password + TOTP or OIDC), sessions, service tokens, signing confirmations,
four-eyes approvals; roles bound to the Sở, a commune, a school or a class.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
S36 = sa.String(36)


def upgrade() -> None:
    with op.batch_alter_table("schools") as b:
        b.add_column(sa.Column("commune", sa.String(100), nullable=True))
    with op.batch_alter_table("role_assignments") as b:
        b.alter_column("school_id", existing_type=S36, nullable=True)
        b.alter_column("role", existing_type=sa.String(16), type_=sa.String(24))
        b.add_column(sa.Column("commune", sa.String(100), nullable=True))
    op.create_table(
        "staff_accounts",
        sa.Column("id", S36, primary_key=True),
        sa.Column("staff_id", S36, sa.ForeignKey("staff.id"), nullable=False, unique=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_step", sa.Integer, nullable=True),
        sa.Column("oidc_issuer", sa.String(255), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", S36, sa.ForeignKey("staff_accounts.id"), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
    )
    op.create_table(
        "staff_service_tokens",
        sa.Column("id", S36, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", S36, sa.ForeignKey("staff_accounts.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_table(
        "signing_confirmations",
        sa.Column("id", S36, primary_key=True),
        sa.Column("account_id", S36, sa.ForeignKey("staff_accounts.id"), nullable=False, index=True),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("totp_step", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )
    op.create_table(
        "approvals",
        sa.Column("id", S36, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("school_id", S36, nullable=True, index=True),
        sa.Column("maker_account_id", S36, sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("maker", sa.String(200), nullable=False),
        sa.Column("checker_account_id", S36, sa.ForeignKey("staff_accounts.id"), nullable=True),
        sa.Column("checker", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
    )


def downgrade() -> None:
    for table in ("approvals", "signing_confirmations", "staff_service_tokens", "staff_sessions", "staff_accounts"):
        op.drop_table(table)
    with op.batch_alter_table("role_assignments") as b:
        b.drop_column("commune")
        b.alter_column("role", existing_type=sa.String(24), type_=sa.String(16))
        b.alter_column("school_id", existing_type=S36, nullable=False)
    with op.batch_alter_table("schools") as b:
        b.drop_column("commune")
