"""Signer registry and signing audit: signer certificates, the signing audit trail, signed uploaded
documents (grade books, decisions, reports), service keys with their validity, key compromises.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
S36 = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "signer_certificates",
        sa.Column("id", S36, primary_key=True),
        sa.Column("staff_id", S36, sa.ForeignKey("staff.id"), nullable=False, index=True),
        sa.Column("key_label", sa.String(128), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("serial_hex", sa.String(64), nullable=False, index=True),
        sa.Column("issuer", sa.String(400), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("not_before", TZ, nullable=False),
        sa.Column("not_after", TZ, nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.Column("compromised_at", TZ, nullable=True),
        sa.Column("replaced_by_id", S36, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "signing_audit",
        sa.Column("id", S36, primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("operation", sa.String(24), nullable=False),
        sa.Column("staff_id", S36, nullable=True, index=True),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("client", sa.String(200), nullable=True),
        sa.Column("document_kind", sa.String(24), nullable=False),
        sa.Column("document_id", S36, nullable=True, index=True),
        sa.Column("revision", sa.Integer, nullable=True),
        sa.Column("step", sa.String(16), nullable=True),
        sa.Column("certificate_serial", sa.String(64), nullable=True),
        sa.Column("certificate_sha256", sa.String(64), nullable=True),
        sa.Column("backend", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("checks", sa.JSON, nullable=True),
    )
    op.create_table(
        "signed_documents",
        sa.Column("id", S36, primary_key=True),
        sa.Column("document_id", S36, nullable=False, index=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("school_id", S36, sa.ForeignKey("schools.id"), nullable=True),
        sa.Column("staff_id", S36, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("original_pdf", sa.LargeBinary, nullable=False),
        sa.Column("original_sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("field_name", sa.String(64), nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("certificate_serial", sa.String(64), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.UniqueConstraint("document_id", "revision"),
    )
    op.create_table(
        "service_keys",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("not_before", TZ, nullable=False),
        sa.Column("not_after", TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("ledger_seq", sa.Integer, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "key_compromises",
        sa.Column("id", S36, primary_key=True),
        sa.Column("certificate_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("certificate_serial", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("compromised_at", TZ, nullable=False),
        sa.Column("declared_at", TZ, nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("affected", sa.JSON, nullable=False),
        sa.Column("resealed", sa.JSON, nullable=False),
    )

    _signing_audit_append_only()


def _signing_audit_append_only() -> None:
    """The audit trail of signing operations is append-only, like the ledger."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER signing_audit_no_{action.lower()}
                BEFORE {action} ON signing_audit
                BEGIN
                    SELECT RAISE(ABORT, 'signing_audit is append-only: {action} refused');
                END
                """
            )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION signing_audit_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'signing_audit is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            """
            CREATE TRIGGER signing_audit_append_only
            BEFORE UPDATE OR DELETE ON signing_audit
            FOR EACH ROW EXECUTE FUNCTION signing_audit_refuse_change()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS signing_audit_append_only ON signing_audit")
        op.execute("DROP FUNCTION IF EXISTS signing_audit_refuse_change()")
    for table in ("key_compromises", "service_keys", "signed_documents", "signing_audit", "signer_certificates"):
        op.drop_table(table)
