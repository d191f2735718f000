"""The issuer's signed status statement: a credential's status as of a time, as a C2SP signed note.

A verification bundle (:mod:`verifier.bundle`, format ``/2``) carries the status the issuer reported,
signed by the issuer's **log key** (the key that signs the ledger's checkpoints, pinned by verifiers
from the trust list), so that editing ``"revoked"`` into ``"valid"`` breaks a signature. The note text::

    sogoc-credential-status/v1
    credential <credential id>
    record-sha256 <hex SHA-256 of the canonical record>
    status <valid | superseded | revoked | not_issued>
    as-of <RFC 3339 UTC time, e.g. 2026-12-02T22:40:00Z>
    checkpoint <tree size> <log origin>
    detail <compact JSON object, ASCII: version, issued_at, superseded_by, decision, revoked_at, reason>

The ``checkpoint`` line names the signed checkpoint (origin and size) the status was read against: the
bundle's inclusion proof must be against that same checkpoint. The first line cannot be read as a
checkpoint (its second line is not a decimal size), so a status note can never pass for a checkpoint
signed by the same key, nor the other way round.

This module depends on :mod:`verifier.note` only; it uses no network and reads no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verifier.errors import VerifierError
from verifier.note import Signer, Verifier, open_note, sign_note

__all__ = [
    "STATUS_HEADER",
    "STATUS_VALUES",
    "StatusStatement",
    "StatusStatementError",
    "open_status_statement",
    "sign_status_statement",
]

STATUS_HEADER = "sogoc-credential-status/v1"
STATUS_VALUES = ("valid", "superseded", "revoked", "not_issued")
DETAIL_KEYS = ("version", "issued_at", "superseded_by", "decision", "revoked_at", "reason")
_TOKEN = re.compile(r"[^\s\x00-\x1f]{1,128}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_MAX_DETAIL = 4096


class StatusStatementError(VerifierError):
    """The status statement is malformed or not signed by a pinned key."""

    code = "status_statement_invalid"


def _bad(vi: str, en: str) -> StatusStatementError:
    return StatusStatementError(
        "Tuyên bố trạng thái không hợp lệ: " + vi, "Invalid status statement: " + en, code="status_statement_invalid"
    )


@dataclass(frozen=True)
class StatusStatement:
    """What the issuer says about one credential at ``as_of``, against the checkpoint (origin, size)."""

    credential_id: str
    record_sha256: str
    status: str
    as_of: str
    origin: str
    tree_size: int
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.credential_id):
            raise _bad("mã văn bằng/học bạ", "credential id")
        if not _HEX64.fullmatch(self.record_sha256):
            raise _bad("record-sha256 phải là 64 ký tự hex thường", "record-sha256 must be 64 lowercase hex")
        if self.status not in STATUS_VALUES:
            raise _bad(f"trạng thái {self.status!r}", f"status {self.status!r}")
        if not _TIME.fullmatch(self.as_of):
            raise _bad("as-of phải là thời điểm UTC (…Z)", "as-of must be an RFC 3339 UTC time (…Z)")
        if not self.origin or re.search(r"[\x00-\x1f]", self.origin):
            raise _bad("nguồn gốc sổ cái", "log origin")
        if isinstance(self.tree_size, bool) or not isinstance(self.tree_size, int) or self.tree_size < 0:
            raise _bad("cỡ cây", "tree size")
        if not isinstance(self.detail, Mapping) or any(k not in DETAIL_KEYS for k in self.detail):
            raise _bad("dòng detail", "detail line")

    def to_note_text(self) -> str:
        detail = {k: self.detail[k] for k in DETAIL_KEYS if self.detail.get(k) is not None}
        lines = [
            STATUS_HEADER,
            f"credential {self.credential_id}",
            f"record-sha256 {self.record_sha256}",
            f"status {self.status}",
            f"as-of {self.as_of}",
            f"checkpoint {self.tree_size} {self.origin}",
            "detail " + json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> StatusStatement:
        """Parse the note *text* (not the signed note); raises :class:`StatusStatementError`."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise _bad("văn bản phải kết thúc bằng xuống dòng", "text must end with a newline")
        lines = text[:-1].split("\n")
        names = ("credential", "record-sha256", "status", "as-of", "checkpoint", "detail")
        if len(lines) != 1 + len(names) or lines[0] != STATUS_HEADER:
            raise _bad(f"cần dòng đầu {STATUS_HEADER} và {len(names)} dòng", f"expected {STATUS_HEADER} and 6 lines")
        values: dict[str, str] = {}
        for name, line in zip(names, lines[1:], strict=True):
            key, sep, value = line.partition(" ")
            if key != name or not sep or not value:
                raise _bad(f"dòng {name!r}", f"line {name!r}")
            values[name] = value
        size, sep, origin = values["checkpoint"].partition(" ")
        if not sep or not _DECIMAL.fullmatch(size):
            raise _bad("dòng checkpoint", "checkpoint line")
        raw = values["detail"]
        if len(raw) > _MAX_DETAIL or not raw.isascii():
            raise _bad("dòng detail", "detail line")
        try:
            detail = json.loads(raw)
        except ValueError as e:
            raise _bad("dòng detail không phải JSON", "detail line is not JSON") from e
        if not isinstance(detail, dict):
            raise _bad("dòng detail", "detail line")
        stmt = cls(
            values["credential"], values["record-sha256"], values["status"], values["as-of"], origin, int(size), detail
        )
        if stmt.to_note_text() != text:  # one text per statement: no second spelling of the same facts
            raise _bad("văn bản không ở dạng chuẩn", "text is not in canonical form")
        return stmt

    def to_dict(self) -> dict[str, Any]:
        return {
            "credential_id": self.credential_id,
            "record_sha256": self.record_sha256,
            "status": self.status,
            "as_of": self.as_of,
            "checkpoint": {"origin": self.origin, "size": self.tree_size},
            **{k: self.detail.get(k) for k in DETAIL_KEYS},
        }


def sign_status_statement(stmt: StatusStatement, signer: Signer | Sequence[Signer]) -> str:
    """The signed note of ``stmt`` (the issuer signs with its log key)."""
    return sign_note(stmt.to_note_text(), signer)


def open_status_statement(note: str | bytes, verifiers: Iterable[Verifier]) -> StatusStatement:
    """Verify a signed status statement with the pinned log ``verifiers`` and parse it.

    Raises :class:`StatusStatementError` (bilingual) when no pinned key signed it, a pinned key's
    signature does not verify (the text was edited), or the text is not a status statement."""
    try:
        opened = open_note(note, verifiers)
    except VerifierError as e:
        raise StatusStatementError(
            f"Tuyên bố trạng thái không được ký bởi khóa đã ghim của đơn vị cấp (đã bị sửa hoặc giả mạo): {e.vi}",
            f"The status statement is not signed by the issuer's pinned key (edited or forged): {e.en}",
            code="status_signature_invalid",
        ) from e
    return StatusStatement.parse(opened.text)
