"""Personal identity: the 12-digit personal ID number (số định danh cá nhân) and identifier history.

Pure functions, no framework. Each rule names its legal source and has its own bilingual message.

Structure (Law on Identification 2023 Art. 12; Decree 137/2015 Art. 13; Circular 59/2021/TT-BCA):
``PPP G YY RRRRRR`` — PPP the province where the birth was registered (001–096) or, for a birth
registered abroad, the country code (101–295); G century and sex (1900s: male 0 / female 1, 2000s:
2 / 3, then 4/5, 6/7, 8/9); YY the last two digits of the birth year; RRRRRR random. There is no
checksum: a well-formed number is not proof of identity (check it against the population registry,
:mod:`credential_service.holders.population_registry`).

Severity follows the domain notes (``vietnam-education.md`` §3.3): a wrong format, a century that
does not match the date of birth or a birth year that does not match is an ERROR (a data-entry
error or a re-established number); an unknown province/country code and a sex digit that differs
from the recorded sex are WARNINGs (the code lists may be incomplete; the number may be stale after
a sex reassignment) and are routed to a manual check.

A person's identifiers change over time (the PIN is re-established after a sex reassignment or a
birth-year correction, Circular 59/2021/TT-BCA Art. 6; older records carry a 9-digit CMND or no
number at all), so a person has an internal id and an :class:`IdentifierHistory`; the PIN is never
a key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from credential_service.platform.errors import InvalidInput, Message, Problem

# Province codes of the 63 pre-2025 provinces (Circular 59/2021/TT-BCA annex; Circular 07/2016/TT-BCA).
# Kept after the 2025 merger: existing numbers stay valid and unchanged (Resolution of 12/6/2025).
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa-Vũng Tàu", "079": "TP. Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip
# Births registered abroad: country codes 101–295 (Circular 07/2016/TT-BCA, replaced by Circular 59/2021/TT-BCA).
COUNTRY_CODE_RANGE = range(101, 296)

MALE = "Nam"
FEMALE = "Nữ"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Rule(StrEnum):
    DIGITS = "pin_digits"
    PROVINCE = "pin_province"
    CENTURY = "pin_century"
    SEX = "pin_sex"
    BIRTH_YEAR = "pin_birth_year"
    FUTURE = "pin_future_year"


class IdentifierKind(StrEnum):
    PIN = "pin"  # 12-digit personal ID number (số định danh cá nhân / CCCD)
    CMND9 = "cmnd9"  # old 9-digit identity card number
    PASSPORT = "passport"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: Severity
    message: Message

    def to_problem(self) -> Problem:
        # the number itself is never echoed back (it is personal data): only where the problem is
        return Problem(self.message, {"field": "personal_id", "rule": self.rule.value, "severity": self.severity.value})


@dataclass(frozen=True)
class DecodedPin:
    region_code: str
    region_name: str | None  # province or None for a country code / unknown
    born_abroad: bool
    century_start: int
    sex: str
    birth_year: int


@dataclass(frozen=True)
class PinCheck:
    findings: tuple[Finding, ...]
    decoded: DecodedPin | None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def needs_manual_check(self) -> bool:
        return bool(self.warnings)


def normalise_sex(sex: str) -> str:
    key = sex.strip().lower()
    if key in ("nam", "male", "m"):
        return MALE
    if key in ("nữ", "nu", "nư", "female", "f"):
        return FEMALE
    raise InvalidInput(Message(f"Giới tính không hợp lệ: {sex!r}", f"Invalid sex: {sex!r}"))


def century_digit(birth_year: int, sex: str) -> int:
    """The G digit for a birth year and sex: ``2 * (century - 19) + (1 if female)``."""
    return 2 * (birth_year // 100 - 19) + (1 if normalise_sex(sex) == FEMALE else 0)


def decode_pin(pin: str) -> DecodedPin:
    """Decode a well-formed 12-digit number (call :func:`rule_digits` first).

    Formula: ``century = (floor(G/2) + 19) * 100``; ``sex = female if G is odd`` (Law on
    Identification 2023 Art. 12; Decree 137/2015 Art. 13)."""
    g = int(pin[3])
    century = (g // 2 + 19) * 100
    code = pin[:3]
    return DecodedPin(
        region_code=code,
        region_name=PROVINCE_CODES.get(code),
        born_abroad=int(code) in COUNTRY_CODE_RANGE,
        century_start=century,
        sex=FEMALE if g % 2 else MALE,
        birth_year=century + int(pin[4:6]),
    )


# --------------------------------------------------------------------------------------------------
# rules — each returns a Finding or None


def rule_digits(pin: str) -> Finding | None:
    """Exactly 12 ASCII digits, leading zeros kept (Law on Identification 2023 Art. 12: a 12-digit number)."""
    if len(pin) == 12 and pin.isascii() and pin.isdigit():
        return None
    return Finding(
        Rule.DIGITS,
        Severity.ERROR,
        Message(
            f"Số định danh cá nhân phải gồm đúng 12 chữ số (0–9), không có chữ, dấu cách hay ký tự khác; "
            f"số đã nhập có {len(pin)} ký tự.",
            f"A personal ID number is exactly 12 digits (0–9) with no letters, spaces or other characters; "
            f"the value entered has {len(pin)} characters.",
        ),
    )


def rule_province(pin: str) -> Finding | None:
    """First three digits: one of the 63 province codes or a country code 101–295
    (Circular 59/2021/TT-BCA, formerly Circular 07/2016/TT-BCA). A warning: the lists may be incomplete."""
    code = pin[:3]
    if code in PROVINCE_CODES or int(code) in COUNTRY_CODE_RANGE:
        return None
    return Finding(
        Rule.PROVINCE,
        Severity.WARNING,
        Message(
            f"Ba chữ số đầu {code} không phải mã tỉnh (001–096) hay mã quốc gia (101–295) đã biết "
            "(Thông tư 59/2021/TT-BCA); cần kiểm tra lại với CSDL quốc gia về dân cư.",
            f"The first three digits {code} are not a known province code (001–096) or country code (101–295) "
            "(Circular 59/2021/TT-BCA); check the number against the national population database.",
        ),
    )


def rule_century(pin: str, date_of_birth: date) -> Finding | None:
    """Digit 4 encodes the century of birth (Decree 137/2015 Art. 13; Law on Identification 2023 Art. 12)."""
    decoded = decode_pin(pin)
    if decoded.century_start == date_of_birth.year // 100 * 100:
        return None
    return Finding(
        Rule.CENTURY,
        Severity.ERROR,
        Message(
            f"Chữ số thứ 4 ({pin[3]}) mã hóa thế kỷ sinh {decoded.century_start}–{decoded.century_start + 99}, "
            f"nhưng ngày sinh trong hồ sơ là năm {date_of_birth.year} (Nghị định 137/2015/NĐ-CP Điều 13).",
            f"Digit 4 ({pin[3]}) encodes a birth in {decoded.century_start}–{decoded.century_start + 99}, "
            f"but the recorded date of birth is in {date_of_birth.year} (Decree 137/2015 Art. 13).",
        ),
    )


def rule_sex(pin: str, sex: str) -> Finding | None:
    """Digit 4 is even for male, odd for female (Decree 137/2015 Art. 13). A warning: the number may
    be stale after a sex reassignment (re-established under Circular 59/2021/TT-BCA Art. 6)."""
    decoded = decode_pin(pin)
    recorded = normalise_sex(sex)
    if decoded.sex == recorded:
        return None
    return Finding(
        Rule.SEX,
        Severity.WARNING,
        Message(
            f"Chữ số thứ 4 ({pin[3]}) ứng với giới tính {decoded.sex}, khác giới tính trong hồ sơ ({recorded}); "
            "cần kiểm tra thủ công (số có thể đã được xác lập lại — Thông tư 59/2021/TT-BCA Điều 6).",
            f"Digit 4 ({pin[3]}) encodes sex {'male' if decoded.sex == MALE else 'female'}, not the recorded "
            f"{'male' if recorded == MALE else 'female'}; check by hand (the number may have been re-established, "
            "Circular 59/2021/TT-BCA Art. 6).",
        ),
    )


def rule_birth_year(pin: str, date_of_birth: date) -> Finding | None:
    """Digits 5–6 are the last two digits of the birth year (Decree 137/2015 Art. 13)."""
    if int(pin[4:6]) == date_of_birth.year % 100:
        return None
    return Finding(
        Rule.BIRTH_YEAR,
        Severity.ERROR,
        Message(
            f"Chữ số thứ 5–6 ({pin[4:6]}) phải là hai số cuối của năm sinh {date_of_birth.year} "
            f"({date_of_birth.year % 100:02d}) (Nghị định 137/2015/NĐ-CP Điều 13); có thể nhập sai số hoặc ngày sinh.",
            f"Digits 5–6 ({pin[4:6]}) must be the last two digits of the birth year {date_of_birth.year} "
            f"({date_of_birth.year % 100:02d}) (Decree 137/2015 Art. 13); the number or the date of birth may be "
            "mistyped.",
        ),
    )


def rule_not_future(pin: str, today: date) -> Finding | None:
    """The encoded birth year cannot be after this year (domain notes §3.3)."""
    year = decode_pin(pin).birth_year
    if year <= today.year:
        return None
    return Finding(
        Rule.FUTURE,
        Severity.ERROR,
        Message(
            f"Số định danh mã hóa năm sinh {year}, sau năm hiện tại {today.year}.",
            f"The number encodes birth year {year}, after the current year {today.year}.",
        ),
    )


def check_personal_id(pin: str, *, sex: str, date_of_birth: date, today: date) -> PinCheck:
    """All rules on a 12-digit number against the recorded sex and date of birth (``today``: the
    caller's clock's date in Vietnam)."""
    digits = rule_digits(pin)
    if digits is not None:
        return PinCheck((digits,), None)
    found = [
        rule_province(pin),
        rule_century(pin, date_of_birth),
        rule_birth_year(pin, date_of_birth),
        rule_sex(pin, sex),
        rule_not_future(pin, today),
    ]
    return PinCheck(tuple(f for f in found if f is not None), decode_pin(pin))


def validate_personal_id(pin: str, *, sex: str, date_of_birth: date, today: date) -> PinCheck:
    """Like :func:`check_personal_id`, but raises :class:`InvalidInput` (one problem per broken rule)
    when an ERROR rule fails; warnings are returned for a manual check."""
    result = check_personal_id(pin, sex=sex, date_of_birth=date_of_birth, today=today)
    if result.errors:
        raise InvalidInput(
            Message("Số định danh cá nhân không hợp lệ.", "The personal ID number is not valid."),
            problems=[f.to_problem() for f in result.findings],
        )
    return result


def rule_cmnd9(value: str) -> Finding | None:
    """An old identity card (CMND) number: 9 digits (Decree 05/1999/NĐ-CP)."""
    if len(value) == 9 and value.isascii() and value.isdigit():
        return None
    return Finding(
        Rule.DIGITS,
        Severity.ERROR,
        Message("Số CMND cũ phải gồm đúng 9 chữ số.", "An old identity card (CMND) number is exactly 9 digits."),
    )


def mask(value: str | None) -> str:
    """For display and logs: only the last 3 characters (``*********123``); never log the full number."""
    if not value:
        return ""
    return "*" * max(0, len(value) - 3) + value[-3:]


# --------------------------------------------------------------------------------------------------
# identifier history


@dataclass(frozen=True)
class IdentifierEntry:
    kind: IdentifierKind
    value: str
    valid_from: date | None = None
    valid_to: date | None = None  # None = current
    source: str = ""


@dataclass
class IdentifierHistory:
    """The identifiers a person has had. A new PIN closes the previous one (re-established number,
    Circular 59/2021/TT-BCA Art. 6); a CMND stays as history; a person may have none."""

    entries: list[IdentifierEntry] = field(default_factory=list)

    @classmethod
    def of(cls, entries: Iterable[IdentifierEntry]) -> IdentifierHistory:
        return cls(sorted(entries, key=lambda e: (e.valid_from or date.min, e.kind.value)))

    def current(self, kind: IdentifierKind = IdentifierKind.PIN) -> IdentifierEntry | None:
        live = [e for e in self.entries if e.kind is kind and e.valid_to is None]
        return live[-1] if live else None

    def knows(self, kind: IdentifierKind, value: str) -> bool:
        return any(e.kind is kind and e.value == value for e in self.entries)

    def add(self, entry: IdentifierEntry, *, today: date) -> list[IdentifierEntry]:
        """Add an identifier; returns the entries it closes (a new PIN closes the current PIN the day
        before it starts, ``today`` if it has no start). Re-adding a known value is a no-op."""
        if entry.kind is IdentifierKind.PIN and rule_digits(entry.value) is not None:
            raise InvalidInput(rule_digits(entry.value).message)  # type: ignore[union-attr]
        if entry.kind is IdentifierKind.CMND9 and rule_cmnd9(entry.value) is not None:
            raise InvalidInput(rule_cmnd9(entry.value).message)  # type: ignore[union-attr]
        if self.knows(entry.kind, entry.value):
            return []
        closed: list[IdentifierEntry] = []
        if entry.kind is IdentifierKind.PIN:
            old = self.current(IdentifierKind.PIN)
            if old is not None:
                end = entry.valid_from or today
                replaced = IdentifierEntry(old.kind, old.value, old.valid_from, end, old.source)
                self.entries[self.entries.index(old)] = replaced
                closed.append(replaced)
        self.entries.append(entry)
        return closed
