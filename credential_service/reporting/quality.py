"""Data quality of the student records (pure): a missing personal ID number, or one whose digits disagree
with the record. The digits are read by ``holders/identity_rules.py`` (the one CCCD parser); this module only
sorts its findings into the dashboard's columns."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

from credential_service.holders.identity_rules import PROVINCE_CODES, Rule, century_digit, check_personal_id
from credential_service.platform.errors import InvalidInput

NO_PIN = "no_personal_id"
MALFORMED = "pin_malformed"  # not 12 digits
PROVINCE = "pin_province"  # an unknown region code, or a province other than the one the place of birth names
SEX = "pin_sex"
BIRTH_YEAR = "pin_birth_year"  # the century digit or the two year digits
QUALITY_FIELDS = (NO_PIN, MALFORMED, PROVINCE, SEX, BIRTH_YEAR)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


_PROVINCES = {_fold(name): code for code, name in PROVINCE_CODES.items()}


@lru_cache(maxsize=4096)  # places of birth repeat ("Lê Chân, Hải Phòng"): read each once
def named_province(place_of_birth: str | None) -> str | None:
    """The province code of the one province a place of birth names ("Lê Chân, Hải Phòng" → 031), or None
    when it names none or several. The place of birth is where the child was born, the ID's code where the
    birth was registered; they agree for most children, so a difference is a case to check, not an error."""
    if not place_of_birth:
        return None
    text = _fold(place_of_birth)
    found = {code for name, code in _PROVINCES.items() if name in text}
    return found.pop() if len(found) == 1 else None


def pin_issues(
    personal_id: str | None, *, sex: str, date_of_birth: date, place_of_birth: str | None, today: date
) -> frozenset[str]:
    """Which of :data:`QUALITY_FIELDS` a student record counts in (empty: nothing to check)."""
    if not personal_id or not personal_id.strip():
        return frozenset({NO_PIN})
    if _agrees(personal_id, sex, date_of_birth, place_of_birth, today):
        return frozenset()
    return classify(personal_id, sex=sex, date_of_birth=date_of_birth, place_of_birth=place_of_birth, today=today)


def classify(
    personal_id: str, *, sex: str, date_of_birth: date, place_of_birth: str | None, today: date
) -> frozenset[str]:
    """The full check of a given number (``holders/identity_rules.py:check_personal_id``), sorted into columns."""
    try:
        check = check_personal_id(personal_id.strip(), sex=sex, date_of_birth=date_of_birth, today=today)
    except InvalidInput:  # a sex the rules cannot read: the sex digit cannot be compared
        return frozenset({SEX})
    rules = {f.rule for f in check.findings}
    if Rule.DIGITS in rules:
        return frozenset({MALFORMED})
    issues = set()
    named = named_province(place_of_birth)
    if Rule.PROVINCE in rules or (named is not None and check.decoded and check.decoded.region_code != named):
        issues.add(PROVINCE)
    if Rule.SEX in rules:
        issues.add(SEX)
    if rules & {Rule.CENTURY, Rule.BIRTH_YEAR, Rule.FUTURE}:
        issues.add(BIRTH_YEAR)
    return frozenset(issues)


def _agrees(pin: str, sex: str, born: date, place_of_birth: str | None, today: date) -> bool:
    """The common case, cheaply: a 12-digit number whose province, century/sex and year digits are those the
    record gives (the digits as ``identity_rules`` defines them). Anything else goes through the full check,
    which says what disagrees. Only a speed-up: the result is the same (``tests/reporting``)."""
    if len(pin) != 12 or not (pin.isascii() and pin.isdigit()) or born.year > today.year:
        return False
    code = pin[:3]
    named = named_province(place_of_birth)
    if code not in PROVINCE_CODES or (named is not None and named != code):
        return False
    try:
        g = century_digit(born.year, sex)
    except InvalidInput:
        return False
    return pin[3] == str(g) and pin[4:6] == f"{born.year % 100:02d}"
