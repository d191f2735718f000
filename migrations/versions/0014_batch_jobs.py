"""Batch jobs (issue #17 item 4): a job and its items, on every backend; procrastinate's queue on PostgreSQL.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
PROCRASTINATE_OBJECTS = (
    "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
    "procrastinate_workers CASCADE",
    "DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status, procrastinate_job_to_defer_v1 CASCADE",
)

# every function of the library's schema, whatever its signature
DROP_PROCRASTINATE_FUNCTIONS = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
    EXECUTE 'DROP FUNCTION IF EXISTS ' || r.sig || ' CASCADE';
  END LOOP;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("school_id", sa.String(36), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_batch_jobs_school_id", "batch_jobs", ["school_id"])
    op.create_table(
        "batch_job_items",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("batch_jobs.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("runner", sa.String(120), nullable=True),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.JSON, nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # The library's own schema, as its `procrastinate schema --apply` would create it. Sent through the driver
        # as one script without parameters, so its '%' and ':' are not taken for placeholders.
        cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PROCRASTINATE_OBJECTS:
            op.execute(statement)
        op.execute(DROP_PROCRASTINATE_FUNCTIONS)
    op.drop_table("batch_job_items")
    op.drop_table("batch_jobs")
