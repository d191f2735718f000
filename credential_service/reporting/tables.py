"""The reporting tables: the progress summary of each class (issue #16 item 6), kept by ``summaries.py`` in the
same transaction as every change that moves it, so the city dashboard reads ~26,000 rows instead of ~900,000."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class _Counts:
    """The counts a class has (``rules.Tally``), the same columns in both tables."""

    students: Mapped[int] = mapped_column(Integer)  # student-years with results
    drafted: Mapped[int] = mapped_column(Integer)
    locked: Mapped[int] = mapped_column(Integer)  # transcripts that reached each milestone
    signed_gvcn: Mapped[int] = mapped_column(Integer)
    signed_principal: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[int] = mapped_column(Integer)
    no_personal_id: Mapped[int] = mapped_column(Integer)
    pin_malformed: Mapped[int] = mapped_column(Integer)
    pin_province: Mapped[int] = mapped_column(Integer)
    pin_sex: Mapped[int] = mapped_column(Integer)
    pin_birth_year: Mapped[int] = mapped_column(Integer)


class ProgressClassSummary(_Counts, Base):
    """One class's progress counts (the columns of ``rules.Tally`` a class has): what
    ``TranscriptService.progress_facts`` and the data-quality check of ``identity_facts`` give for it, no
    personal data. Summed by SQL for the city's tables."""

    __tablename__ = "progress_class_summaries"
    class_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # classes.id (no foreign key: a read model)
    school_id: Mapped[str] = mapped_column(String(36))
    school_year: Mapped[str] = mapped_column(String(9), index=True)
    name: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    last_change: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # import, lock or signature


class ProgressSchoolSummary(_Counts, Base):
    """A school's classes of one school year summed per level, status and whether they have students: what the
    city's tables read (a few rows per school). Kept from ``progress_class_summaries`` in the same transaction."""

    __tablename__ = "progress_school_summaries"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True, index=True)
    level_grade: Mapped[int] = mapped_column(Integer, primary_key=True)  # the level's first grade: 1, 6 or 10
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    with_students: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1: the classes have students
    classes: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # the earliest last change
