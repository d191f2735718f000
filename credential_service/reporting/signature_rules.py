"""Digital signatures in the progress (pure; issue #16 item 1): staff with a valid certificate by role, the
certificates that expire within 30, 60 and 90 days, and the revocations.

Read from the signer registry (``SignerRegistry.certificates``, ``role_assignments``), never its tables.

* A person (or seal) counts under a role when an assignment of that role is in force on ``today``; someone
  holding two roles counts under each.
* A certificate is **valid** at ``now`` when it is the signer's active one (not superseded, not revoked) and
  ``not_before <= now < not_after``. The expiry windows are cumulative: "within 60 days" includes those
  within 30; a certificate already expired is not valid and in no window.
* **Revocations** count every revoked certificate in the register, and those revoked within the last 90 days.
* Scope: for the whole city every assignment and certificate; for a commune (a filter or a commune officer's
  own scope) the assignments at that commune's schools, and the certificates of the staff who hold them
  (the Sở's own roles are city-wide and are not in a commune's numbers).

Suppression: these are counts of staff and of their certificates (which a CA publishes), not of students:
``suppression.py``'s rule (no cell about 1–4 students) does not apply and nothing here is suppressed. No name,
staff id, serial or subject leaves this module: only counts per role, window and revocation reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from credential_service.platform.errors import Message
from credential_service.staff.roles import LABELS, Role

WINDOWS = (30, 60, 90)
RECENT_REVOCATION_DAYS = 90
TABLES = ("signers", "certificates")

WINDOW_LABELS: dict[str, Message] = {
    "valid": Message("Chứng thư còn hiệu lực", "Valid certificates"),
    **{f"expiring_{n}": Message(f"Hết hạn trong {n} ngày tới", f"Expiring within {n} days") for n in WINDOWS},
    "revoked": Message("Đã thu hồi (tất cả)", "Revoked (all time)"),
    f"revoked_last_{RECENT_REVOCATION_DAYS}": Message(
        f"Thu hồi trong {RECENT_REVOCATION_DAYS} ngày qua", f"Revoked in the last {RECENT_REVOCATION_DAYS} days"
    ),
}


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def in_force(assignment: Mapping[str, Any], on: date) -> bool:
    starts = date.fromisoformat(str(assignment["valid_from"]))
    ends = assignment.get("valid_to")
    return starts <= on and (ends is None or on <= date.fromisoformat(str(ends)))


def is_valid(cert: Mapping[str, Any], now: datetime) -> bool:
    """The signer's active certificate, within its period, not revoked."""
    not_before, not_after = _moment(cert.get("not_before")), _moment(cert.get("not_after"))
    return (
        cert.get("status") == "active"
        and not cert.get("revoked_at")
        and not cert.get("replaced_by_id")
        and not_before is not None
        and not_after is not None
        and not_before <= now < not_after
    )


def days_left(cert: Mapping[str, Any], today: date) -> int:
    not_after = _moment(cert.get("not_after"))
    return (not_after.date() - today).days if not_after is not None else -1


def in_scope(
    assignments: Iterable[Mapping[str, Any]], schools: frozenset[str] | None, today: date
) -> list[Mapping[str, Any]]:
    """The assignments in force today within the schools (None: the whole city, the Sở's roles too)."""
    return [
        a
        for a in assignments
        if in_force(a, today) and (schools is None or (a.get("school_id") is not None and a["school_id"] in schools))
    ]


def signers_by_role(
    assignments: Iterable[Mapping[str, Any]], certificates: Iterable[Mapping[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Per role (in the order of ``staff/roles.py:Role``): the staff holding it and how many of them have a
    valid certificate. ``assignments``: those in force and in scope."""
    valid = {str(c["staff_id"]) for c in certificates if is_valid(c, now)}
    holders: dict[str, set[str]] = {}
    for a in assignments:
        holders.setdefault(str(a["role"]), set()).add(str(a["staff_id"]))
    order = [r.value for r in Role]
    rows = []
    for role in sorted(holders, key=lambda r: (order.index(r) if r in order else len(order), r)):
        staff = holders[role]
        label = LABELS.get(Role(role)) if role in order else None
        with_cert = len(staff & valid)
        rows.append(
            {
                "key": role,
                "label": label.vi if label else role,
                "label_en": label.en if label else role,
                "staff": len(staff),
                "with_valid_certificate": with_cert,
                "without_valid_certificate": len(staff) - with_cert,
                "share_valid": round(with_cert / len(staff), 4) if staff else None,
                "suppressed": [],
            }
        )
    return rows


def certificate_counts(certificates: Iterable[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The valid certificates, those expiring within each window, and the revocations (total, recent, and by
    reason: rows ``revoked_<reason>``)."""
    today = now.date()
    certs = list(certificates)
    valid = [c for c in certs if is_valid(c, now)]
    counts: dict[str, int] = {"valid": len(valid)}
    for n in WINDOWS:
        counts[f"expiring_{n}"] = sum(1 for c in valid if days_left(c, today) <= n)
    revoked = [c for c in certs if c.get("revoked_at")]
    counts["revoked"] = len(revoked)
    since = now - timedelta(days=RECENT_REVOCATION_DAYS)
    counts[f"revoked_last_{RECENT_REVOCATION_DAYS}"] = sum(
        1 for c in revoked if (at := _moment(c["revoked_at"])) is not None and since <= at <= now
    )
    rows = [
        {"key": k, "label": WINDOW_LABELS[k].vi, "label_en": WINDOW_LABELS[k].en, "certificates": n, "suppressed": []}
        for k, n in counts.items()
    ]
    reasons: dict[str, int] = {}
    for c in revoked:
        reason = str(c.get("revocation_reason") or "unspecified")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, n in sorted(reasons.items()):
        rows.append(
            {
                "key": f"revoked_{reason}",
                "label": f"Thu hồi, lý do: {reason}",
                "label_en": f"Revoked, reason: {reason}",
                "certificates": n,
                "suppressed": [],
            }
        )
    return rows


def signature_section(
    assignments: Iterable[Mapping[str, Any]],
    certificates: Iterable[Mapping[str, Any]],
    now: datetime,
    schools: frozenset[str] | None,
) -> dict[str, Any]:
    """The section's tables (``signers``, ``certificates``) and its headline numbers, for the staff in
    scope (``schools``: the school ids a commune covers; None: the whole city)."""
    today = now.date()
    kept = in_scope(assignments, schools, today)
    staff = {str(a["staff_id"]) for a in kept}
    certs = [c for c in certificates if schools is None or str(c["staff_id"]) in staff]
    by_role = signers_by_role(kept, certs, now)
    counts = certificate_counts(certs, now)
    head = {r["key"]: r["certificates"] for r in counts}
    valid = {str(c["staff_id"]) for c in certs if is_valid(c, now)}
    return {
        "as_of": today.isoformat(),
        "staff_with_role": len(staff),
        "staff_with_valid_certificate": len(staff & valid),
        "valid_certificates": head["valid"],
        "expiring": {str(n): head[f"expiring_{n}"] for n in WINDOWS},
        "revocations": head["revoked"],
        "revocations_recent": head[f"revoked_last_{RECENT_REVOCATION_DAYS}"],
        "note_vi": "Số cán bộ và chứng thư (không phải học sinh): không ẩn ô nhỏ; không có tên hay số hiệu chứng thư.",
        "note_en": "Counts of staff and certificates (not students): no small-cell suppression; no names or serials.",
        "tables": {"signers": by_role, "certificates": counts},
    }
