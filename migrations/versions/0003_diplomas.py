"""Diplomas and the master register: graduation decisions, register counters and books, diploma
versions, decisions, copies, the reconciliation queue and the public check log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "graduation_decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("issuer_key", sa.String(64), nullable=False),
        sa.Column("school_id", sa.String(36), sa.ForeignKey("schools.id"), nullable=True),
        sa.Column("decision_no", sa.String(64), nullable=False),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("diploma_type", sa.String(8), nullable=False),
        sa.Column("graduation_year", sa.Integer, nullable=False),
        sa.Column("exam_session", sa.String(64), nullable=True),
        sa.Column("training_mode", sa.String(32), nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("graduates", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("issuer_key", "decision_no"),
    )
    op.create_table(
        "register_counters",
        sa.Column("issuer_key", sa.String(64), primary_key=True),
        sa.Column("diploma_type", sa.String(8), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "register_books",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("book_code", sa.String(64), nullable=False, unique=True),
        sa.Column("issuer_key", sa.String(64), nullable=False),
        sa.Column("issuer_name", sa.String(200), nullable=False),
        sa.Column("diploma_type", sa.String(8), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("imported_count", sa.Integer, nullable=False),
        sa.Column("queued_count", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "diplomas",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("diploma_type", sa.String(8), nullable=False),
        sa.Column("form", sa.String(8), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("assurance", sa.String(32), nullable=False),
        sa.Column("issuer_key", sa.String(64), nullable=False, index=True),
        sa.Column("issuer_role", sa.String(16), nullable=False),
        sa.Column("issuer_name", sa.String(200), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("school_id", sa.String(36), sa.ForeignKey("schools.id"), nullable=True),
        sa.Column("school_name", sa.String(200), nullable=False),
        sa.Column("graduation_decision_id", sa.String(36), sa.ForeignKey("graduation_decisions.id"), nullable=True),
        sa.Column("graduate_index", sa.Integer, nullable=True),
        sa.Column("decision_no", sa.String(64), nullable=True),
        sa.Column("graduation_year", sa.Integer, nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False, index=True),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("place_of_birth", sa.String(200), nullable=True),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("ethnicity", sa.String(64), nullable=True),
        sa.Column("personal_id", sa.String(12), nullable=True),
        sa.Column("classification", sa.String(32), nullable=True),
        sa.Column("serial_no", sa.String(32), nullable=True, index=True),
        sa.Column("register_no", sa.String(64), nullable=False, index=True),
        sa.Column("register_seq", sa.Integer, nullable=True),
        sa.Column("register_year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("replaces_id", sa.String(36), nullable=True),
        sa.Column("replaced_by_id", sa.String(36), nullable=True),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("ledger_seq", sa.Integer, nullable=True),
        sa.Column("book_id", sa.String(36), sa.ForeignKey("register_books.id"), nullable=True),
        sa.Column("book_page", sa.Integer, nullable=True),
        sa.Column("book_line", sa.Integer, nullable=True),
        sa.Column("scan_ref", sa.String(255), nullable=True),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("issuer_key", "register_no", "version"),
        sa.UniqueConstraint("graduation_decision_id", "graduate_index", "version"),
    )
    op.create_table(
        "diploma_decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("diploma_id", sa.String(36), sa.ForeignKey("diplomas.id"), nullable=False, index=True),
        sa.Column("new_diploma_id", sa.String(36), nullable=True),
        sa.Column("decision_no", sa.String(64), nullable=False),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("signer", sa.String(200), nullable=False),
        sa.Column("ground", sa.String(40), nullable=False),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("old_value", sa.String(200), nullable=True),
        sa.Column("new_value", sa.String(200), nullable=True),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("return_by", sa.Date, nullable=True),
        sa.Column("ledger_seq", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "diploma_copies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("diploma_id", sa.String(36), sa.ForeignKey("diplomas.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("capacity", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(255), nullable=False),
        sa.Column("given_by", sa.String(100), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "reconciliation_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("book_id", sa.String(36), sa.ForeignKey("register_books.id"), nullable=False, index=True),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("row", sa.JSON, nullable=False),
        sa.Column("conflicting_diploma_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("diploma_id", sa.String(36), nullable=True),
        sa.Column("ledger_seq", sa.Integer, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "public_check_log",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("query_kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "public_check_log",
        "reconciliation_items",
        "diploma_copies",
        "diploma_decisions",
        "diplomas",
        "register_books",
        "register_counters",
        "graduation_decisions",
    ):
        op.drop_table(table)
