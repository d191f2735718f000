"""Diploma (văn bằng) rules as pure functions: register numbers, issuer by date, deadlines,
the legal grounds for correction and for revocation/cancellation, and name matching.

Sources are named next to each rule. [B] marks a rule taken from the domain brief's best
understanding rather than a quoted legal text (see shared/domain/vietnam-education.md §2).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem

# Circular 10/2026/TT-BGDĐT takes effect: the principal issues THPT diplomas from this day.
CIRCULAR_10_2026_EFFECTIVE = date(2026, 4, 15)
# Law amending the Law on Education (passed 10/12/2025): no THCS diploma from 1/1/2026.
THCS_DIPLOMA_ABOLISHED = date(2026, 1, 1)
# Paper registers are digitised from this year on (issue 7).
FIRST_LEGACY_YEAR = 2000


class DiplomaType(StrEnum):
    THPT = "THPT"  # bằng tốt nghiệp trung học phổ thông
    THCS = "THCS"  # bằng tốt nghiệp THCS: legacy only (abolished 1/1/2026)


TYPE_LABELS: dict[DiplomaType, Message] = {
    DiplomaType.THPT: Message("Bằng tốt nghiệp trung học phổ thông", "Upper-secondary diploma"),
    DiplomaType.THCS: Message("Bằng tốt nghiệp trung học cơ sở", "Lower-secondary diploma (legacy)"),
}


class Form(StrEnum):
    DIGITAL = "digital"
    PAPER = "paper"


class Status(StrEnum):
    """Status of one diploma version (one row of the register)."""

    ISSUED = "issued"  # current
    CORRECTED = "corrected"  # superseded by a corrected version (correction decision)
    REISSUED = "reissued"  # superseded by a reissued diploma (cấp lại)
    REVOKED = "revoked"  # thu hồi
    CANCELLED = "cancelled"  # hủy bỏ


STATUS_LABELS: dict[Status, Message] = {
    Status.ISSUED: Message("Đã cấp, còn hiệu lực", "Issued, valid"),
    Status.CORRECTED: Message("Đã được chỉnh sửa theo quyết định", "Corrected by decision (newer version exists)"),
    Status.REISSUED: Message("Đã được cấp lại", "Reissued (replaced by a new diploma)"),
    Status.REVOKED: Message("Đã bị thu hồi", "Revoked"),
    Status.CANCELLED: Message("Đã bị hủy bỏ", "Cancelled"),
}


# ---------------------------------------------------------------------------------------------
# Register numbers (số vào sổ gốc)
# Circular 21/2019/TT-BGDĐT Art. 13: consecutive natural numbers, ascending, within each calendar
# year; distinguishable by diploma type and year; one number per diploma. The shape
# "{seq}/{type}/{year}" (e.g. 171/TC/2023) is the practice seen in the field [B].

DEFAULT_REGISTER_FORMAT = "{seq}/{type}/{year}"


def format_register_no(seq: int, diploma_type: str, year: int, fmt: str = DEFAULT_REGISTER_FORMAT) -> str:
    if seq < 1:
        raise ValueError("register sequence numbers start at 1")
    return fmt.format(seq=seq, type=diploma_type, year=year)


@lru_cache(maxsize=16)
def _format_regex(fmt: str) -> re.Pattern[str]:
    parts = re.split(r"(\{seq(?::[^}]*)?\}|\{type\}|\{year\})", fmt)
    out = []
    for part in parts:
        if part.startswith("{seq"):
            out.append(r"(?P<seq>\d{1,7})")
        elif part == "{type}":
            out.append(r"(?P<type>[A-Za-z0-9\-]{1,16})")
        elif part == "{year}":
            out.append(r"(?P<year>\d{4})")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE)  # as typed: any case


@dataclass(frozen=True)
class RegisterNo:
    seq: int
    type: str | None  # None when the format has no {type}
    year: int | None  # None when the format has no {year}

    def key(self) -> tuple[int, str | None, int | None]:
        """What identifies the number whatever way it was written (zero padding, case, spaces)."""
        return (self.seq, self.type, self.year)


def parse_register_no(text: str, fmt: str = DEFAULT_REGISTER_FORMAT) -> RegisterNo | None:
    """Split a register number written in ``fmt`` (spaces tolerated, any case, zero-padded sequence numbers
    as printed, e.g. 00171/thpt/2005); None when it does not fit. A format may leave out {type} or {year}."""
    m = _format_regex(fmt).match("".join(str(text).split()))
    if m is None:
        return None
    groups = m.groupdict()
    kind, year = groups.get("type"), groups.get("year")
    return RegisterNo(int(groups["seq"]), kind.upper() if kind else None, int(year) if year else None)


def same_register_no(typed: str, stored: str, fmt: str = DEFAULT_REGISTER_FORMAT) -> bool:
    """Whether a register number typed by a person names the stored one: both sides are normalised
    (case, spaces, zero padding) by the issuer's format, then by the default one."""
    if "".join(typed.split()).upper() == "".join(stored.split()).upper():
        return True
    for f in dict.fromkeys((fmt, DEFAULT_REGISTER_FORMAT)):
        a, b = parse_register_no(typed, f), parse_register_no(stored, f)
        if a is not None and b is not None:
            return a.key() == b.key()
    return False


