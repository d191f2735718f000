"""The progress summaries (issue #16 item 6): a change moves its class's summary row in the same transaction, a
rolled-back one does not, the kept rows equal a rebuild from scratch, and the city's tables summed by SQL equal
the tables summed class by class."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from progress_fixtures import add_school, counts_from_tables, flip_sex_digits, set_personal_ids
from sqlalchemy import event, select, update

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, staff_id
from credential_service.reporting import rules, summaries
from credential_service.reporting.rules import Filters, Tally
from credential_service.reporting.tables import ProgressClassSummary, ProgressSchoolSummary
from credential_service.transcripts.tables import Student, YearResult
from credential_service.transcripts.workflow import Step

A1, A2 = class_id("10A1"), class_id("10A2")
SUMMARY = ProgressClassSummary.__tablename__


def _counts(c: Container, cid: str) -> Tally | None:
    with c.db.reader() as s:
        k = summaries.read_class(s, cid)
    return k.tally() if k is not None else None


def _kept(c: Container) -> list[dict[str, Any]]:
    """Every kept row, classes then schools, in a stable order."""
    with c.db.reader() as s:
        rows = [
            {"table": table.name, **r}
            for table in (ProgressClassSummary.__table__, ProgressSchoolSummary.__table__)
            for r in s.execute(select(table)).mappings()
        ]
    return sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


@contextmanager
def _statements(c: Container) -> Iterator[list[str]]:
    """The statements the writing engine runs, with "COMMIT" and "ROLLBACK" where the transactions end."""
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(" ".join(sql.split()[:3]).upper())

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    def rollback(_conn: Any) -> None:
        seen.append("ROLLBACK")

    hooks = [("before_cursor_execute", statement), ("commit", commit), ("rollback", rollback)]
    for name, fn in hooks:
        event.listen(c.db.engine, name, fn)
    try:
        yield seen
    finally:
        for name, fn in hooks:
            event.remove(c.db.engine, name, fn)


def _same_transaction(seen: list[str], change: str) -> bool:
    """Whether the summary was written after the last ``change`` statement and before that transaction's
    COMMIT."""
    last = max(i for i, s in enumerate(seen) if s.startswith(change.upper()))
    end = next(i for i in range(last, len(seen)) if seen[i] in ("COMMIT", "ROLLBACK"))
    return seen[end] == "COMMIT" and any(s == f"INSERT INTO {SUMMARY.upper()}" for s in seen[last:end])


def test_an_import_moves_its_class_summary_in_the_same_transaction(container: Container) -> None:
    with _statements(container) as seen:
        cid = add_school(container, "THCS-MOI", "Phường Lê Chân", n=9)
    assert _same_transaction(seen, "INSERT INTO year_results")
    counts = _counts(container, cid)
    assert counts is not None and (counts.students, counts.drafted, counts.locked) == (9, 9, 0)
    assert container.reporting.summary_differences() == []


def test_locking_a_class_moves_its_summary_in_the_same_transaction(container: Container) -> None:
    assert (_counts(container, A2) or Tally()).locked == 0
    with _statements(container) as seen:
        container.transcripts.lock_class(A2)
    assert _same_transaction(seen, "INSERT INTO transcripts")
    counts = _counts(container, A2)
    assert counts is not None and (counts.students, counts.drafted, counts.locked) == (42, 0, 42)
    assert container.reporting.summary_differences() == []


@pytest.mark.slow
def test_each_signing_step_moves_the_summary_in_the_same_transaction(container: Container) -> None:
    svc = container.transcripts
    svc.lock_class(A2)
    for step, who, reached in [
        (Step.GVCN, "gvcn-10a2", "signed_gvcn"),
        (Step.PRINCIPAL, "principal", "signed_principal"),
        (Step.SEAL, "seal-thpt-demo", "sealed"),
    ]:
        with _statements(container) as seen:
            svc.sign_class(A2, step, staff_id=staff_id(who))
        assert _same_transaction(seen, "INSERT INTO signing_events"), step
        assert getattr(_counts(container, A2), reached) == 42, step
    assert container.reporting.summary_differences() == []


def test_a_corrected_id_number_moves_every_class_of_the_student(container: Container) -> None:
    set_personal_ids(container, A1, [None, None])
    assert (_counts(container, A1) or Tally()).no_personal_id == 2
    flip_sex_digits(container, A2, 3)
    assert (_counts(container, A2) or Tally()).pin_sex == 3
    assert container.reporting.summary_differences() == []


def test_a_rolled_back_change_leaves_the_summary_as_it_was(container: Container) -> None:
    before = _kept(container)
    with pytest.raises(RuntimeError), container.db.transaction() as s:
        for student in s.execute(
            select(Student).join(YearResult, YearResult.student_id == Student.id).where(YearResult.class_id == A1)
        ).scalars():
            student.personal_id = None
        s.flush()
        raise RuntimeError("the change fails after its flush")
    assert _kept(container) == before
    assert container.reporting.summary_differences() == []


def test_the_kept_summaries_equal_a_rebuild_on_generated_data(container: Container) -> None:
    for i, (grade, n) in enumerate([(6, 6), (7, 3), (8, 12), (9, 7), (11, 30)]):
        cid = add_school(container, f"TR-{i}", f"Xã {i % 2}", grade=grade, name=f"{grade}A{i}", n=n)
        flip_sex_digits(container, cid, i % 4)
        set_personal_ids(container, cid, [None] * (i % 3))
    container.transcripts.lock_class(A2)
    set_personal_ids(container, A1, [None] * 4)
    kept = _kept(container)
    assert sum(r["table"] == SUMMARY for r in kept) == 7
    assert container.reporting.summary_differences() == []
    assert container.reporting.rebuild_summaries() == 7
    assert _kept(container) == kept


def test_rows_written_around_the_orm_are_found_by_the_check_and_mended_by_a_rebuild(container: Container) -> None:
    with container.db.transaction() as s:  # a Core statement: the listener does not see it
        ids = select(YearResult.student_id).where(YearResult.class_id == A1).scalar_subquery()
        s.execute(update(Student).where(Student.id.in_(ids)).values(personal_id=None))
    diff = container.reporting.summary_differences()
    assert diff == [{"class_id": A1, "column": "no_personal_id", "kept": 0, "fresh": 45}]
    container.reporting.rebuild_summaries()
    assert container.reporting.summary_differences() == []
    city = container.reporting.progress(Filters(), None)["tables"]["city"][0]
    assert city["no_personal_id"] == counts_from_tables(container)["no_personal_id"] == 45


def test_the_city_summed_by_sql_equals_the_city_summed_class_by_class(container: Container) -> None:
    for i in range(4):
        add_school(container, f"TR-{i}", f"Xã {i % 2}", grade=6 + 2 * i, name=f"L{i}", n=5 + i)
    container.transcripts.lock_class(A2)
    schools = [rules.SchoolFacts(**s) for s in container.transcripts.progress_schools()]
    with container.db.reader() as s:
        groups = summaries.read_groups(s, "2025-2026")
        classes = summaries.read_classes(s, "2025-2026")
    assert len(classes) == 6 and sum(g.classes for g in groups) == 6 and len(groups) == 6  # 10A1 and 10A2 differ
    for f in [Filters(school_year="2025-2026"), Filters(rules.Level.UPPER, None, "2025-2026"), Filters(None, "Xã 1")]:
        by_sql = rules.tables(rules.build_model(schools, groups, [], f))
        one_by_one = rules.tables(rules.build_model(schools, classes, [], f))
        assert by_sql == one_by_one


def test_a_new_class_without_results_has_a_summary_of_zeros(container: Container) -> None:
    from credential_service.transcripts.tables import SchoolClass

    with container.db.transaction() as s:
        school = s.execute(select(SchoolClass.school_id).where(SchoolClass.id == A1)).scalar_one()
        s.add(SchoolClass(id=(cid := str(uuid.uuid4())), school_id=school, school_year="2025-2026", name="12A9",
                          grade=12))  # fmt: skip
    counts = _counts(container, cid)
    assert counts is not None and counts.students == 0
    assert container.reporting.summary_differences() == []


def test_the_migration_backfills_the_summaries_of_an_existing_register(container: Container) -> None:
    from alembic import command

    from credential_service.platform.db import alembic_config, migrate

    container.transcripts.lock_class(A2)
    kept = _kept(container)
    command.downgrade(alembic_config(container.db.url), "0015-1")
    migrate(container.db.url)
    assert _kept(container) == kept and len(kept) > 2


def test_sogoc_progress_summaries_finds_a_difference_and_rebuild_mends_it(container: Container) -> None:
    import io
    import json
    from contextlib import redirect_stdout

    from credential_service.app.cli import main as sogoc

    with container.db.transaction() as s:  # around the ORM: the summaries do not see it
        s.execute(update(Student).values(personal_id=None))
    base = ["--database-url", container.db.url, "progress", "summaries"]
    for args, rc, agree in [(base, 1, False), ([*base, "--rebuild"], 0, None), (base, 0, True)]:
        printed = io.StringIO()
        with redirect_stdout(printed):
            assert sogoc(args) == rc
        if agree is not None:
            assert json.loads(printed.getvalue())["agree"] is agree


@pytest.mark.postgres
def test_on_postgresql_two_writers_of_one_school_leave_the_summaries_right(postgres_db_url: str) -> None:
    import threading

    from credential_service.app.bootstrap import build
    from credential_service.app.demo import seed_demo
    from credential_service.platform.clock import FixedClock, SystemClock
    from credential_service.platform.settings import Settings

    c = build(Settings(env="test", database_url=postgres_db_url), clock=FixedClock(SystemClock().now()))
    try:
        c.migrate()
        seed_demo(c.transcripts, import_results=True)
        assert c.reporting.summary_differences() == []
        with c.db.transaction() as s:  # the first writer has flushed and not yet committed …
            for student in s.execute(
                select(Student).join(YearResult, YearResult.student_id == Student.id).where(YearResult.class_id == A1)
            ).scalars():
                student.personal_id = None
            s.flush()
            other = threading.Thread(target=flip_sex_digits, args=(c, A2, 5))  # … when a second commits
            other.start()
            other.join(timeout=60)
            assert not other.is_alive()
        assert c.reporting.summary_differences() == []
        city = c.reporting.progress(Filters(), None)["tables"]["city"][0]
        expected = counts_from_tables(c)
        assert (city["no_personal_id"], city["pin_sex"]) == (expected["no_personal_id"], expected["pin_sex"]) == (45, 5)
    finally:
        c.db.dispose()
