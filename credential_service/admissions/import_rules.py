"""The grade-10 admissions workbook, checked cell by cell against the year's configuration (pure).

One workbook (.xlsx) holds the whole year's list; importing it replaces the year's applicants, all rows or none.
Header matching ignores case, spacing and diacritics, as in the class import. Row 1 holds the headers.

Sheet ``KetQuaThi`` (exam results; required), one row per applicant:

=================  ========  ==============================================================
Số báo danh        yes       registration number, unique (1–32 characters)
Số định danh       yes       the applicant's 12-digit personal ID (keep the cell as text), unique
<subject>          yes       one column per exam subject of the year (``[rules].subjects``): a score 0–10
                             with at most two decimals, or ``V`` (vắng: absent)
<specialised>      no        one column per specialised test (``specialised_subject``): a score, ``V``, or
                             blank (did not sit it)
Vi phạm            no        ``x`` / ``Có`` for a breach of the exam rules, blank otherwise
=================  ========  ==============================================================

Sheet ``NguyenVong`` (wishes; required): ``Số báo danh``, ``NV1`` … ``NV<n>`` (school codes of the
configuration, in order; no gaps, no school twice). Sheet ``UuTien`` (priority; optional): ``Số báo danh``,
``Nhóm ưu tiên`` (a group of ``[rules].priority_points``). Sheet ``TuyenThang`` (direct admission; optional):
``Số báo danh``, ``Diện tuyển thẳng`` (a code of ``[rules].direct_admission_categories``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from credential_service.admissions.applicants import MAX_ID, score_of
from credential_service.admissions.values import ValueProblem
from credential_service.admissions.year_rules import YearConfig
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.import_cells import clean_text, header_key, parse_personal_id
from credential_service.transcripts.import_sheets import Table
from credential_service.transcripts.value_parsers import FieldError, is_blank

RESULTS, WISHES, PRIORITY, DIRECT = "KetQuaThi", "NguyenVong", "UuTien", "TuyenThang"
SHEETS = (RESULTS, WISHES, PRIORITY, DIRECT)
REQUIRED_SHEETS = (RESULTS, WISHES)
SBD, PIN, VIOLATION, GROUP, CATEGORY = "Số báo danh", "Số định danh", "Vi phạm", "Nhóm ưu tiên", "Diện tuyển thẳng"
ABSENT = frozenset({"v", "vang"})
YES, NO = frozenset({"x", "co", "yes", "1"}), frozenset({"", "khong", "no", "0"})
SCORE_OR_ABSENT = Message("điểm 0–10 (tối đa 2 chữ số thập phân) hoặc V (vắng)", "a score 0–10 (2 decimals) or V")


@dataclass(frozen=True)
class ApplicantRecord:
    """One applicant as imported: the minimum the allocation and the applicant's page need."""

    registration_no: str
    personal_id: str
    scores: Mapping[str, Decimal | None] = field(default_factory=dict)  # None: absent
    violation: bool = False
    wishes: tuple[str, ...] = ()
    priority_group: str | None = None
    direct_category: str | None = None


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        sheet: str,
        row: int,
        column: str | None,
        message: Message,
        value: Any = None,
        expected: Message | None = None,
    ) -> None:
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.problems.append(Problem(message, {"sheet": sheet, "row": row, "column": column}, shown, expected))


def _columns(table: Table, required: Sequence[str], optional: Sequence[str], report: _Report) -> dict[str, int] | None:
    wanted = {header_key(h): h for h in (*required, *optional)}
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        name = wanted.get(header_key(header))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [h for h in required if h not in columns]
    if missing:
        report.add(
            table.name,
            table.header_row,
            None,
            Message(
                f"Trang {table.name} thiếu cột {', '.join(missing)}",
                f"Sheet {table.name} is missing the column(s) {', '.join(missing)}",
            ),
            None,
            Message(f"các cột: {', '.join(required)}", f"columns: {', '.join(required)}"),
        )
        return None
    return columns


def _cell(values: Sequence[Any], columns: Mapping[str, int], name: str) -> Any:
    index = columns.get(name)
    if index is None or index >= len(values):
        return None
    return None if is_blank(values[index]) else values[index]


def _registration(value: Any) -> str | None:
    text = clean_text(value)
    return text if 0 < len(text) <= MAX_ID else None


