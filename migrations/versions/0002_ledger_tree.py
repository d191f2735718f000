"""Ledger tree: complete-subtree node hashes, signed checkpoints and witness cosignatures.

All three tables are append-only in the database itself (triggers on SQLite and PostgreSQL), like
``ledger_entries``. Existing ledger entries are backfilled into ``ledger_nodes``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
TABLES = ("ledger_nodes", "ledger_checkpoints", "ledger_cosignatures")


def upgrade() -> None:
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("note_text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column(
            "checkpoint_size",
            sa.Integer,
            sa.ForeignKey("ledger_checkpoints.size"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("key_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("signature_line", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    _backfill_nodes()
    _append_only_triggers()


def _backfill_nodes() -> None:
    """Store the tree of the entries appended before this revision (recomputed from the leaf bytes)."""
    from verifier.merkle import MemoryTreeStore, leaf_hash

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT seq, leaf FROM ledger_entries ORDER BY seq"))
    store = MemoryTreeStore()
    for seq, leaf in rows:
        if seq != store.size:
            raise RuntimeError(f"ledger_entries has a gap at seq {store.size}; run an audit before migrating")
        store.append(leaf_hash(bytes(leaf)))
    if store.size == 0:
        return
    nodes = sa.table("ledger_nodes", sa.column("level"), sa.column("idx"), sa.column("hash"))
    batch: list[dict[str, object]] = []
    level = 0
    while (store.size >> level) > 0:
        for idx in range(store.size >> level):
            h = store.leaf_hash(idx) if level == 0 else store.stored_node(level, idx)
            batch.append({"level": level, "idx": idx, "hash": h})
            if len(batch) >= 10_000:
                bind.execute(nodes.insert(), batch)
                batch = []
        level += 1
    if batch:
        bind.execute(nodes.insert(), batch)


def _append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"""
                    CREATE TRIGGER {table}_no_{action.lower()}
                    BEFORE {action} ON {table}
                    BEGIN
                        SELECT RAISE(ABORT, '{table} is append-only: {action} refused');
                    END
                    """
                )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION ledger_tree_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:
            op.execute(
                f"""
                CREATE TRIGGER {table}_append_only
                BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION ledger_tree_refuse_change()
                """
            )
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_truncate
                BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_tree_refuse_change()
                """
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_tree_refuse_change()")
    for table in ("ledger_cosignatures", "ledger_checkpoints", "ledger_nodes"):
        op.drop_table(table)
