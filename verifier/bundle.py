"""Verification bundles: check a credential's ledger inclusion offline, as a sigstore bundle does.

A bundle is the evidence a holder carries next to the PDF so that anyone can check, without the
issuer's database and without the network, that the credential is in the issuer's append-only ledger:

* the ledger **entry** (the leaf bytes) and its **inclusion proof** (RFC 9162 §2.1.3) in a tree;
* the **checkpoint** of that tree, a C2SP signed note, which must be signed by a log key you pin (the
  trust list's log keys): a proof against an unsigned or foreign root proves nothing;
* the record's **salt**, which opens the leaf's salted commitment to the SHA-256 of the record embedded
  in the PDF (the leaf hides the record from everyone without the salt);
* the **status** as the issuer reported it, and when (``as_of``), with the issuer's **signed status
  statement** (:mod:`verifier.status_note`): a C2SP signed note by the same pinned log key naming the
  credential, the record's SHA-256, the status, ``as_of`` and the checkpoint (origin, size) it was read
  against. It is the issuer's word at that time: a later revocation is only seen by asking again.

Format ``sogoc-verification-bundle/2`` (JSON, UTF-8; unknown keys are ignored, another ``format`` is
refused)::

    {
      "format": "sogoc-verification-bundle/2",
      "media_type": "application/vnd.sogoc.verification-bundle+json;version=2",
      "credential_id": "0b6f…",
      "record": {"sha256": "<hex>", "salt": "<hex>"},
      "pdf_sha256": "<hex, the PDF as issued>" | null,
      "ledger": {
        "origin": "sogoc.haiphong.edu.vn/ledger",
        "index": 4,
        "leaf": "<base64 of the leaf bytes>",
        "inclusion_proof": {"tree_size": 5, "hashes": ["<hex>", …]},
        "checkpoint": "<the signed note, text>"
      },
      "status": {"status": "valid", "as_of": "2026-12-02T22:40:00Z", "source": "<where it was read>", …,
                 "statement": "<the signed status statement, text>"}
    }

The plain ``status`` fields are for people; :func:`verify_bundle_status` trusts only the signed
statement, and a plain field that disagrees with it is FAILED (someone edited the bundle).

Format ``/1`` (the same without ``status.statement``) is still read: its ledger evidence is checked as
before, but its status is the issuer's *unsigned* word, so :func:`verify_bundle_status` answers
INDETERMINATE (``status_unsigned``) with a hint to download a fresh bundle; a ``/1`` bundle never gives
PASSED on its status.

Usage::

    from verifier.bundle import Bundle, verify_bundle_ledger
    bundle = Bundle.from_json(open("hocba.sogoc-bundle.json", "rb").read())
    evidence = verify_bundle_ledger(bundle, record_sha256=digest, verifiers=pinned_log_verifiers)
    status = verify_bundle_status(bundle, verifiers=pinned_log_verifiers)  # PASSED only if signed and unedited

This module imports neither the service nor the signing library, and uses no network.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifier.checkpoint import open_checkpoint
from verifier.errors import VerifierError
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.note import Verifier
from verifier.status_note import DETAIL_KEYS, StatusStatement, open_status_statement

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_V1",
    "BUNDLE_MEDIA_TYPE",
    "BUNDLE_SUFFIX",
    "Bundle",
    "BundleError",
    "LedgerEvidence",
    "StatusEvidence",
    "bundle_path_for",
    "record_commitment",
    "verify_bundle_ledger",
    "verify_bundle_status",
]

BUNDLE_FORMAT = "sogoc-verification-bundle/2"
BUNDLE_FORMAT_V1 = "sogoc-verification-bundle/1"
BUNDLE_MEDIA_TYPE = "application/vnd.sogoc.verification-bundle+json;version=2"
_FORMATS = {BUNDLE_FORMAT_V1: 1, BUNDLE_FORMAT: 2}
BUNDLE_SUFFIX = ".sogoc-bundle.json"
MAX_BUNDLE_BYTES = 1024 * 1024  # a proof is ~64 hashes; the checkpoint a few lines: 1 MiB is generous
MAX_PROOF_HASHES = 64


class BundleError(VerifierError):
    """The bundle cannot be read (not JSON, wrong format, a field missing or of the wrong type)."""

    code = "bundle_invalid"


def record_commitment(salt_hex: str, record_sha256_hex: str) -> str:
    """The leaf's salted commitment to a record (``sogoc/commit/v1``; the ledger writes the same)."""
    return hashlib.sha256(
        b"sogoc/commit/v1\x00" + bytes.fromhex(salt_hex) + bytes.fromhex(record_sha256_hex)
    ).hexdigest()