# ---------------------------------------------------------------------------------------------
# Issuer by date


class IssuerRole(StrEnum):
    PRINCIPAL = "principal"  # Hiệu trưởng
    SO_DIRECTOR = "so_director"  # Giám đốc Sở GDĐT
    PHONG_HEAD = "phong_head"  # Trưởng phòng GDĐT (legacy THCS)


ISSUER_TITLES: dict[IssuerRole, Message] = {
    IssuerRole.PRINCIPAL: Message("HIỆU TRƯỞNG", "PRINCIPAL"),
    IssuerRole.SO_DIRECTOR: Message("GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO", "DIRECTOR OF THE DEPARTMENT OF EDUCATION"),
    IssuerRole.PHONG_HEAD: Message("TRƯỞNG PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "HEAD OF THE DISTRICT EDUCATION OFFICE"),
}


def issuer_role(diploma_type: DiplomaType | str, issued_on: date) -> IssuerRole:
    """Who issues a diploma of ``diploma_type`` on ``issued_on``.

    THPT: Sở director until 14/4/2026 (Circular 21/2019 Art. 15), principal from 15/4/2026
    (Circular 10/2026; Law amending the Law on Education 2025). THCS: head of the Phòng GDĐT
    (Circular 21/2019 Art. 15); no THCS diploma is issued from 1/1/2026 (Law amending the Law on
    Education, in force 1/1/2026) — history only.
    """
    kind = DiplomaType(diploma_type)
    if kind is DiplomaType.THCS:
        if issued_on >= THCS_DIPLOMA_ABOLISHED:
            raise InvalidInput(
                Message(
                    "Bằng tốt nghiệp THCS đã bị bãi bỏ từ 01/01/2026; hiệu trưởng xác nhận hoàn thành chương "
                    "trình THCS trong học bạ.",
                    "The THCS diploma is abolished from 1/1/2026; the principal confirms THCS completion in the "
                    "transcript instead.",
                ),
                diploma_type=kind.value,
                issued_on=issued_on.isoformat(),
            )
        return IssuerRole.PHONG_HEAD
    return IssuerRole.PRINCIPAL if issued_on >= CIRCULAR_10_2026_EFFECTIVE else IssuerRole.SO_DIRECTOR


# ---------------------------------------------------------------------------------------------
# Deadline after the graduation-recognition decision
# Circular 10/2026: digital ≤ 5 days, paper THPT ≤ 30 days; Circular 21/2019 Art. 17 (decisions
# before 15/4/2026): 75 days. Counted here in calendar days from the decision date [B].

DIGITAL_DEADLINE_DAYS = 5
PAPER_DEADLINE_DAYS = 30
LEGACY_DEADLINE_DAYS = 75


def issue_deadline(decision_date: date, form: Form | str = Form.DIGITAL) -> date:
    if decision_date < CIRCULAR_10_2026_EFFECTIVE:
        return decision_date + timedelta(days=LEGACY_DEADLINE_DAYS)
    days = DIGITAL_DEADLINE_DAYS if Form(form) is Form.DIGITAL else PAPER_DEADLINE_DAYS
    return decision_date + timedelta(days=days)


class DeadlineState(StrEnum):
    DUE = "due"  # not issued, deadline not passed
    LATE = "late"  # not issued, deadline passed
    ON_TIME = "on_time"  # issued on or before the deadline
    ISSUED_LATE = "issued_late"  # issued after the deadline


@dataclass(frozen=True)
class Deadline:
    due_on: date
    state: DeadlineState
    days_left: int  # negative when late

    def to_dict(self) -> dict[str, Any]:
        return {"due_on": self.due_on.isoformat(), "state": self.state.value, "days_left": self.days_left}


def deadline_status(
    decision_date: date, *, today: date, issued_on: date | None = None, form: Form | str = Form.DIGITAL
) -> Deadline:
    due = issue_deadline(decision_date, form)
    if issued_on is not None:
        state = DeadlineState.ON_TIME if issued_on <= due else DeadlineState.ISSUED_LATE
        return Deadline(due, state, (due - issued_on).days)
    state = DeadlineState.DUE if today <= due else DeadlineState.LATE
    return Deadline(due, state, (due - today).days)


# ---------------------------------------------------------------------------------------------
# Correction (chỉnh sửa): only on the four civil-status grounds.
# Circular 21/2019/TT-BGDĐT Art. 22–23, carried into Circular 10/2026.

CORRECTION_SOURCE = "Thông tư 21/2019/TT-BGDĐT Điều 22; Thông tư 10/2026/TT-BGDĐT"


class CorrectionGround(StrEnum):
    CIVIL_STATUS_CHANGE = "civil_status_change"
    ETHNICITY_OR_SEX_REDETERMINED = "ethnicity_or_sex_redetermined"
    CIVIL_STATUS_SUPPLEMENT = "civil_status_supplement"
    LATE_BIRTH_REGISTRATION = "late_birth_registration"


CORRECTION_GROUND_LABELS: dict[CorrectionGround, Message] = {
    CorrectionGround.CIVIL_STATUS_CHANGE: Message(
        "Thay đổi, cải chính hộ tịch theo quyết định của cơ quan có thẩm quyền",
        "Change or correction of civil status by a competent authority",
    ),
    CorrectionGround.ETHNICITY_OR_SEX_REDETERMINED: Message(
        "Xác định lại dân tộc, xác định lại giới tính", "Re-determination of ethnicity or sex"
    ),
    CorrectionGround.CIVIL_STATUS_SUPPLEMENT: Message(
        "Bổ sung, điều chỉnh hộ tịch", "Addition to or adjustment of civil status"
    ),
    CorrectionGround.LATE_BIRTH_REGISTRATION: Message(
        "Đăng ký khai sinh quá hạn, đăng ký lại việc sinh", "Late birth registration or re-registration"
    ),
}

CORRECTABLE_FIELDS = ("full_name", "date_of_birth", "place_of_birth", "sex", "ethnicity")
FIELD_LABELS: dict[str, Message] = {
    "full_name": Message("họ và tên", "full name"),
    "date_of_birth": Message("ngày sinh", "date of birth"),
    "place_of_birth": Message("nơi sinh", "place of birth"),
    "sex": Message("giới tính", "sex"),
    "ethnicity": Message("dân tộc", "ethnicity"),
}
# Which printed fields each ground can change [B: the grounds are civil-status events; re-determination
# concerns only ethnicity and sex].
GROUND_FIELDS: dict[CorrectionGround, frozenset[str]] = {
    CorrectionGround.CIVIL_STATUS_CHANGE: frozenset(CORRECTABLE_FIELDS),
    CorrectionGround.ETHNICITY_OR_SEX_REDETERMINED: frozenset({"ethnicity", "sex"}),
    CorrectionGround.CIVIL_STATUS_SUPPLEMENT: frozenset(CORRECTABLE_FIELDS),
    CorrectionGround.LATE_BIRTH_REGISTRATION: frozenset({"full_name", "date_of_birth", "place_of_birth"}),
}


@dataclass(frozen=True)
class CorrectionRequest:
    decision_no: str
    decision_date: date
    signer: str
    ground: str
    field: str
    old_value: str
    new_value: str
    evidence: tuple[str, ...]


def validate_correction(req: CorrectionRequest, current: dict[str, str | None], *, today: date) -> CorrectionGround:
    """Check a correction decision against the law and the register; return its ground or raise
    InvalidInput listing every problem. ``current`` holds the printed fields of the current version."""
    problems: list[Problem] = []

    def bad(field: str, vi: str, en: str, value: Any = None, expected: Message | None = None) -> None:
        problems.append(Problem(Message(vi, en), {"field": field}, value, expected))

    ground: CorrectionGround | None = None
    try:
        ground = CorrectionGround(req.ground)
    except ValueError:
        allowed = "; ".join(f"{g.value} ({CORRECTION_GROUND_LABELS[g].vi})" for g in CorrectionGround)
        bad(
            "ground",
            f"Căn cứ chỉnh sửa «{req.ground}» không thuộc bốn trường hợp pháp luật cho phép ({CORRECTION_SOURCE}).",
            f"Correction ground «{req.ground}» is not one of the four grounds the law allows ({CORRECTION_SOURCE}).",
            req.ground,
            Message(f"một trong: {allowed}", f"one of: {', '.join(g.value for g in CorrectionGround)}"),
        )
    if not req.decision_no.strip():
        bad("decision_no", "Thiếu số quyết định chỉnh sửa.", "Missing the correction decision number.")
    if not req.signer.strip():
        bad("signer", "Thiếu người ký quyết định.", "Missing the decision's signer.")
    if req.decision_date > today:
        bad("decision_date", "Ngày quyết định ở tương lai.", "The decision date is in the future.",
            req.decision_date.isoformat())  # fmt: skip
    if not [e for e in req.evidence if e.strip()]:
        bad(
            "evidence",
            "Thiếu giấy tờ hộ tịch làm căn cứ (trích lục/quyết định hộ tịch, giấy khai sinh).",
            "Missing the civil-status evidence (extract or decision, birth certificate).",
        )
    if req.field not in CORRECTABLE_FIELDS:
        bad(
            "field",
            f"Trường «{req.field}» không được chỉnh sửa theo quy chế (chỉ thông tin hộ tịch).",
            f"Field «{req.field}» cannot be corrected (civil-status fields only).",
            req.field,
            Message(", ".join(CORRECTABLE_FIELDS), ", ".join(CORRECTABLE_FIELDS)),
        )
    elif ground is not None and req.field not in GROUND_FIELDS[ground]:
        bad(
            "field",
            f"Căn cứ «{CORRECTION_GROUND_LABELS[ground].vi}» không cho phép sửa {FIELD_LABELS[req.field].vi}.",
            f"Ground «{CORRECTION_GROUND_LABELS[ground].en}» does not allow changing the {FIELD_LABELS[req.field].en}.",
            req.field,
        )
    else:
        printed = current.get(req.field)
        if (printed or "") != req.old_value:
            bad(
                "old_value",
                f"Giá trị cũ «{req.old_value}» khác với sổ gốc «{printed}».",
                f"The old value «{req.old_value}» differs from the register's «{printed}».",
                req.old_value,
            )
        if not req.new_value.strip() or req.new_value == req.old_value:
            bad("new_value", "Giá trị mới trống hoặc không đổi.", "The new value is empty or unchanged.",
                req.new_value)  # fmt: skip
        if req.field == "date_of_birth":
            try:
                date.fromisoformat(req.new_value)
            except ValueError:
                bad("new_value", "Ngày sinh mới phải có dạng yyyy-mm-dd.", "The new date of birth must be yyyy-mm-dd.",
                    req.new_value)  # fmt: skip
    if problems:
        raise InvalidInput(
            Message("Quyết định chỉnh sửa không hợp lệ; văn bằng không bị thay đổi.",
                    "The correction decision is not valid; the diploma was not changed."),
            problems=problems,
        )  # fmt: skip
    assert ground is not None
    return ground


# ---------------------------------------------------------------------------------------------
# Revocation and cancellation (thu hồi, hủy bỏ): six grounds.
# Circular 21/2019/TT-BGDĐT Art. 25, carried into Circular 10/2026; the decision states the reason
# and is published on the issuer's portal.

REVOCATION_SOURCE = "Thông tư 21/2019/TT-BGDĐT Điều 25; Thông tư 10/2026/TT-BGDĐT"


class RevocationGround(StrEnum):
    FRAUD = "fraud"
    INELIGIBLE_HOLDER = "ineligible_holder"
    UNAUTHORISED_ISSUER = "unauthorised_issuer"
    ERASED_OR_ALTERED = "erased_or_altered"
    LENT_TO_ANOTHER = "lent_to_another"
    ISSUER_ERROR = "issuer_error"


REVOCATION_GROUND_LABELS: dict[RevocationGround, Message] = {
    RevocationGround.FRAUD: Message(
        "Gian lận trong tuyển sinh, học tập, thi cử hoặc trong việc lập hồ sơ",
        "Fraud in admission, study, examinations or the application documents",
    ),
    RevocationGround.INELIGIBLE_HOLDER: Message("Cấp cho người không đủ điều kiện", "Issued to an ineligible person"),
    RevocationGround.UNAUTHORISED_ISSUER: Message(
        "Do người không có thẩm quyền cấp", "Issued by an unauthorised person"
    ),
    RevocationGround.ERASED_OR_ALTERED: Message("Bị tẩy xóa, sửa chữa", "Erased or altered"),
    RevocationGround.LENT_TO_ANOTHER: Message("Để cho người khác sử dụng", "Allowed someone else to use it"),
    RevocationGround.ISSUER_ERROR: Message("Do cơ quan cấp văn bằng ghi sai", "Written wrongly by the issuer"),
}


class RevocationKind(StrEnum):
    REVOKE = "revoke"  # thu hồi
    CANCEL = "cancel"  # hủy bỏ


HOLDER_RETURN_DAYS = 30  # Circular 10/2026 Art. 4: the holder returns the diploma within 30 days


def parse_revocation_ground(value: str) -> RevocationGround:
    try:
        return RevocationGround(value)
    except ValueError:
        raise InvalidInput(
            Message(
                f"Căn cứ thu hồi/hủy bỏ «{value}» không thuộc sáu trường hợp của {REVOCATION_SOURCE}.",
                f"Revocation ground «{value}» is not one of the six grounds of {REVOCATION_SOURCE}.",
            ),
            problems=[Problem(Message("Căn cứ không hợp lệ", "Invalid ground"), {"field": "ground"}, value,
                              Message(", ".join(g.value for g in RevocationGround),
                                      ", ".join(g.value for g in RevocationGround)))],
        ) from None  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Names: stored as written, matched by a key (NFC, case, spaces, tone-mark placement).

_TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}  # huyền sắc hỏi ngã nặng


def _word_key(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tone = ""
    base = []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        else:
            base.append(ch)
    return unicodedata.normalize("NFC", "".join(base)) + tone


def name_key(name: str) -> str:
    """Matching key of a Vietnamese name: NFC, case-folded, single spaces, and the tone of each
    syllable taken off the vowel it was written on (old "Hoà" and new "Hòa" placement give the same
    key). Vowel shapes (â, ă, ê, ô, ơ, ư) and đ are kept: they distinguish names."""
    words = unicodedata.normalize("NFC", str(name)).casefold().split()
    return " ".join(_word_key(w) for w in words)


def display_name(name: str) -> str:
    """A name as stored: NFC with single spaces (the writing, tone placement and case are kept)."""
    return " ".join(unicodedata.normalize("NFC", str(name)).split())


def masked_birth(date_of_birth: date) -> str:
    """What public disclosure may show of a birth date: the year only."""
    return str(date_of_birth.year)
