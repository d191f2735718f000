"""The Sở's progress (issue #16): reads the register through the other domains' services, never their tables,
and hands the counts to the pure model (``rules.py``), suppressed before they leave (``suppression.py``).

Computed at each request, so a class signed a moment ago is counted at once (no summary tables yet).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol

from credential_service.platform.clock import Clock
from credential_service.platform.errors import Message, NotAuthorised, NotFound
from credential_service.reporting import rules
from credential_service.reporting.quality import pin_issues
from credential_service.reporting.rules import ClassFacts, DiplomaFacts, Filters, Model, SchoolFacts
from credential_service.reporting.suppression import MARK, THRESHOLD
from credential_service.reporting.tables_csv import to_csv


class RegisterReads(Protocol):
    """What the progress needs from the transcripts domain (``TranscriptService``)."""

    def progress_facts(self, school_year: str | None = None) -> dict[str, Any]: ...

    def identity_facts(
        self, school_year: str | None = None
    ) -> Iterator[tuple[str, str | None, str, date, str | None]]: ...


class DeadlineReads(Protocol):
    """What the progress needs from the diplomas domain (``DiplomaService``): the 5-day-rule view."""

    def deadline_view(self, today: date | None = None) -> list[dict[str, Any]]: ...


class ReportingService:
    def __init__(self, register: RegisterReads, diplomas: DeadlineReads, *, clock: Clock) -> None:
        self.register = register
        self.diplomas = diplomas
        self.clock = clock

    # -- the model ---------------------------------------------------------------------------------
    def model(self, f: Filters, communes: frozenset[str] | None) -> tuple[Model, str | None, list[str], list[str]]:
        """The model for the filters within the communes a person may see (None: the whole city); also the
        school year shown (the latest one when none is asked for), every school year on record and the
        communes the person may choose from."""
        if communes is not None and f.commune is not None and f.commune not in communes:
            raise NotAuthorised(
                Message(
                    f"Bạn chỉ xem được tiến độ của xã/phường mình, không phải «{f.commune}».",
                    f"You may see the progress of your own commune only, not «{f.commune}».",
                ),
                policy="progress.read",
            )
        facts = self.register.progress_facts(f.school_year)
        years: list[str] = facts["school_years"]
        year = f.school_year or (years[-1] if years else None)
        schools = [SchoolFacts(**s) for s in facts["schools"] if communes is None or s["commune"] in communes]
        quality: dict[str, Counter[str]] = {}
        today = self.clock.today()
        for class_id, pin, sex, born, place in self.register.identity_facts(year):
            issues = pin_issues(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=today)
            if issues:
                quality.setdefault(class_id, Counter()).update(issues)
        classes = [ClassFacts(**k, quality=dict(quality.get(k["class_id"], {}))) for k in facts["classes"]]
        diplomas = [
            DiplomaFacts(d["school_code"], date.fromisoformat(d["decision_date"]), d["graduates"], d["counts"])
            for d in self.diplomas.deadline_view(today)
        ]
        f = Filters(f.level, f.commune, year)
        choices = sorted({s.commune for s in schools if s.commune})
        return rules.build_model(schools, classes, diplomas, f), year, years, choices

    def progress(self, f: Filters, communes: frozenset[str] | None) -> dict[str, Any]:
        """Every table behind the dashboard (``GET /api/v1/progress``)."""
        model, year, years, choices = self.model(f, communes)
        return {
            "as_of": self.clock.now().isoformat(),
            "school_year": year,
            "school_years": years,
            "filters": {"level": f.level.value if f.level else None, "commune": f.commune, "school_year": year},
            "scope": {"city": communes is None, "communes": sorted(communes) if communes is not None else None},
            "communes": choices,
            "plan": {"share_signed": rules.PLAN_SHARE, "by": rules.PLAN_BY.isoformat()},
            "suppression": _SUPPRESSION,
            "tables": rules.tables(model),
        }

    def school(self, code: str, f: Filters, communes: frozenset[str] | None) -> dict[str, Any]:
        """One school and its classes (``GET /api/v1/progress/schools/{code}``)."""
        model, year, years, _ = self.model(Filters(f.level, None, f.school_year), communes)
        found = next((v for v in model.schools.values() if v[0].code == code), None)
        if found is None:
            raise NotFound(
                Message(
                    f"Không có trường mã {code} trong phạm vi bạn được xem.",
                    f"No school with code {code} within what you may see.",
                )
            )
        classes = [k for k in model.classes if k.school_id == found[0].school_id]
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
        model, year, years, _ = self.model(Filters(None, None, f.school_year), communes)
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

    def table_csv(self, table: str, f: Filters, communes: frozenset[str] | None) -> str:
        """One table behind the dashboard as CSV (the same rows as the JSON; suppressed cells are "<5")."""
        if table not in rules.TABLES:
            raise NotFound(
                Message(
                    f"Không có bảng «{table}»; các bảng: {', '.join(rules.TABLES)}.",
                    f"No table «{table}»; the tables are: {', '.join(rules.TABLES)}.",
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
