"""A class's programme: general education (GDPT) or continuing education at THPT level (GDTX, Circular
12/2022/TT-BGDĐT), which decides the subjects its học bạ accepts and prints (issue #14 item 7). Every existing
class is general education.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classes") as batch:
        batch.add_column(sa.Column("programme", sa.String(8), nullable=False, server_default="GDPT"))


def downgrade() -> None:
    with op.batch_alter_table("classes") as batch:
        batch.drop_column("programme")