def _score(value: Any, subject: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise ValueProblem(
                Message(f"Thiếu điểm môn {subject} (ghi V nếu vắng thi)", f"No {subject} score (write V if absent)"),
                SCORE_OR_ABSENT,
            )
        return None
    if isinstance(value, str) and header_key(value) in ABSENT:
        return None
    return score_of(value, subject)


def _results(table: Table, config: YearConfig, report: _Report) -> dict[str, dict[str, Any]]:
    subjects = [name for name, _ in config.rules.subjects]
    specialised = sorted(config.specialised_subjects)
    columns = _columns(table, [SBD, PIN, *subjects], [*specialised, VIOLATION], report)
    if columns is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    pins: dict[str, int] = {}
    for row, values in table.rows:
        sbd = _registration(_cell(values, columns, SBD))
        if sbd is None:
            report.add(
                table.name,
                row,
                SBD,
                Message(f"Số báo danh: 1–{MAX_ID} ký tự", f"Registration number: 1–{MAX_ID} characters"),
                _cell(values, columns, SBD),
            )
        elif sbd in out:
            report.add(
                table.name, row, SBD, Message(f"Số báo danh trùng: {sbd}", f"Duplicate registration number: {sbd}"), sbd
            )
        pin = None
        try:
            pin = parse_personal_id(_cell(values, columns, PIN), None)
            if pin is None:
                raise FieldError(Message("Thiếu số định danh", "Missing personal ID"))
            if pin in pins:
                raise FieldError(
                    Message(f"Số định danh trùng với dòng {pins[pin]}", f"The same personal ID as row {pins[pin]}")
                )
            pins[pin] = row
        except FieldError as e:
            report.add(table.name, row, PIN, e.message, _cell(values, columns, PIN), e.expected)
            pin = None
        scores: dict[str, Decimal | None] = {}
        for subject in (*subjects, *specialised):
            raw = _cell(values, columns, subject)
            try:
                score = _score(raw, subject, required=subject in subjects)
            except ValueProblem as e:
                report.add(table.name, row, subject, e.message, raw, SCORE_OR_ABSENT)
                continue
            if score is not None or subject in subjects or raw is not None:
                scores[subject] = score
        flag = header_key(_cell(values, columns, VIOLATION) or "")
        if flag not in YES | NO:
            report.add(
                table.name,
                row,
                VIOLATION,
                Message("Vi phạm: x/Có hoặc để trống", "Violation: x/Có or blank"),
                _cell(values, columns, VIOLATION),
            )
        if sbd is not None and sbd not in out:  # known to the other sheets even with a bad cell (no cascade)
            out[sbd] = {"personal_id": pin or "", "scores": scores, "violation": flag in YES, "row": row}
    return out


def _per_applicant(
    table: Table | None, header: str, known: Mapping[str, Any], report: _Report, parse: Callable[[Any], str]
) -> dict[str, str]:
    """One value per registration number from an optional two-column sheet."""
    if table is None or not table.headers:
        return {}
    columns = _columns(table, [SBD, header], [], report)
    if columns is None:
        return {}
    out: dict[str, str] = {}
    for row, values in table.rows:
        sbd = _registration(_cell(values, columns, SBD))
        raw = _cell(values, columns, header)
        if sbd is None or sbd not in known:
            report.add(
                table.name,
                row,
                SBD,
                Message(f"Số báo danh không có trong {RESULTS}", f"Registration number not in {RESULTS}"),
                _cell(values, columns, SBD),
            )
            continue
        if sbd in out:
            report.add(table.name, row, SBD, Message(f"Số báo danh {sbd} có hai dòng", f"Two rows for {sbd}"), sbd)
            continue
        try:
            out[sbd] = parse(raw)
        except FieldError as e:
            report.add(table.name, row, header, e.message, raw, e.expected)
    return out


def _choice(allowed: Sequence[str], what: Message) -> Callable[[Any], str]:
    expected = Message(", ".join(allowed) or "—", ", ".join(allowed) or "—")

    def parse(value: Any) -> str:
        text = clean_text(value)
        if text not in allowed:
            raise FieldError(
                Message(
                    f"{what.vi} không có trong cấu hình năm: {text!r}",
                    f"{what.en} not in the year's configuration: {text!r}",
                ),
                expected,
            )
        return text

    return parse


def _wishes(table: Table, config: YearConfig, known: Mapping[str, Any], report: _Report) -> dict[str, tuple[str, ...]]:
    ranks = [f"NV{k + 1}" for k in range(config.rules.max_wishes)]
    columns = _columns(table, [SBD, ranks[0]], ranks[1:], report)
    if columns is None:
        return {}
    schools = [s.code for s in config.schools]
    parse = _choice(schools, Message("Mã trường", "School code"))
    out: dict[str, tuple[str, ...]] = {}
    for row, values in table.rows:
        sbd = _registration(_cell(values, columns, SBD))
        if sbd is None or sbd not in known or sbd in out:
            report.add(
                table.name,
                row,
                SBD,
                Message(
                    f"Số báo danh không có trong {RESULTS} hoặc có hai dòng",
                    f"Registration number not in {RESULTS}, or twice",
                ),
                _cell(values, columns, SBD),
            )
            continue
        cells = [_cell(values, columns, rank) for rank in ranks]
        wishes: list[str] = []
        for rank, raw in zip(ranks, cells, strict=True):
            if raw is None:
                continue
            if len(wishes) != ranks.index(rank):
                report.add(
                    table.name,
                    row,
                    rank,
                    Message("Nguyện vọng phải liền nhau, bắt đầu từ NV1", "Wishes are consecutive, from NV1"),
                    raw,
                )
            try:
                code = parse(raw)
            except FieldError as e:
                report.add(table.name, row, rank, e.message, raw, e.expected)
                continue
            if code in wishes:
                report.add(
                    table.name,
                    row,
                    rank,
                    Message(f"Trường {code} đã có ở nguyện vọng trước", f"School {code} is already an earlier wish"),
                    raw,
                )
            wishes.append(code)
        out[sbd] = tuple(wishes)
    return out


def _sheet_key(name: str) -> str:
    """Sheet names match ignoring case, diacritics and spaces ("Nguyện vọng" = "NguyenVong")."""
    return header_key(name).replace(" ", "")


def validate_workbook(tables: Mapping[str, Table], config: YearConfig) -> list[ApplicantRecord]:
    """Every applicant of the workbook, or :class:`InvalidInput` naming every bad cell (nothing is imported)."""
    report = _Report()
    found = {_sheet_key(name): table for name, table in tables.items()}
    sheet = {name: found.get(_sheet_key(name)) for name in SHEETS}
    for name in REQUIRED_SHEETS:
        if sheet[name] is None or not sheet[name].headers:  # type: ignore[union-attr]
            report.add(
                name,
                1,
                None,
                Message(f"Thiếu trang tính {name}", f"Missing sheet {name}"),
                None,
                Message(f"các trang: {', '.join(SHEETS)}", f"sheets: {', '.join(SHEETS)}"),
            )
    if report.problems:
        raise _invalid(report)
    results = _results(sheet[RESULTS], config, report)  # type: ignore[arg-type]
    wishes = _wishes(sheet[WISHES], config, results, report)  # type: ignore[arg-type]
    groups = [g for g, _ in config.rules.priority_points]
    priority = _per_applicant(
        sheet[PRIORITY], GROUP, results, report, _choice(groups, Message("Nhóm ưu tiên", "Priority group"))
    )
    categories = [c for c, _ in config.rules.direct_admission_categories]
    direct = _per_applicant(
        sheet[DIRECT],
        CATEGORY,
        results,
        report,
        _choice(categories, Message("Diện tuyển thẳng", "Direct-admission category")),
    )
    if not results and not report.problems:
        report.add(RESULTS, 1, None, Message(f"Trang {RESULTS} không có thí sinh nào", f"Sheet {RESULTS} has no rows"))
    if report.problems:
        raise _invalid(report)
    return [
        ApplicantRecord(
            sbd, r["personal_id"], r["scores"], r["violation"], wishes.get(sbd, ()), priority.get(sbd), direct.get(sbd)
        )
        for sbd, r in sorted(results.items())
    ]


def _invalid(report: _Report) -> InvalidInput:
    n = len(report.problems)
    return InvalidInput(
        Message(
            f"Tệp tuyển sinh có {n} ô lỗi; chưa nhập dòng nào.",
            f"The admissions workbook has {n} bad cell(s); nothing was imported.",
        ),
        problems=report.problems,
        hint=Message(
            "Sửa các ô được nêu rồi tải lên lại cả tệp.", "Fix the cells listed and upload the whole file again."
        ),
    )
