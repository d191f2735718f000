"""The Sở's progress (issue #16): reads the register through the other domains' services, never their tables,
and hands the counts to the pure model (``rules.py``), suppressed before they leave (``suppression.py``).

The register's counts come from the per-class summary rows (``summaries.py``), kept in the same transaction as
each import, lock, signature or amendment, so a class signed a moment ago is counted at once and the city
dashboard reads one row per class (issue #16 item 6).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import Message, NotAuthorised, NotFound
from credential_service.reporting import (
    check_counter,
    person_reads,
    person_rules,
    rules,
    section_reads,
    summaries,
    trend,
    trend_rules,
)
from credential_service.reporting.report_rules import ALL_TABLES
from credential_service.reporting.rules import ClassFacts, DiplomaFacts, Filters, Model, SchoolFacts
from credential_service.reporting.suppression import MARK, THRESHOLD
from credential_service.reporting.tables_csv import to_csv


class RegisterReads(Protocol):
    """What the progress needs from the transcripts domain (``TranscriptService``): the schools, and the
    database its summaries are kept in (``summaries.py`` reads the register in the transaction of a change)."""

    db: Database

    def progress_schools(self) -> list[dict[str, Any]]: ...


class DeadlineReads(Protocol):
    """What the progress needs from the diplomas domain (``DiplomaService``): the 5-day-rule view."""

    def deadline_view(self, today: date | None = None) -> list[dict[str, Any]]: ...


class ReportingService:
    def __init__(
        self,
        register: RegisterReads,
        diplomas: DeadlineReads,
        *,
        clock: Clock,
        db: Database | None = None,
        signers: section_reads.SignerReads | None = None,
        access_log: section_reads.AccessLogReads | None = None,
        public_checks: section_reads.PublicCheckReads | None = None,
        registers: section_reads.RegisterCounts | None = None,
    ) -> None:
        self.register = register
        self.diplomas = diplomas
        self.signers = signers
        self.access_log = access_log
        self.public_checks = public_checks
        self.registers = registers
        self.clock = clock
        self.db = db or register.db  # where the summaries are kept: the register's database
        trend.keep_days(self.db.engine, clock)  # each change's trend row is dated by this clock (trend.py)

    # -- the summaries ---------------------------------------------------------------------------
    def rebuild_summaries(self) -> int:
        """Count every class's summary from scratch (after rows were written around the ORM); returns the
        classes counted."""
        with self.db.transaction() as session:
            return summaries.rebuild(session, self.clock.today())

    def summary_differences(self) -> list[dict[str, Any]]:
        """Where the kept summaries differ from a fresh count of the register (empty: they agree)."""
        with self.db.reader() as session:
            return summaries.differences(session)

    # -- the model ---------------------------------------------------------------------------------
    def model(
        self, f: Filters, communes: frozenset[str] | None, *, school_id: str | None = None
    ) -> tuple[Model, str | None, list[str], list[str]]:
        """The model for the filters within the communes a person may see (None: the whole city); also the
        school year shown (the latest one when none is asked for), every school year on record and the
        communes the person may choose from. The city's model sums the classes per school, level and status
        (``summaries.read_groups``); with ``school_id``, the model of that school alone, class by class."""
        if communes is not None and f.commune is not None and f.commune not in communes:
            raise NotAuthorised(
                Message(
                    f"Bạn chỉ xem được tiến độ của xã/phường mình, không phải «{f.commune}».",
                    f"You may see the progress of your own commune only, not «{f.commune}».",
                ),
                policy="progress.read",
            )
        schools = [
            SchoolFacts(**s) for s in self.register.progress_schools() if communes is None or s["commune"] in communes
        ]
        with self.db.reader() as session:
            years = summaries.school_years(session)
            year = f.school_year or (years[-1] if years else None)
            if year is None:
                classes: list[ClassFacts] = []
            elif school_id is None:
                classes = summaries.read_groups(session, year)
            else:
                classes = summaries.read_classes(session, year, school_id)
        today = self.clock.today()
        diplomas = [
            DiplomaFacts(d["school_code"], date.fromisoformat(d["decision_date"]), d["graduates"], d["counts"])
            for d in self.diplomas.deadline_view(today)
        ]
        f = Filters(f.level, f.commune, year)
        choices = sorted({s.commune for s in schools if s.commune})
        kept = schools if school_id is None else [s for s in schools if s.school_id == school_id]
        return rules.build_model(kept, classes, diplomas, f), year, years, choices

    def progress(self, f: Filters, communes: frozenset[str] | None) -> dict[str, Any]:
        """Every table behind the dashboard (``GET /api/v1/progress``)."""
        model, year, years, choices = self.model(f, communes)
        tables = rules.tables(model)
        tables["trend"] = self.trend(f, communes, year)
        sections = self.sections(f, communes)
        for section in sections.values():  # a section's tables join the others; the section names them
            named = section.pop("tables")
            tables.update(named)
            section["tables"] = list(named)
        return {
            "as_of": self.clock.now().isoformat(),
            "school_year": year,
            "school_years": years,
            "filters": {"level": f.level.value if f.level else None, "commune": f.commune, "school_year": year},
            "scope": {"city": communes is None, "communes": sorted(communes) if communes is not None else None},
            "communes": choices,
            "plan": {"share_signed": rules.PLAN_SHARE, "by": rules.PLAN_BY.isoformat()},
            "trend": {"tables": ["trend"], "source": "progress_school_days"},
            "suppression": _SUPPRESSION,
            "tables": tables,
            **sections,
        }

    def _scoped_schools(self, f: Filters, communes: frozenset[str] | None) -> frozenset[str] | None:
        """The schools of the commune filter and the caller's scope (None: every school)."""
        if communes is None and f.commune is None:
            return None
        return frozenset(
            s["school_id"]
            for s in self.register.progress_schools()
            if (communes is None or s["commune"] in communes) and f.commune in (None, s["commune"])
        )

    def trend(self, f: Filters, communes: frozenset[str] | None, year: str | None) -> list[dict[str, Any]]:
        """The trend of ``year`` for the filters and scope: a point per day with a kept row (``trend_rules``)."""
        if year is None:
            return []
        schools = self._scoped_schools(f, communes)
        level = {rules.Level.PRIMARY: 1, rules.Level.LOWER: 6, rules.Level.UPPER: 10}.get(f.level) if f.level else None
        today = self.clock.today()
        with self.db.reader() as session:
            day_changes = trend.read_changes(session, year, level, schools, today)
        return trend_rules.trend_rows(day_changes, today, plan_share=rules.PLAN_SHARE)

    def sections(self, f: Filters, communes: frozenset[str] | None) -> dict[str, dict[str, Any]]:
        """The sections read from other domains (``section_reads.py``), each with its own tables; the level
        and school-year filters do not apply to them, the commune filter and scope do."""
        schools = self._scoped_schools(f, communes)
        return {
            "signatures": section_reads.signatures(self.signers, self.clock, schools),
            "traffic": section_reads.traffic(
                self.access_log,
                self.public_checks,
                self.clock,
                city=schools is None,
                daily_counts=lambda first: check_counter.read_counts(self.db, self.clock, first),
            ),
            "digitisation": section_reads.digitisation(self.registers, self.clock, city=schools is None),
        }

    def school(self, code: str, f: Filters, communes: frozenset[str] | None) -> dict[str, Any]:
        """One school and its classes (``GET /api/v1/progress/schools/{code}``)."""
        wanted = next((s["school_id"] for s in self.register.progress_schools() if s["code"] == code), None)
        model, year, years, _ = self.model(Filters(f.level, None, f.school_year), communes, school_id=wanted or "")
        found = model.schools.get(wanted or "")
        if found is None:
            raise NotFound(
                Message(
                    f"Không có trường mã {code} trong phạm vi bạn được xem.",
                    f"No school with code {code} within what you may see.",
                )
            )
        classes = model.classes
        return {
            "as_of": self.clock.now().isoformat(),
            "school_year": year,
            "school_years": years,
            "school": rules.school_row(*found),
            "classes": [rules.class_row(k, _since) for k in sorted(classes, key=lambda k: (k.grade, k.name))],
            "backlog": rules.backlog(classes),
            "suppression": _SUPPRESSION,
        }

    def school_class(self, class_id: str, f: Filters, communes: frozenset[str] | None) -> dict[str, Any]:
        """One class's counts (``GET /api/v1/progress/classes/{class_id}``): aggregates only, as published."""
        with self.db.reader() as session:
            one = summaries.read_class(session, class_id)
        school_id = one.school_id if one is not None else ""
        model, year, years, _ = self.model(Filters(None, None, f.school_year), communes, school_id=school_id)
        found = next((k for k in model.classes if k.class_id == class_id), None)
        if found is None:
            raise NotFound(
                Message(
                    f"Không có lớp mã {class_id} trong năm học {year or '—'} trong phạm vi bạn được xem.",
                    f"No class {class_id} in school year {year or '—'} within what you may see.",
                )
            )
        school, tally, levels = model.schools[found.school_id]
        return {
            "as_of": self.clock.now().isoformat(),
            "school_year": year,
            "school_years": years,
            "school": rules.school_row(school, tally, levels),
            "class": rules.class_row(found, _since),
            "backlog": rules.backlog([found]),
            "suppression": _SUPPRESSION,
        }

    def person_quality(self) -> dict[str, Any]:
        """Duplicate person records and the latest population-registry checks, city-wide (``person_rules.py``):
        asked for, not on every dashboard."""
        facts, checks = person_reads.person_facts(self.db), person_reads.registry_checks(self.db)
        return {"as_of": self.clock.now().isoformat(), **person_rules.person_quality(facts, checks)}

    def person_groups_csv(self) -> str:
        """Every duplicate group, one row per person record, then every person whose latest registry check is a
        mismatch (with the fields that disagreed) or not found: the drill-down of the counts."""
        facts, checks = person_reads.person_facts(self.db), person_reads.registry_checks(self.db)
        rows = person_rules.group_rows(person_rules.duplicate_groups(facts))
        return to_csv(rows + person_rules.registry_rows(facts, checks))

    def table_csv(self, table: str, f: Filters, communes: frozenset[str] | None) -> str:
        """One table behind the dashboard as CSV (the same rows as the JSON; suppressed cells are "<5")."""
        if table not in ALL_TABLES:
            raise NotFound(
                Message(
                    f"Không có bảng «{table}»; các bảng: {', '.join(ALL_TABLES)}.",
                    f"No table «{table}»; the tables are: {', '.join(ALL_TABLES)}.",
                )
            )
        return to_csv(self.progress(f, communes)["tables"][table])

    def school_classes_csv(self, code: str, f: Filters, communes: frozenset[str] | None) -> str:
        return to_csv(self.school(code, f, communes)["classes"])


def _since(k: ClassFacts) -> str | None:
    at: datetime | None = k.last_change
    return at.isoformat() if at else None


_SUPPRESSION = {
    "threshold": THRESHOLD,
    "marker": MARK,
    "rule_vi": f"Ô số liệu về 1–{THRESHOLD - 1} học sinh được ẩn (null, tên ô trong «suppressed»).",
    "rule_en": f"Cells about 1–{THRESHOLD - 1} students are suppressed (null, named in «suppressed»).",
}
