"""The reporting tables: the progress summary of each class (issue #16 item 6), kept by ``summaries.py`` in the
same transaction as every change that moves it, so the city dashboard reads ~26,000 rows instead of ~900,000."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
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


class ProgressSchoolDay(Base):
    """A school's học bạ figures at one level of one school year as they stood at the end of a day (Vietnam's
    calendar day from the injected clock): the history the dashboard's trend reads (issue #16 item 3). Written by
    ``summaries.py`` in the same transaction as each change that rewrites the school's summary rows; a day
    without a change has no row (the trend carries the latest earlier row forward). Counts only, no person."""

    __tablename__ = "progress_school_days"
    __table_args__ = (Index("ix_progress_school_days_year_day", "school_year", "day"),)
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    level_grade: Mapped[int] = mapped_column(Integer, primary_key=True)  # the level's first grade: 1, 6 or 10
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    students: Mapped[int] = mapped_column(Integer)
    locked: Mapped[int] = mapped_column(Integer)
    signed_gvcn: Mapped[int] = mapped_column(Integer)
    signed_principal: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[int] = mapped_column(Integer)
    # Each figure less the school's and level's row before this day (0 when none): what the trend sums per day,
    # kept with the row so that the city's trend is one GROUP BY (``trend.py``).
    students_change: Mapped[int] = mapped_column(Integer)
    locked_change: Mapped[int] = mapped_column(Integer)
    signed_gvcn_change: Mapped[int] = mapped_column(Integer)
    signed_principal_change: Mapped[int] = mapped_column(Integer)
    sealed_change: Mapped[int] = mapped_column(Integer)


class VerificationDailyCount(Base):
    """Anonymous verification checks counted per Vietnam day, channel (``qr``, ``pdf``, ``status``) and outcome
    (``ok``, ``failed``): the traffic section's QR scans and PDF checks (issue #16 item 1). A count only: no
    client address, document or credential id, time of day or anything else about the check is kept
    (``check_counter.py`` adds to it)."""

    __tablename__ = "verification_daily_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    checks: Mapped[int] = mapped_column(Integer)
