"""Rate limits shared by every worker: the ``rate_limits`` counters (platform/ratelimit_storage.py).

The holders' own lock-out goes: ``failed_logins`` and ``locked_until`` were a lock anyone could put on
an account by guessing; sign-in now backs off per client address and account instead.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rate_limits_expires_ms", "rate_limits", ["expires_ms"])
    with op.batch_alter_table("holder_accounts") as b:
        b.drop_column("locked_until")
        b.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("holder_accounts") as b:
        b.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        b.add_column(sa.Column("locked_until", TZ, nullable=True))
    op.drop_index("ix_rate_limits_expires_ms", table_name="rate_limits")
    op.drop_table("rate_limits")
