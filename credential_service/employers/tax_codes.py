"""Vietnamese tax codes (mã số thuế, MST): one canonical spelling, so that ``0200-000-001``,
``0200 000 001`` and ``0200000001`` are the same organisation.

An enterprise's MST is 10 digits; a dependent unit (branch, representative office) has the parent's
10 digits, a dash and 3 digits ``001``–``999`` (Law on Tax Administration 38/2019/QH14 Art. 30;
Circular 105/2020/TT-BTC Art. 5). The canonical form is the 10 digits, or ``NNNNNNNNNN-NNN``.
Spaces, dots and dashes between groups are ignored; full-width digits are folded (NFKC). The check
digit (the 10th) is not verified: test and demo data use made-up codes, and the Sở checks the real
organisation when it approves it. Pure: no framework.
"""

from __future__ import annotations

import unicodedata

from credential_service.platform.errors import InvalidInput, Message, Problem

SEPARATORS = frozenset(" .-\u2010\u2011\u2012\u2013\u2014\u2212")


def tax_code_problem(raw: str, field: str = "tax_code") -> Problem | None:
    """Why ``raw`` is not a tax code, or None when it is one."""
    try:
        normalise_tax_code(raw)
    except InvalidInput as e:
        return Problem(e.message, {"field": field}, raw[:40])
    return None


def normalise_tax_code(raw: str) -> str:
    """The canonical spelling: ``0200000001`` or ``0200000001-001``; InvalidInput when it is not an MST."""
    folded = unicodedata.normalize("NFKC", raw).strip()
    digits = "".join(ch for ch in folded if ch not in SEPARATORS)
    if not (digits.isascii() and digits.isdigit() and len(digits) in (10, 13)):
        raise InvalidInput(
            Message(
                "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (dạng 0200000001-001).",
                "A tax code is 10 digits, or 13 for a branch (written 0200000001-001).",
            )
        )
    if len(digits) == 10:
        return digits
    if digits[10:] == "000":
        raise InvalidInput(
            Message(
                "Ba số cuối của mã số thuế đơn vị phụ thuộc là 001–999.",
                "The last three digits of a branch's tax code are 001–999.",
            )
        )
    return f"{digits[:10]}-{digits[10:]}"
