"""Alembic migrations make the schema on SQLite and PostgreSQL, and it matches the ORM tables."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from credential_service.app.schema import Base
from credential_service.platform.db import migrate


def test_migrations_create_every_table_and_column_the_orm_declares(empty_db_url: str) -> None:
    migrate(empty_db_url)
    engine = create_engine(empty_db_url)
    try:
        insp = inspect(engine)
        tables = set(insp.get_table_names())
        for table in Base.metadata.sorted_tables:
            assert table.name in tables, f"migration does not create {table.name}"
            db_columns = {c["name"] for c in insp.get_columns(table.name)}
            assert {c.name for c in table.columns} == db_columns, table.name
    finally:
        engine.dispose()


def test_migrating_twice_is_a_no_op(empty_db_url: str) -> None:
    migrate(empty_db_url)
    migrate(empty_db_url)


def test_downgrade_to_base_removes_everything(empty_db_url: str) -> None:
    from alembic import command

    from credential_service.platform.db import alembic_config

    migrate(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    engine = create_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
