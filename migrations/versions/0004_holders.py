"""Holders, consent and employers: persons and identifier history, student/diploma links, the dev
population registry, holder accounts and sessions, organisations and API keys, consent grants and
the append-only access log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
S36 = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", S36, primary_key=True),
        sa.Column("moet_id", sa.String(32), nullable=True, unique=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "person_identifiers",
        sa.Column("id", S36, primary_key=True),
        sa.Column("person_id", S36, sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(20), nullable=False, index=True),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("person_id", "kind", "value"),
    )
    for table, target in (("student_persons", ("student_id", "students.id")),
                          ("diploma_persons", ("diploma_id", "diplomas.id"))):  # fmt: skip
        op.create_table(
            table,
            sa.Column(target[0], S36, sa.ForeignKey(target[1]), primary_key=True),
            sa.Column("person_id", S36, sa.ForeignKey("persons.id"), nullable=False, index=True),
            sa.Column("method", sa.String(32), nullable=False),
            sa.Column("linked_by", sa.String(100), nullable=False),
            sa.Column("linked_at", TZ, nullable=False),
        )
    op.create_table(
        "registry_citizens",
        sa.Column("pin", sa.String(12), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("alive", sa.Integer, nullable=False),
    )
    op.create_table(
        "holder_accounts",
        sa.Column("id", S36, primary_key=True),
        sa.Column("person_id", S36, sa.ForeignKey("persons.id"), nullable=False, unique=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("activation_code_hash", sa.String(200), nullable=True),
        sa.Column("activation_expires_at", TZ, nullable=True),
        sa.Column("activation_issued_by", sa.String(100), nullable=True),
        sa.Column("oidc_issuer", sa.String(255), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("activated_at", TZ, nullable=True),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject"),
    )
    op.create_table(
        "holder_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", S36, sa.ForeignKey("holder_accounts.id"), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_table(
        "organisations",
        sa.Column("id", S36, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tax_code", sa.String(20), nullable=False, unique=True),
        sa.Column("contact_email", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", S36, primary_key=True),
        sa.Column("organisation_id", S36, sa.ForeignKey("organisations.id"), nullable=False, index=True),
        sa.Column("prefix", sa.String(24), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("rate_per_minute", sa.Integer, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("rotated_from_id", S36, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_table(
        "consent_grants",
        sa.Column("id", S36, primary_key=True),
        sa.Column("person_id", S36, sa.ForeignKey("persons.id"), nullable=False, index=True),
        sa.Column("account_id", S36, sa.ForeignKey("holder_accounts.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("code_hint", sa.String(8), nullable=False),
        sa.Column("scope", sa.String(24), nullable=False),
        sa.Column("recipient_org_id", S36, sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("purpose", sa.String(255), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("max_uses", sa.Integer, nullable=False),
        sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("minor", sa.Integer, nullable=False),
        sa.Column("guardian_confirmed_at", TZ, nullable=True),
        sa.Column("guardian_name", sa.String(200), nullable=True),
        sa.Column("guardian_relation", sa.String(32), nullable=True),
        sa.Column("guardian_confirmed_by", sa.String(100), nullable=True),
        sa.Column("consent_text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "consent_grant_credentials",
        sa.Column("grant_id", S36, sa.ForeignKey("consent_grants.id"), primary_key=True),
        sa.Column("credential_id", S36, primary_key=True),
        sa.Column("credential_kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "access_log",
        sa.Column("id", S36, primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("person_id", S36, nullable=True, index=True),
        sa.Column("grant_id", S36, nullable=True),
        sa.Column("credential_id", S36, nullable=True),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("organisation_id", S36, nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("api_key_prefix", sa.String(24), nullable=True),
        sa.Column("purpose", sa.String(255), nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("client_hash", sa.String(32), nullable=True),
        sa.Column("receipt_id", S36, nullable=True),
    )
    _append_only("access_log")


def _append_only(table: str) -> None:
    """UPDATE, DELETE (and on PostgreSQL TRUNCATE) refused in the database, as for the ledger."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
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
            f"""
            CREATE FUNCTION {table}_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_refuse_change()")
    for table in (
        "access_log",
        "consent_grant_credentials",
        "consent_grants",
        "api_keys",
        "organisations",
        "holder_sessions",
        "holder_accounts",
        "registry_citizens",
        "diploma_persons",
        "student_persons",
        "person_identifiers",
        "persons",
    ):
        op.drop_table(table)