def bundle_path_for(pdf: str | Path) -> Path:
    """Where a bundle sits beside its PDF: ``X.pdf`` → ``X.sogoc-bundle.json``."""
    p = Path(pdf)
    return p.with_name(p.stem + BUNDLE_SUFFIX)


def _bad(what: str) -> BundleError:
    return BundleError(f"Gói xác minh không hợp lệ: {what}.", f"Invalid verification bundle: {what}.")


def _hex(value: object, what: str, size: int | None = 32) -> str:
    if not isinstance(value, str):
        raise _bad(what)
    try:
        raw = bytes.fromhex(value)
    except ValueError as e:
        raise _bad(what) from e
    if size is not None and len(raw) != size:
        raise _bad(what)
    return value.lower()


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(what)
    return value


@dataclass(frozen=True)
class Bundle:
    """A checked bundle (structure only: :func:`verify_bundle_ledger` checks the evidence)."""

    credential_id: str
    record_sha256: str
    salt: str
    pdf_sha256: str | None
    origin: str
    index: int
    leaf: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    status: Mapping[str, Any] = field(default_factory=dict)
    status_statement: str | None = None
    """The issuer's signed status statement (format /2); ``None`` in a /1 bundle."""

    @property
    def version(self) -> int:
        """2 when the bundle carries a signed status statement, else 1 (the status is unsigned)."""
        return 1 if self.status_statement is None else 2

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> Bundle:
        if isinstance(data, str | bytes) and len(data) > MAX_BUNDLE_BYTES:
            raise _bad("quá lớn / too large")
        try:
            doc = json.loads(data) if isinstance(data, str | bytes) else data
        except ValueError as e:
            raise _bad("không phải JSON / not JSON") from e
        if not isinstance(doc, Mapping):
            raise _bad("không phải đối tượng JSON / not a JSON object")
        version = _FORMATS.get(str(doc.get("format")))
        if version is None:
            raise BundleError(
                f"Không phải gói xác minh {BUNDLE_FORMAT} hay /1 (định dạng {doc.get('format')!r}).",
                f"Not a {BUNDLE_FORMAT} (or /1) bundle (format {doc.get('format')!r}).",
                code="bundle_format",
            )
        record, ledger, status = doc.get("record"), doc.get("ledger"), doc.get("status", {})
        if not isinstance(record, Mapping) or not isinstance(ledger, Mapping) or not isinstance(status, Mapping):
            raise _bad("record/ledger/status")
        proof = ledger.get("inclusion_proof")
        if not isinstance(proof, Mapping) or not isinstance(proof.get("hashes"), list):
            raise _bad("ledger.inclusion_proof")
        if len(proof["hashes"]) > MAX_PROOF_HASHES:
            raise _bad("ledger.inclusion_proof.hashes")
        cid, origin, note = doc.get("credential_id"), ledger.get("origin"), ledger.get("checkpoint")
        if not isinstance(cid, str) or not cid or not isinstance(origin, str) or not isinstance(note, str):
            raise _bad("credential_id/ledger.origin/ledger.checkpoint")
        try:
            leaf = base64.b64decode(str(ledger.get("leaf", "")), validate=True)
        except (binascii.Error, ValueError) as e:
            raise _bad("ledger.leaf") from e
        pdf_sha256 = doc.get("pdf_sha256")
        statement = status.get("statement") if version == 2 else None
        if version == 2 and (not isinstance(statement, str) or not statement):
            raise _bad("status.statement (bắt buộc ở định dạng /2 / required in format /2)")
        return cls(
            credential_id=cid,
            record_sha256=_hex(record.get("sha256"), "record.sha256"),
            salt=_hex(record.get("salt"), "record.salt", None),
            pdf_sha256=None if pdf_sha256 is None else _hex(pdf_sha256, "pdf_sha256"),
            origin=origin,
            index=_int(ledger.get("index"), "ledger.index"),
            leaf=leaf,
            tree_size=_int(proof.get("tree_size"), "ledger.inclusion_proof.tree_size"),
            hashes=tuple(bytes.fromhex(_hex(h, "ledger.inclusion_proof.hashes")) for h in proof["hashes"]),
            checkpoint=note,
            status={k: v for k, v in status.items() if k != "statement"},
            status_statement=statement,
        )

    @classmethod
    def load(cls, path: str | Path) -> Bundle:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_BUNDLE_BYTES:
                raise _bad("quá lớn / too large")
            raw = p.read_bytes()
        except OSError as e:
            raise BundleError(
                f"Không đọc được gói xác minh {p}: {e.strerror or e}.",
                f"Cannot read the verification bundle {p}: {e.strerror or e}.",
                code="bundle_unreadable",
            ) from e
        return cls.from_json(raw)

    def to_dict(self) -> dict[str, Any]:
        v2 = self.status_statement is not None
        status = {**self.status, "statement": self.status_statement} if v2 else dict(self.status)
        return {
            "format": BUNDLE_FORMAT if v2 else BUNDLE_FORMAT_V1,
            "media_type": BUNDLE_MEDIA_TYPE if v2 else BUNDLE_MEDIA_TYPE.replace("version=2", "version=1"),
            "credential_id": self.credential_id,
            "record": {"sha256": self.record_sha256, "salt": self.salt},
            "pdf_sha256": self.pdf_sha256,
            "ledger": {
                "origin": self.origin,
                "index": self.index,
                "leaf": base64.b64encode(self.leaf).decode("ascii"),
                "inclusion_proof": {"tree_size": self.tree_size, "hashes": [h.hex() for h in self.hashes]},
                "checkpoint": self.checkpoint,
            },
            "status": status,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class LedgerEvidence:
    """What the bundle proves about the ledger. ``included`` only when every check held; otherwise
    ``code`` and the bilingual ``vi``/``en`` say which failed."""

    included: bool
    index: int | None
    checkpoint_size: int | None
    root_hash: str | None
    leaf: Mapping[str, Any] | None
    code: str | None = None
    vi: str | None = None
    en: str | None = None


def verify_bundle_ledger(bundle: Bundle, *, record_sha256: str, verifiers: Sequence[Verifier]) -> LedgerEvidence:
    """Check that ``bundle`` proves the entry committing to ``record_sha256`` is in the pinned log.

    In order: the checkpoint is signed by one of ``verifiers`` (the pinned log keys) for the bundle's
    origin; the proof's tree size is the checkpoint's; the inclusion proof of the leaf leads to the
    checkpoint's root; the leaf names the credential and its salted commitment opens, with the bundle's
    salt, to ``record_sha256`` (the digest of the record embedded in the PDF). Never raises on bad
    evidence: the failure is in the answer."""

    def failed(code: str, vi: str, en: str, **kw: Any) -> LedgerEvidence:
        return LedgerEvidence(False, kw.get("index"), kw.get("size"), kw.get("root"), kw.get("leaf"), code, vi, en)

    try:
        cp = open_checkpoint(bundle.checkpoint, verifiers, bundle.origin)
    except VerifierError as e:
        return failed(
            "checkpoint_untrusted",
            f"Checkpoint trong gói không được ký bởi khóa sổ cái đã ghim: {e.vi}",
            f"The bundle's checkpoint is not signed by the pinned log key: {e.en}",
        )
    where = {"index": bundle.index, "size": cp.size, "root": cp.root_hash.hex()}
    if bundle.tree_size != cp.size:
        return failed(
            "proof_size_mismatch",
            f"Bằng chứng dành cho cây cỡ {bundle.tree_size}, checkpoint là cỡ {cp.size}.",
            f"The proof is for a tree of size {bundle.tree_size}, the checkpoint's is {cp.size}.",
            **where,
        )
    try:
        verify_inclusion(leaf_hash(bundle.leaf), bundle.index, cp.size, list(bundle.hashes), cp.root_hash)
    except VerifierError as e:
        return failed(
            "inclusion_proof_invalid",
            f"Bằng chứng bao hàm không khớp checkpoint: {e.vi}",
            f"The inclusion proof does not match the checkpoint: {e.en}",
            **where,
        )
    try:
        leaf = json.loads(bundle.leaf)
    except ValueError:
        leaf = None
    if not isinstance(leaf, dict):
        return failed("leaf_invalid", "Mục sổ cái không đọc được.", "The ledger entry cannot be read.", **where)
    if leaf.get("credential_id") != bundle.credential_id:
        return failed(
            "leaf_other_credential",
            "Mục sổ cái thuộc về một văn bằng/học bạ khác.",
            "The ledger entry belongs to another credential.",
            leaf=leaf,
            **where,
        )
    if record_sha256.lower() != bundle.record_sha256 or leaf.get("commitment") != record_commitment(
        bundle.salt, record_sha256
    ):
        return failed(
            "commitment_mismatch",
            "Mục sổ cái không cam kết bản ghi gắn trong tệp PDF.",
            "The ledger entry does not commit to the record embedded in the PDF.",
            leaf=leaf,
            **where,
        )
    return LedgerEvidence(True, bundle.index, cp.size, cp.root_hash.hex(), leaf)


@dataclass(frozen=True)
class StatusEvidence:
    """What the bundle proves about the credential's status.

    ``indication`` is ``PASSED`` when the status comes from a statement signed by a pinned log key that
    agrees with the bundle (then ``status`` is the signed word, which may well be ``revoked``: PASSED
    says the statement is authentic, not that the credential is valid); ``INDETERMINATE`` for a /1
    bundle (the unsigned word is in ``status``, for display only); ``FAILED`` when the statement does
    not verify or disagrees with the bundle (edited or forged)."""

    indication: str
    status: str | None
    statement: StatusStatement | None = None
    code: str | None = None
    vi: str | None = None
    en: str | None = None


def verify_bundle_status(bundle: Bundle, *, verifiers: Sequence[Verifier]) -> StatusEvidence:
    """Check the bundle's status against the issuer's signed statement (never raises on bad evidence)."""
    plain = bundle.status.get("status")
    plain_word = plain if isinstance(plain, str) else None
    if bundle.status_statement is None:
        return StatusEvidence(
            "INDETERMINATE",
            plain_word,
            code="status_unsigned",
            vi=f"Gói xác minh định dạng {BUNDLE_FORMAT_V1} không có chữ ký trên trạng thái: trạng thái "
            f"{plain_word!r} chỉ là lời của đơn vị cấp, chưa được chứng minh. Hãy tải gói xác minh mới "
            f"({BUNDLE_FORMAT}) từ trang của người sở hữu hoặc bằng `sogoc bundle`.",
            en=f"A {BUNDLE_FORMAT_V1} bundle carries no signature on its status: {plain_word!r} is the issuer's "
            f"unsigned word, not proof. Download a fresh bundle ({BUNDLE_FORMAT}) from the holder's page "
            "or with `sogoc bundle`.",
        )

    def failed(code: str, vi: str, en: str, stmt: StatusStatement | None = None) -> StatusEvidence:
        return StatusEvidence("FAILED", None, stmt, code, vi, en)

    try:
        stmt = open_status_statement(bundle.status_statement, verifiers)
    except VerifierError as e:
        return failed(e.code, e.vi, e.en)
    if stmt.credential_id != bundle.credential_id or stmt.record_sha256 != bundle.record_sha256:
        return failed(
            "status_other_credential",
            "Tuyên bố trạng thái đã ký thuộc về văn bằng/học bạ hoặc bản ghi khác với gói xác minh.",
            "The signed status statement is about another credential or record than the bundle's.",
            stmt,
        )
    if (stmt.origin, stmt.tree_size) != (bundle.origin, bundle.tree_size):
        return failed(
            "status_other_checkpoint",
            f"Tuyên bố trạng thái được lập theo checkpoint {stmt.origin} cỡ {stmt.tree_size}, không phải "
            f"checkpoint của gói ({bundle.origin} cỡ {bundle.tree_size}).",
            f"The status statement was made against checkpoint {stmt.origin} size {stmt.tree_size}, not the "
            f"bundle's ({bundle.origin} size {bundle.tree_size}).",
            stmt,
        )
    edited = [
        k
        for k, signed in (("status", stmt.status), ("as_of", stmt.as_of))
        if k in bundle.status and bundle.status[k] != signed
    ]
    edited += [k for k in DETAIL_KEYS if k in bundle.status and bundle.status[k] != stmt.detail.get(k)]
    if edited:
        return failed(
            "status_tampered",
            f"Trạng thái trong gói đã bị sửa: {', '.join(edited)} khác với tuyên bố đã ký của đơn vị cấp "
            f"(trạng thái đã ký: {stmt.status}). Không chấp nhận gói này.",
            f"The status in the bundle was edited: {', '.join(edited)} differ from the issuer's signed "
            f"statement (signed status: {stmt.status}). Do not accept this bundle.",
            stmt,
        )
    return StatusEvidence("PASSED", stmt.status, stmt)
