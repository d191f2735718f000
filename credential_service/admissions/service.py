"""Admissions use cases: load a year's rules, import the year's workbook (all rows or none), run the allocation
and keep its full result, show one applicant's data and result (each read logged for the holder).

The rules and the allocation are pure (``year_rules``, ``allocation``); this module holds the transactions. The
grade 6–9 results that decide a specialised school's eligibility come from the register through the port
``register_rules.LearningRegister`` (adapter ``register_reader``), read only for the applicants with a wish that
requires them, each read in the holder's access log; without a register (or for a person the register does not
know) such a wish is skipped with that reason (explained to the applicant).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select

from credential_service.admissions.allocation import allocate
from credential_service.admissions.applicants import Applicant, YearResult, allocation_input
from credential_service.admissions.import_files import read_workbook, read_workbook_isolated
from credential_service.admissions.import_rules import ApplicantRecord, validate_workbook
from credential_service.admissions.register_rules import (
    LEGAL_BASIS,
    REGISTER_PURPOSE,
    LearningRegister,
    RegisterFacts,
)
from credential_service.admissions.residence import (
    ResidenceApplicant,
    age_problem,
    allocate_by_residence,
    residence_input,
)
from credential_service.admissions.residence_registry import ResidenceRegistry
from credential_service.admissions.result_json import dumps
from credential_service.admissions.tables import (
    AdmissionApplicant,
    AdmissionImport,
    AdmissionPublication,
    AdmissionRun,
    AdmissionYear,
)
from credential_service.admissions.year_rules import YearConfig, config_to_data, parse_toml_config
from credential_service.holders.identity_rules import mask
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem

ReadLog = Callable[[str, str, Sequence[str]], int]  # (actor, purpose, personal IDs) -> entries written
READ_PURPOSE = "admissions.applicant"
APPEAL_PURPOSE = "admissions.appeal"  # an appeal decision changed the applicant's scores (phúc khảo)
# A child's residence and date of birth read from the population registry, and on which legal basis (no consent:
# the state's admissions duty; Decree 70/2024/NĐ-CP Art. 17(1)(a) lets a state agency use the population data for
# its assigned functions). Kept under the access log's 255 characters.
RESIDENCE_PURPOSE = (
    "admissions.residence — căn cứ: nhiệm vụ tuyển sinh lớp 1, lớp 6 (TT 28/2020, TT 30/2024/TT-BGDĐT), "
    "NĐ 70/2024 Đ.17(1)(a), không cần sự đồng ý / legal basis: grade 1 and 6 admissions duty, no consent needed"
)
NOT_IN_REGISTRY = Message(
    "không tìm thấy số định danh trong CSDL quốc gia về dân cư", "the personal ID is not in the population database"
)
ALLOCATE_BODY_LIMIT = 32 * 1024 * 1024  # POST /api/v1/admissions/allocate: 30,000 applicants as JSON, with room


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def allocate_document(text: str | bytes, *, source: str = "input.json") -> bytes:
    """``sogoc admissions allocate FILE.json`` and ``POST /api/v1/admissions/allocate``: rules, schools and
    applicants in, the allocation's canonical JSON out (nothing stored)."""
    config, applicants = allocation_input(text, source=source)
    return dumps(allocate(config, applicants).to_data())


def residence_document(text: str | bytes, *, source: str = "input.json") -> bytes:
    """``sogoc admissions residence FILE.json`` and ``POST /api/v1/admissions/residence``: grades 1 and 6 by
    residence and the seeded lottery, on the residences given in the document (nothing stored)."""
    doc = residence_input(text, source=source)
    return dumps(allocate_by_residence(doc.seed, doc.schools, doc.applicants).to_data())


