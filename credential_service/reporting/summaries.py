"""The progress summaries (issue #16 item 6), kept in the same transaction as every change that moves them: one
row per class with the counts the model sums (``progress_class_summaries``), and each school's classes summed per
school year, level, status and whether they have students (``progress_school_summaries``, a few rows per school).
The city's tables read the school rows (~4,000 at 900,000 students instead of ~900,000 rows and ID checks); a
school's and a class's drill-down read the class rows. A class signed a moment ago is counted at once.

How they are kept: a listener on every SQLAlchemy ``Session`` notes, before each flush, the classes whose counts
the pending changes may move (``TranscriptService.classes_touched``: a class, its results, imports, transcripts,
a transcript's signatures, a student's identity). Just before the transaction commits, those classes are counted
again from the register in the same transaction (``TranscriptService.class_progress_facts`` and
``class_identity_facts``: a class of ~35 students, a few milliseconds) and their schools' rows summed again from
the class rows. Counting a class again, rather than adding deltas, cannot drift, and covers every path that
writes through the ORM (import, lock, each signing step, external signing, amendments, a compromised key's
re-signing, a student's corrected ID number, a new class). Rows written with Core statements bypass the ORM and
so the listener: whoever bulk-writes the register's tables (the benchmark) calls :func:`rebuild` after.
:func:`rebuild` counts everything from scratch (the migration's backfill); :func:`differences` compares the kept
rows with a fresh count (``sogoc progress summaries``; ``--rebuild`` mends them).

With each school's rows, the school's trend row of the day is written (``trend.py``: the history the
dashboard's trend line reads).

Concurrency: on PostgreSQL each transaction takes an advisory lock per school it sums before it writes (and then
counts again, READ COMMITTED, what another writer of the school committed meanwhile), so two writers of one
school never sum over each other; on SQLite writers are one at a time already.

The ID-number check here ignores "today" (``quality.pin_issues`` with a far horizon): only the rule "the number
encodes a birth year after this year" depends on it, and a number whose year digits differ from the recorded
date of birth is already counted under ``pin_birth_year``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, case, delete, event, func, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from credential_service.reporting import trend
from credential_service.reporting.quality import pin_issues
from credential_service.reporting.rules import COUNT_FIELDS, ClassFacts, Tally
from credential_service.reporting.tables import ProgressClassSummary, ProgressSchoolSummary
from credential_service.transcripts.service import TranscriptService

HORIZON = date(9999, 12, 31)  # "today" for the ID-number check (see the module's docstring)
TOUCHED = "progress_summaries.touched"  # Session.info key: class ids to count again before the commit
CHUNK = 5_000
_TABLE = cast(Table, ProgressClassSummary.__table__)
_SCHOOLS = cast(Table, ProgressSchoolSummary.__table__)
_COLUMNS = [c.name for c in _TABLE.columns]
CLASS_COUNTS = tuple(c for c in COUNT_FIELDS if not c.startswith("diplomas_"))  # a class's; diplomas are a school's


def summary_rows(
    facts: Iterable[dict[str, Any]], identities: Iterable[tuple[str, str | None, str, date, str | None]]
) -> list[dict[str, Any]]:
    """The summary rows of the classes in ``facts`` (``class_progress_facts``) with the ID-number counts of
    ``identities`` (``class_identity_facts`` of the same classes): each class's ``rules.Tally``, as the model
    counts it."""
    quality: dict[str, Counter[str]] = {}
    for class_id, pin, sex, born, place in identities:
        issues = pin_issues(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=HORIZON)
        if issues:
            quality.setdefault(class_id, Counter()).update(issues)
    rows = []
    for k in facts:
        t = ClassFacts(**k, quality=dict(quality.get(k["class_id"], {}))).tally()
        rows.append(
            {
                **{c: k[c] for c in ("class_id", "school_id", "school_year", "name", "grade", "status", "last_change")},
                **{c: getattr(t, c) for c in CLASS_COUNTS},
            }
        )
    return rows


def refresh(session: Session, class_ids: Iterable[str]) -> int:
    """Count the given classes again from the register, in ``session``'s transaction, and sum their schools'
    classes again; a class that no longer exists loses its row. Returns the class rows written."""
    ids = sorted(set(class_ids))
    places: set[tuple[str, str]] = set()
    for chunk in _chunks(ids):
        query = select(_TABLE.c.school_id, _TABLE.c.school_year).where(_TABLE.c.class_id.in_(chunk))
        places.update((school_id, year) for school_id, year in session.execute(query))
    rows = _count(session, ids)
    places.update((r["school_id"], r["school_year"]) for r in rows)
    if _lock_schools(session, {school for school, _ in places}):
        rows = _count(session, ids)  # what another writer of these schools committed while we waited
    for chunk in _chunks(ids):
        session.execute(delete(_TABLE).where(_TABLE.c.class_id.in_(chunk)))
    if rows:
        session.execute(insert(_TABLE), rows)
    for school_id, year in sorted(places):
        mine = (_SCHOOLS.c.school_id == school_id, _SCHOOLS.c.school_year == year)
        session.execute(delete(_SCHOOLS).where(*mine))
        session.execute(_regroup(_TABLE.c.school_id == school_id, _TABLE.c.school_year == year))
    day = trend.today_of(session)
    if day is not None:  # the trend's history: these schools as they stand today (trend.py)
        trend.snapshot(session, places, day)
    return len(rows)


def rebuild(session: Session, today: date | None = None) -> int:
    """Count every class from scratch, in ``session``'s transaction (the caller commits): the backfill of the
    migration, and after rows were bulk-inserted around the ORM; with a day (given, or from the clock registered
    for the session's engine: ``trend.py``), every school's trend row of that day too. Returns the classes
    counted."""
    session.info.pop(TOUCHED, None)
    session.execute(delete(_SCHOOLS))
    session.execute(delete(_TABLE))
    rows = _fresh(session)
    for chunk in _chunks(rows):
        session.execute(insert(_TABLE), chunk)
    session.execute(_regroup())
    day = today or trend.today_of(session)
    if day is not None:
        trend.snapshot(session, None, day)
    return len(rows)


def differences(session: Session) -> list[dict[str, Any]]:
    """Where the kept rows differ from a fresh count of the register (empty: they agree): per class, each
    column that differs with the kept and the fresh value (None: no row); and per school, year, level, status
    where the schools' sums differ from the sums of the kept classes."""
    kept = {r["class_id"]: r for r in (dict(m) for m in session.execute(select(_TABLE)).mappings())}
    fresh = {r["class_id"]: r for r in _fresh(session)}
    out: list[dict[str, Any]] = []
    for class_id in sorted(kept.keys() | fresh.keys()):
        a, b = kept.get(class_id), fresh.get(class_id)
        if a is None or b is None:
            out.append({"class_id": class_id, "column": None, "kept": a is not None, "fresh": b is not None})
            continue
        out.extend({"class_id": class_id, "column": c, "kept": a[c], "fresh": b[c]} for c in _COLUMNS if a[c] != b[c])
    key = ("school_id", "school_year", "level_grade", "status", "with_students")
    sums = {tuple(r[k] for k in key): dict(r) for r in session.execute(_grouped()).mappings()}
    schools = {tuple(r[k] for k in key): dict(r) for r in session.execute(select(_SCHOOLS)).mappings()}
    for place in sorted(sums.keys() | schools.keys(), key=str):
        a, b = schools.get(place), sums.get(place)
        if a is None or b is None or any(_same(c, a[c]) != _same(c, b[c]) for c in a):
            out.append({"school": dict(zip(key, place, strict=True)), "kept": a, "fresh": b})
    return out


def school_years(session: Session) -> list[str]:
    """Every school year on record."""
    return sorted(session.execute(select(_SCHOOLS.c.school_year).distinct()).scalars())


def read_classes(session: Session, school_year: str, school_id: str | None = None) -> list[ClassFacts]:
    """The classes of ``school_year`` (of one school, or all) as the model's facts."""
    t = _TABLE.c
    query = select(
        t.class_id, t.school_id, t.name, t.grade, t.school_year, t.status, t.last_change,
        *(_TABLE.c[c] for c in CLASS_COUNTS),
    ).where(t.school_year == school_year)  # fmt: skip
    if school_id is not None:
        query = query.where(t.school_id == school_id)
    out = []
    for class_id, school, name, grade, year, status, last_change, *counts in session.execute(query.order_by(t.name)):
        tally = Tally(**dict(zip(CLASS_COUNTS, counts, strict=True)))
        out.append(
            ClassFacts(class_id, school, name, grade, year, status, tally.students, {}, last_change, counts=tally)
        )
    return out


def read_class(session: Session, class_id: str) -> ClassFacts | None:
    """One class's facts, whatever its school year."""
    row = session.execute(select(_TABLE.c.school_year, _TABLE.c.school_id).where(_TABLE.c.class_id == class_id)).first()
    if row is None:
        return None
    return next((k for k in read_classes(session, row[0], row[1]) if k.class_id == class_id), None)


def read_groups(session: Session, school_year: str) -> list[ClassFacts]:
    """The classes of ``school_year`` summed per school, level, status and whether they have students (the
    school summaries): what the city's tables need (``rules.build_model`` sums them on), a few rows per
    school instead of one per class. Each group's ``last_change`` is the earliest of its classes' (the
    backlog's "since")."""
    t = _SCHOOLS.c
    query = select(
        t.school_id, t.level_grade, t.status, t.classes, t.since, *(_SCHOOLS.c[c] for c in CLASS_COUNTS)
    ).where(t.school_year == school_year)
    out = []
    for school_id, grade, status, classes, since, *sums in session.execute(query):
        counts = Tally(**dict(zip(CLASS_COUNTS, sums, strict=True)))
        out.append(
            ClassFacts(
                "",
                school_id,
                "",
                grade,
                school_year,
                status,
                counts.students,
                {},
                since,
                classes=classes,
                counts=counts,
            )
        )
    return out


def _grouped(*where: Any) -> Select[Any]:
    """The class summaries (matching ``where``) summed as the school summaries keep them."""
    t = _TABLE.c
    level = case((t.grade <= 5, 1), (t.grade <= 9, 6), else_=10)  # the level's first grade: rules.level_of_grade
    with_students = case((t.students > 0, 1), else_=0)
    return (
        select(
            t.school_id, t.school_year, level.label("level_grade"), t.status, with_students.label("with_students"),
            func.count().label("classes"), func.min(t.last_change).label("since"),
            *(func.sum(_TABLE.c[c]).label(c) for c in CLASS_COUNTS),
        )
        .where(*where)
        .group_by(t.school_id, t.school_year, level, t.status, with_students)
    )  # fmt: skip


def _regroup(*where: Any) -> Insert:
    query = _grouped(*where)
    return insert(_SCHOOLS).from_select([c.name for c in query.selected_columns], query)


def _utc(at: datetime | str) -> datetime:
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _same(column: str, value: Any) -> Any:
    """A value as compared (``min()`` over a date-time column may read back as text on SQLite)."""
    return _utc(value) if column == "since" and value is not None else value


def _lock_schools(session: Session, schools: set[str]) -> bool:
    """On PostgreSQL, wait for any other transaction summing these schools (until it ends) and return True;
    on SQLite writers are one at a time already (False)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    for school_id in sorted(schools):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"progress:{school_id}"})
    return True


def _count(session: Session, ids: Sequence[str]) -> list[dict[str, Any]]:
    return summary_rows(
        TranscriptService.class_progress_facts(session, ids), TranscriptService.class_identity_facts(session, ids)
    )


def _fresh(session: Session) -> list[dict[str, Any]]:
    return summary_rows(
        TranscriptService.class_progress_facts(session, None), TranscriptService.class_identity_facts(session, None)
    )


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


# -- the listener: in every session, the same transaction as the change ----------------------------------


@event.listens_for(Session, "before_flush")
def _note_touched(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    touched = TranscriptService.classes_touched(session)
    if touched:
        session.info.setdefault(TOUCHED, set()).update(touched)


@event.listens_for(Session, "before_commit")
def _count_again_before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the flush notes what it writes (above)
    touched: set[str] | None = session.info.pop(TOUCHED, None)
    if touched:
        refresh(session, touched)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back outermost transaction wrote nothing to count; a savepoint's rollback keeps the notes (counting
    # a class again that did not change writes the same row).
    if transaction.parent is None:
        session.info.pop(TOUCHED, None)