def _applicant(
    row: AdmissionApplicant,
    changed: Mapping[str, Decimal | None] | None = None,
    grades: Mapping[str, tuple[YearResult, ...] | None] | None = None,
) -> Applicant:
    stored = {k: None if v is None else Decimal(v) for k, v in row.scores.items()}
    stored.update(changed or {})
    scores = {k: v for k, v in sorted(stored.items()) if v is not None}
    return Applicant(
        id=row.registration_no,
        scores=scores,
        priority_group=row.priority_group,
        direct_admission=row.direct_category is not None,
        violation=row.violation,
        wishes=tuple(row.wishes),
        grades_6_9=(grades or {}).get(row.personal_id),  # from the register (None: not read, or not known)
    )


class AdmissionsService:
    def __init__(
        self, db: Database, *, clock: Clock, log_reads: ReadLog, register: LearningRegister | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.log_reads = log_reads
        self.register = register  # None: grade 6–9 results unknown (a wish requiring them is skipped)

    # -- the year's rules ------------------------------------------------------------------------
    def load_rules(self, year: str, text: str, *, actor: str) -> YearConfig:
        """Check and keep the year's rules (TOML); a file naming another year is refused."""
        config = parse_toml_config(text, source=f"{year}.toml")
        if config.year is not None and config.year != year:
            message = Message(
                f"Tệp cấu hình ghi năm {config.year}, không phải {year}",
                f"The configuration is for {config.year}, not {year}",
            )
            raise InvalidInput(message, problems=[Problem(message, {"key": "year"}, config.year)])
        with self.db.transaction() as s:
            row = s.get(AdmissionYear, year)
            if row is None:
                row = AdmissionYear(year=year)
                s.add(row)
            row.config_text, row.config_sha256 = text, _sha256(text.encode())
            row.loaded_at, row.loaded_by = self.clock.now(), actor
        return config

    def rules(self, year: str) -> YearConfig:
        with self.db.reader() as s:
            row = s.get(AdmissionYear, year)
            if row is None:
                raise NotFound(
                    Message(f"Chưa nạp quy định tuyển sinh năm {year}", f"No admission rules loaded for {year}")
                )
            return parse_toml_config(row.config_text, source=f"{year}.toml")

    def rules_data(self, year: str) -> dict[str, Any]:
        return config_to_data(self.rules(year))

    # -- the workbook ----------------------------------------------------------------------------
    def import_workbook(self, year: str, data: bytes, *, actor: str, isolated: bool = True) -> dict[str, Any]:
        """Replace the year's applicants with the workbook's, or refuse it whole (a problem per bad cell)."""
        config = self.rules(year)
        tables = read_workbook_isolated(data) if isolated else read_workbook(data)
        records = validate_workbook(tables, config)
        return self.replace_applicants(year, records, actor=actor, file_sha256=_sha256(data))

    def replace_applicants(
        self, year: str, records: Sequence[ApplicantRecord], *, actor: str, file_sha256: str
    ) -> dict[str, Any]:
        import_id = str(uuid.uuid4())
        rows = [
            {
                "id": str(uuid.uuid4()),
                "year": year,
                "import_id": import_id,
                "registration_no": r.registration_no,
                "personal_id": r.personal_id,
                "scores": {k: None if v is None else str(v) for k, v in r.scores.items()},
                "violation": r.violation,
                "wishes": list(r.wishes),
                "priority_group": r.priority_group,
                "direct_category": r.direct_category,
            }
            for r in records
        ]
        with self.db.transaction() as s:
            if s.get(AdmissionYear, year) is None:
                raise NotFound(Message(f"Chưa nạp quy định tuyển sinh năm {year}", f"No rules loaded for {year}"))
            s.execute(delete(AdmissionApplicant).where(AdmissionApplicant.year == year))
            s.add(
                AdmissionImport(
                    id=import_id,
                    year=year,
                    file_sha256=file_sha256,
                    applicants=len(rows),
                    imported_at=self.clock.now(),
                    imported_by=actor,
                )
            )
            s.flush()
            if rows:
                s.execute(insert(cast(Table, AdmissionApplicant.__table__)), rows)
        return {
            "import_id": import_id,
            "year": year,
            "applicants": len(rows),
            "with_priority": sum(1 for r in records if r.priority_group is not None),
            "direct_admission": sum(1 for r in records if r.direct_category is not None),
        }

    # -- the allocation --------------------------------------------------------------------------
    def allocate(self, year: str, *, actor: str) -> dict[str, Any]:
        """Run the allocation on the year's rules and applicants; keep the full result; return its summary."""
        run, summary = self.prepare_run(year, actor=actor)
        with self.db.transaction() as s:
            s.add(run)
        summary.pop("stored_input_sha256")
        return summary

    def prepare_run(
        self, year: str, *, actor: str, changed: Mapping[str, Mapping[str, Decimal | None]] | None = None
    ) -> tuple[AdmissionRun, dict[str, Any]]:
        """The allocation on the stored rules and applicants (``changed``: registration no → subject → new score,
        None for absent, as an appeal would leave them), as a run row not yet stored, and its summary."""
        changed = changed or {}
        with self.db.reader() as s:
            year_row = s.get(AdmissionYear, year)
            if year_row is None:
                raise NotFound(Message(f"Chưa nạp quy định tuyển sinh năm {year}", f"No rules loaded for {year}"))
            config = parse_toml_config(year_row.config_text, source=f"{year}.toml")
            config_sha = year_row.config_sha256
            rows = s.execute(select(AdmissionApplicant).where(AdmissionApplicant.year == year)).scalars().all()
        grades = self.register_grades(config, rows, actor=actor)
        applicants = [_applicant(r, changed.get(r.registration_no), grades) for r in rows]
        stored = sorted((_applicant(r, None, grades) for r in rows), key=lambda a: a.id) if changed else None
        if not applicants:
            raise Conflict(
                Message(f"Năm {year} chưa có thí sinh nào", f"No applicants imported for {year}"),
                hint=Message("Nhập tệp tuyển sinh trước.", "Import the admissions workbook first."),
            )
        known = {c.code for c in config.schools}
        stale = sorted({w for a in applicants for w in a.wishes} - known)
        if stale:
            raise Conflict(
                Message(
                    f"Nguyện vọng nêu trường không còn trong quy định: {', '.join(stale)}",
                    f"Wishes name schools no longer in the rules: {', '.join(stale)}",
                ),
                hint=Message("Nhập lại tệp tuyển sinh.", "Import the workbook again."),
            )
        applicants.sort(key=lambda a: a.id)
        input_sha = _sha256(dumps([_input_data(a) for a in applicants]))
        stored_sha = input_sha if stored is None else _sha256(dumps([_input_data(a) for a in stored]))
        result = allocate(config, applicants)
        output = dumps(result.to_data())
        admitted = sum(1 for a in result.assignments if a.school is not None)
        run_id = str(uuid.uuid4())
        run = AdmissionRun(
            id=run_id,
            year=year,
            config_sha256=config_sha,
            input_sha256=input_sha,
            output_sha256=_sha256(output),
            output=output.decode(),
            applicants=len(applicants),
            admitted=admitted,
            ran_at=self.clock.now(),
            ran_by=actor,
        )
        return run, {
            "run_id": run_id,
            "year": year,
            "applicants": len(applicants),
            "admitted": admitted,
            "not_admitted": len(applicants) - admitted,
            "config_sha256": config_sha,
            "input_sha256": input_sha,
            "output_sha256": _sha256(output),
            "stored_input_sha256": stored_sha,  # the input as stored, before ``changed``
            "cutoffs": {s.code: s.cutoffs() for s in result.schools if s.cutoff},
            "schools": {s.code: {"quota": s.quota, "admitted": s.admitted} for s in result.schools},
        }

    # -- the register (grade 6–9 results, THCS completion) ----------------------------------------
    def register_grades(
        self, config: YearConfig, rows: Sequence[AdmissionApplicant], *, actor: str
    ) -> dict[str, tuple[YearResult, ...] | None]:
        """{personal ID: grade 6–9 results} read from the register, only for the applicants with a wish for a
        school that requires levels (minimum data); each person read goes to their access log."""
        needing = {c.code for c in config.schools if c.requires_grades_6_9_at_least is not None}
        pins = sorted({r.personal_id for r in rows if r.personal_id and needing.intersection(r.wishes)})
        if self.register is None or not pins:
            return {}
        facts = self.register.read(pins)
        self.log_reads(actor, REGISTER_PURPOSE, pins)
        return {pin: f.grades_6_9() for pin, f in facts.items()}

    def applicant_register(self, year: str, registration_no: str, *, actor: str) -> dict[str, Any]:
        """One applicant's figures from the register, each with its source (credential id, version, verified),
        for the Sở admissions officer; the read goes to the holder's access log with its legal basis."""
        if self.register is None:
            raise Conflict(
                Message("Chưa kết nối sổ gốc cho tuyển sinh", "The register is not connected to admissions"),
                hint=Message("Báo quản trị hệ thống.", "Tell the system administrator."),
            )
        with self.db.reader() as s:
            row = _one_applicant(s, year, registration_no)
            pin = row.personal_id
        facts = self.register.read([pin]).get(pin) or RegisterFacts(pin)
        self.log_reads(actor, REGISTER_PURPOSE, [pin])
        return {
            "year": year,
            "registration_no": registration_no,
            "personal_id": mask(pin),
            "legal_basis": LEGAL_BASIS.__dict__,
            **facts.to_data(),
        }

    # -- grades 1 and 6 by residence ------------------------------------------------------------
    def allocate_residence(
        self, text: str | bytes, registry: ResidenceRegistry, *, actor: str, source: str = "input.json"
    ) -> bytes:
        """Grades 1 and 6 from the form ``{seed, grade, year, schools, applicants: [{id, personal_id, wish}]}``:
        each child's residence and date of birth come from the population registry (never the form), and each
        child asked about goes to their access log. A child the registry does not know, or not of the charter
        age, is referred to the commune before the lottery."""
        doc = residence_input(text, source=source, service=True)
        assert doc.personal_ids is not None and doc.grade is not None and doc.year is not None
        pins = doc.personal_ids
        asked = sorted(set(pins.values()))
        facts = registry.residence_facts(asked)
        self.log_reads(actor, RESIDENCE_PURPOSE, asked)
        applicants = []
        for a in doc.applicants:
            found = facts.get(pins[a.id])
            if found is None:
                applicants.append(ResidenceApplicant(a.id, a.wish, None, NOT_IN_REGISTRY))
            else:
                problem = age_problem(found.date_of_birth, doc.grade, doc.year)
                applicants.append(ResidenceApplicant(a.id, a.wish, found.residence, problem))
        data = allocate_by_residence(doc.seed, doc.schools, applicants).to_data()
        data.update({"grade": doc.grade, "year": doc.year})
        return dumps(data)

    def run_output(self, run_id: str) -> bytes:
        with self.db.reader() as s:
            run = s.get(AdmissionRun, run_id)
            if run is None:
                raise NotFound(Message("Không có lần xét tuyển này", "No such allocation run"))
            return run.output.encode()

    # -- the holder's own result ---------------------------------------------------------------------
    def own_results(self, personal_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The holder's own grade-10 applications (by their ID numbers) with the result of the run the Sở last
        published for that year (its results list, or an appeal's diff) and its explanation; before any
        publication the result is not shown (a run may still change). Their own read: nothing is logged."""
        if not personal_ids:
            return []
        with self.db.reader() as s:
            rows = s.execute(
                select(AdmissionApplicant)
                .where(AdmissionApplicant.personal_id.in_(list(personal_ids)))
                .order_by(AdmissionApplicant.year.desc())
            ).scalars()
            out = []
            for row in rows:
                item: dict[str, Any] = {"year": row.year, "registration_no": row.registration_no,
                                        "wishes": row.wishes, "published": None, "result": None}  # fmt: skip
                publication = s.execute(
                    select(AdmissionPublication)
                    .where(AdmissionPublication.year == row.year)
                    .order_by(AdmissionPublication.published_at.desc(), AdmissionPublication.id.desc())
                    .limit(1)
                ).scalar_one_or_none()
                run = s.get(AdmissionRun, publication.run_id) if publication is not None else None
                if publication is not None and run is not None:
                    item["published"] = {"at": publication.published_at.isoformat(), "kind": publication.kind,
                                         "ledger_seq": publication.ledger_seq,
                                         "pdf_sha256": publication.pdf_sha256}  # fmt: skip
                    item["result"] = json.loads(run.output)["assignments"].get(row.registration_no)
                out.append(item)
        return out

    # -- one applicant ---------------------------------------------------------------------------
    def applicant(self, year: str, registration_no: str, *, actor: str) -> dict[str, Any]:
        """One applicant's imported data and latest result with its explanation; the read goes to their log."""
        with self.db.reader() as s:
            row = _one_applicant(s, year, registration_no)
            latest = s.execute(
                select(AdmissionRun).where(AdmissionRun.year == year).order_by(AdmissionRun.ran_at.desc()).limit(1)
            ).scalar_one_or_none()
            personal_id, data = (
                row.personal_id,
                {
                    "year": year,
                    "registration_no": row.registration_no,
                    "scores": row.scores,
                    "violation": row.violation,
                    "wishes": row.wishes,
                    "priority_group": row.priority_group,
                    "direct_category": row.direct_category,
                },
            )
            result = None
            if latest is not None:
                result = json.loads(latest.output, parse_float=Decimal)["assignments"].get(row.registration_no)
                data["run_id"] = latest.id
        data["result"] = result
        self.log_reads(actor, READ_PURPOSE, [personal_id])
        return data

    def years(self) -> list[dict[str, Any]]:
        """Every admission year with its rules loaded: when and by whom, applicants, and the latest run."""
        with self.db.reader() as s:
            years = list(s.execute(select(AdmissionYear).order_by(AdmissionYear.year.desc())).scalars())
            out = []
            for y in years:
                last = (
                    s.execute(
                        select(AdmissionRun).where(AdmissionRun.year == y.year).order_by(AdmissionRun.ran_at.desc())
                    )
                    .scalars()
                    .first()
                )
                out.append({
                    "year": y.year, "loaded_at": y.loaded_at.isoformat(), "loaded_by": y.loaded_by,
                    **self.counts(y.year),
                    "last_run": None if last is None else {
                        "id": last.id, "ran_at": last.ran_at.isoformat(), "ran_by": last.ran_by,
                        "applicants": last.applicants, "admitted": last.admitted,
                    },
                })  # fmt: skip
        return out

    def counts(self, year: str) -> dict[str, int]:
        with self.db.reader() as s:
            n = s.execute(select(func.count()).where(AdmissionApplicant.year == year)).scalar_one()
            runs = s.execute(select(func.count()).where(AdmissionRun.year == year)).scalar_one()
        return {"applicants": int(n), "runs": int(runs)}


def _input_data(a: Applicant) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": a.id,
        "scores": dict(a.scores),
        "priority_group": a.priority_group,
        "direct_admission": a.direct_admission,
        "violation": a.violation,
        "wishes": list(a.wishes),
    }
    if a.grades_6_9 is not None:  # read from the register: part of what the run was computed on
        data["grades_6_9"] = [{"learning": y.learning.value, "conduct": y.conduct.value} for y in a.grades_6_9]
    return data


def _one_applicant(s: Any, year: str, registration_no: str) -> AdmissionApplicant:
    row = s.execute(
        select(AdmissionApplicant).where(
            AdmissionApplicant.year == year, AdmissionApplicant.registration_no == registration_no
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(Message("Không có thí sinh này", "No such applicant"))
    return cast(AdmissionApplicant, row)
