"""Our credentials checked all the way: signatures, embedded record, printed QR, ledger, current status.

:meth:`VerificationService.verify_pdf` runs, on an uploaded transcript PDF:

1. :func:`verifier.pdf.verify_pdf` with the configured trust roots (every signature, incremental
   updates, chains, revocation, timestamps);
2. the signer policy of our transcripts: exactly the three issuing signatures (``GVCN``,
   ``HieuTruong``, ``DauTruong``), all trusted — an extra or untrusted signature on one of our
   credentials is FAILED/SIG_CONSTRAINTS_FAILURE;
3. the embedded ``hocba-record.json``: present once, its RFC 8785 SHA-256 equal to the register's
   ``record_sha256`` for its credential id (RECORD_MISMATCH otherwise; NOT_IN_LEDGER when the id is
   not in our register). It comes from the same guarded parse as the signatures (step 1), under the
   same limits and deadline (:mod:`credential_service.verification.uploads`): the upload is never
   read by a second, unguarded reader;
4. the printed fields: the QR code printed on page 1 is read back (``pdftoppm`` + zxing-cpp), its
   signed payload verified against our QR key list, and its fields and record hash compared with
   the embedded record (QR_MISMATCH). The visible text layer is not compared: it is covered by the
   signatures, and the signed QR carries the same printed fields. Without ``pdftoppm`` the step is
   skipped with a warning. A page too large or too heavy to render, or an image that cannot be
   decoded, is FAILED/FORMAT_FAILURE (:mod:`verifier.qr_image`); a render still running at the
   upload's deadline (step 1's, extended by the render time limit) is INDETERMINATE/GENERIC (out of
   time proves nothing about the file);
5. the ledger: the credential's latest entry has a valid RFC 9162 inclusion proof against the latest
   checkpoint, whose signature is verified with the log key, and the entry's salted commitment opens
   to the register's record hash (NOT_IN_LEDGER otherwise);
6. the current status (:meth:`credential_status`): ``valid``; ``superseded`` (a ``corrected`` or
   ``reissued`` entry amends this credential's entry: which version replaces it and by which
   decision — FAILED/SUPERSEDED); ``revoked`` (a ``revoked`` entry: date and reason —
   FAILED/REVOKED); ``not_issued`` (in the register but not issued).

Only ``issued`` entries exist today; later issues add the others to the same log and this module
already reads them (``decision``, ``reason``, ``replaced_by`` keys of the leaf, when present).

The result is the PDF report (``VerificationReport.to_dict()``) with the overall verdict replaced
by the worst of all steps, plus ``credential``, ``checks`` and ``qr``.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from credential_service.diplomas.tables import Diploma, DiplomaDecision
from credential_service.ledger.service import LedgerService
from credential_service.ledger.storage import commitment
from credential_service.ledger.tables import LedgerCheckpoint, LedgerEntry
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, InvalidInput, NotFound
from credential_service.platform.errors import Message as SMessage
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import Transcript
from credential_service.verification.uploads import (
    ATTACHMENT_NAME,
    DIPLOMA_ATTACHMENT_NAME,
    MAX_RECORD_BYTES,
    MAX_UPLOAD,
    RECORD_ATTACHMENTS,
    RECORD_REQUEST,
    embedded_record,
    embedded_records,
    printed_qr_texts,
)
from verifier.checkpoint import open_checkpoint
from verifier.errors import VerifierError
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.pdf import Deadline, VerificationPolicy, examine_pdf
from verifier.pdf_contents import PageInfo
from verifier.qr import QrKeyList, QrReport, compare_with_record, verify_qr
from verifier.qr_image import DEFAULT_RENDER_LIMITS, RenderLimits
from verifier.report import FAILED, INDETERMINATE, PASSED, Message, VerificationReport, explain

log = logging.getLogger(__name__)

ISSUING_FIELDS = ("GVCN", "HieuTruong", "DauTruong")
# The signature fields each kind of credential is issued with, in order.
_RECORD_ENTRY_KINDS = ("issued", "imported", "corrected", "reissued")
_STATUS_CACHE_SIZE = 10_000
ISSUING_FIELDS_BY_SCHEMA = {"hocba/1": ISSUING_FIELDS, "vanbang/1": ("HieuTruong", "DauTruong")}

Status = Literal["valid", "superseded", "revoked", "not_issued", "unknown"]

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "valid": ("Hợp lệ — đã được nhà trường ký số và phát hành", "Valid — signed and issued by the school"),
    "superseded": ("Đã được đính chính và thay bằng bản mới", "Corrected and replaced by a newer version"),
    "revoked": ("Đã bị thu hồi", "Revoked"),
    "not_issued": ("Chưa được phát hành", "Not issued yet"),
    "unknown": ("Không có trong sổ gốc", "Not in the register"),
}

_OWN: dict[str, tuple[str, str]] = {
    "NOT_IN_LEDGER": (
        "Học bạ này không có (hoặc chưa được công bố) trong sổ gốc số của Sở GDĐT Hải Phòng. "
        "Không chấp nhận; hãy liên hệ nhà trường đã cấp.",
        "This transcript is not (or not yet published) in the Hải Phòng Department of Education's "
        "register. Do not accept it; contact the issuing school.",
    ),
    "SUPERSEDED": (
        "Học bạ này đã được đính chính và thay bằng một bản mới; bản bạn có không còn giá trị. "
        "Hãy đề nghị người nộp xuất trình bản mới.",
        "This transcript was corrected and replaced by a newer version; the copy you have is no longer "
        "valid. Ask the holder for the new version.",
    ),
    "RECORD_MISMATCH": (
        "Dữ liệu học bạ gắn trong tệp không khớp với sổ gốc (bị thay, bị xóa hoặc bị sửa). Không chấp nhận tài "
        "liệu này; hãy báo nhà trường hoặc Sở GDĐT.",
        "The transcript data embedded in the file does not match the register (replaced, removed or "
        "altered). Do not accept this document; report it to the school or the Department.",
    ),
    "QR_MISMATCH": (
        "Mã QR in trên học bạ không khớp với học bạ này (mã của văn bằng khác hoặc thông tin khác). "
        "Không chấp nhận; hãy báo nhà trường hoặc Sở GDĐT.",
        "The QR code printed on the transcript does not belong to it (another credential's code or "
        "different details). Do not accept it; report it to the school or the Department.",
    ),
    "KEY_COMPROMISED": (
        "Một chữ ký trên tài liệu được tạo bằng khóa đã bị lộ và không có dấu thời gian chứng minh nó được ký "
        "trước thời điểm đó. Hãy đề nghị người nộp xuất trình bản đã được nhà trường đóng dấu lại.",
        "A signature on this document was made with a key declared compromised, and no timestamp proves it "
        "was made before then. Ask the holder for the copy the school re-sealed.",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "Tài liệu có chữ ký không thuộc quy trình phát hành (chữ ký thêm hoặc không được tin cậy). "
        "Không chấp nhận bản này; hãy xin bản gốc từ nhà trường.",
        "The document carries a signature that is not part of the issuance (an extra or untrusted "
        "signature). Do not accept this copy; ask the school for the original.",
    ),
    "REVOKED": (
        "Học bạ này đã bị thu hồi. Không chấp nhận.",
        "This transcript has been revoked. Do not accept it.",
    ),
    "PASSED": (
        "Học bạ số hợp lệ: chữ ký số đúng, dữ liệu khớp sổ gốc, đã được công bố trong sổ cái và còn hiệu lực.",
        "The transcript is valid: the signatures verify, the data matches the register, it is published "
        "in the ledger and still in force.",
    ),
}


def message_for(indication: str, sub_indication: str | None) -> Message:
    key = sub_indication or (indication if indication == PASSED else None)
    if key in _OWN:
        vi, en = _OWN[key]
        return Message(vi, en, key)
    return explain(indication, sub_indication)


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class LedgerCheck:
    included: bool = False
    index: int | None = None
    checkpoint_size: int | None = None
    root_hash: str | None = None
    error: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "included": self.included,
            "index": self.index,
            "checkpoint_size": self.checkpoint_size,
            "root_hash": self.root_hash,
            "error": self.error.to_dict() if self.error else None,
        }


@dataclass
class CredentialStatus:
    id: str
    status: Status
    register_status: str | None = None
    version: int | None = None
    issued_at: str | None = None
    record_sha256: str | None = None
    superseded_by: str | None = None
    decision: str | None = None
    revoked_at: str | None = None
    reason: str | None = None
    ledger: LedgerCheck = field(default_factory=LedgerCheck)

    @property
    def label(self) -> Message:
        vi, en = STATUS_LABELS[self.status]
        return Message(vi, en, self.status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "status_label": self.label.to_dict(),
            "register_status": self.register_status,
            "version": self.version,
            "issued_at": self.issued_at,
            "record_sha256": self.record_sha256,
            "superseded_by": self.superseded_by,
            "decision": self.decision,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
            "ledger": self.ledger.to_dict(),
        }


@dataclass
class Check:
    name: str
    indication: str
    sub_indication: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": message_for(self.indication, self.sub_indication).to_dict(),
            "detail": self.detail,
        }


@dataclass
class CredentialVerification:
    pdf: VerificationReport
    indication: str
    sub_indication: str | None
    checks: list[Check]
    credential: CredentialStatus | None = None
    qr: QrReport | None = None
    record: dict[str, Any] | None = None
    identical_to_issued: bool | None = None
    warnings: list[Message] = field(default_factory=list)

    @property
    def message(self) -> Message:
        return message_for(self.indication, self.sub_indication)

    def to_dict(self) -> dict[str, Any]:
        d = self.pdf.to_dict()
        d["pdf"] = {"indication": d["indication"], "sub_indication": d["sub_indication"], "message": d["message"]}
        d["indication"] = self.indication
        d["sub_indication"] = self.sub_indication
        d["message"] = self.message.to_dict()
        d["warnings"] = [*d["warnings"], *(w.to_dict() for w in self.warnings)]
        d["checks"] = [c.to_dict() for c in self.checks]
        d["credential"] = self.credential.to_dict() if self.credential else None
        d["qr"] = self.qr.to_dict() if self.qr else None
        d["identical_to_issued"] = self.identical_to_issued
        return d


# --------------------------------------------------------------------------------------------------
# helpers


def _load_trust(settings: Settings) -> list[Any]:
    from pyhanko.keys import load_cert_from_pemder

    paths: Sequence[Path] = settings.trust_roots
    if not paths and settings.is_dev:
        paths = [settings.keys_dir / "out" / "root.cert.pem"]
    if not paths:
        raise ConfigurationError(
            SMessage("Chưa cấu hình chứng thư gốc tin cậy (SOGOC_TRUST_ROOTS).", "No trust roots configured.")
        )
    return [load_cert_from_pemder(str(p)) for p in paths]


# --------------------------------------------------------------------------------------------------
# the service


class VerificationService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        ledger: LedgerService,
        trust: Sequence[Any],
        qr_keys: QrKeyList,
        *,
        policy: VerificationPolicy | None = None,
        read_printed_qr: bool = True,
        render_limits: RenderLimits = DEFAULT_RENDER_LIMITS,
    ) -> None:
        self.db = db
        self.settings = settings
        self.ledger = ledger
        self.trust = list(trust)
        self.qr_keys = qr_keys
        self.policy = policy or VerificationPolicy(max_file_size=MAX_UPLOAD)
        self.read_printed_qr = read_printed_qr
        self.render_limits = render_limits
        # credential id -> (register state it was computed at, status); see credential_status
        self._status_cache: OrderedDict[str, tuple[tuple[int | None, int | None], CredentialStatus]] = OrderedDict()
        self._status_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, db: Database, settings: Settings, ledger: LedgerService | None = None, *, clock: Clock | None = None
    ) -> VerificationService:
        assert settings.qr_key_list_path is not None
        try:
            keys = QrKeyList.load(settings.qr_key_list_path)
        except (OSError, VerifierError) as e:
            raise ConfigurationError(
                SMessage(
                    f"Không đọc được danh sách khóa mã QR {settings.qr_key_list_path}: {e}",
                    f"Cannot read the QR key list {settings.qr_key_list_path}: {e}",
                )
            ) from e
        ledger = ledger or LedgerService.from_settings(db, settings, clock=clock)
        return cls(db, settings, ledger, _load_trust(settings), keys)

    def key_list(self) -> dict[str, Any]:
        return self.qr_keys.to_dict()

    # -- status -----------------------------------------------------------------------------
    def credential_status(self, credential_id: str) -> CredentialStatus:
        """Current status of a credential, with its ledger inclusion checked against the latest checkpoint.

        Every change of status (issue, correction, revocation, reissue) appends to the ledger and a new
        checkpoint follows, so the pair (ledger size, latest checkpoint) stamps the register's state: a
        status computed at the same stamp is still the answer, and is served from memory.
        """
        with self.db.reader() as session:
            stamp = self._register_stamp(session)
        with self._status_lock:
            hit = self._status_cache.get(credential_id)
            if hit is not None and hit[0] == stamp:
                self._status_cache.move_to_end(credential_id)
                return copy.deepcopy(hit[1])
        status = self._credential_status(credential_id)
        with self._status_lock:
            self._status_cache[credential_id] = (stamp, copy.deepcopy(status))
            while len(self._status_cache) > _STATUS_CACHE_SIZE:
                self._status_cache.popitem(last=False)
        return status

    @staticmethod
    def _register_stamp(session: Any) -> tuple[int | None, int | None]:
        row = session.execute(
            select(
                select(func.max(LedgerEntry.seq)).scalar_subquery(),
                select(func.max(LedgerCheckpoint.size)).scalar_subquery(),
            )
        ).one()
        return (row[0], row[1])

    def _credential_status(self, credential_id: str) -> CredentialStatus:
        with self.db.reader() as session:
            row = session.execute(
                select(
                    Transcript.status,
                    Transcript.version,
                    Transcript.issued_at,
                    Transcript.record_sha256,
                    Transcript.salt,
                ).where(Transcript.id == credential_id)
            ).first()
            diploma = None
            if row is None:  # not a transcript: perhaps a diploma (văn bằng)
                diploma = session.execute(
                    select(
                        Diploma.status, Diploma.version, Diploma.created_at, Diploma.record_sha256, Diploma.salt
                    ).where(Diploma.id == credential_id)
                ).first()
                row = diploma
            if row is None:
                raise NotFound(
                    SMessage(
                        f"Không có học bạ số hay văn bằng mã {credential_id} trong sổ gốc.",
                        f"No transcript or diploma with id {credential_id} is in the register.",
                    ),
                    credential_id=credential_id,
                )
            register_status, version, issued_at, record_sha256, salt = row
            last_decision = (
                session.execute(
                    select(DiplomaDecision)
                    .where(DiplomaDecision.diploma_id == credential_id)
                    .order_by(DiplomaDecision.ledger_seq.desc())
                )
                .scalars()
                .first()
                if diploma is not None
                else None
            )
            entries = list(
                session.execute(
                    select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.leaf)
                    .where(LedgerEntry.credential_id == credential_id)
                    .order_by(LedgerEntry.seq)
                ).all()
            )
            amendments = (
                list(
                    session.execute(
                        select(LedgerEntry.kind, LedgerEntry.credential_id, LedgerEntry.leaf, LedgerEntry.created_at)
                        .where(LedgerEntry.amends_seq.in_([e.seq for e in entries]))
                        .order_by(LedgerEntry.seq)
                    ).all()
                )
                if entries
                else []
            )
        st = CredentialStatus(
            id=credential_id,
            status="valid",
            register_status=register_status,
            version=version,
            issued_at=issued_at.isoformat() if issued_at else None,
            record_sha256=record_sha256,
        )
        own_revocations = [e for e in entries if e.kind == "revoked"]
        if own_revocations or any(a.kind == "revoked" for a in amendments):
            leaf = _leaf(
                own_revocations[-1].leaf if own_revocations else next(a.leaf for a in amendments if a.kind == "revoked")
            )
            st.status, st.revoked_at, st.reason = "revoked", leaf.get("time"), leaf.get("reason")
            st.decision = leaf.get("decision")
        elif any(a.kind in ("corrected", "reissued") for a in amendments):
            a = [a for a in amendments if a.kind in ("corrected", "reissued")][-1]
            leaf = _leaf(a.leaf)
            st.status = "superseded"
            st.superseded_by = leaf.get("replaced_by") or (
                a.credential_id if a.credential_id != credential_id else None
            )
            st.decision = leaf.get("decision")
        elif register_status != "issued" or not entries:
            st.status = "not_issued"
        if diploma is not None:
            # A diploma's register row is authoritative for its lifecycle and carries the decision.
            if register_status in ("revoked", "cancelled"):
                st.status = "revoked"
            elif register_status in ("corrected", "reissued"):
                st.status = "superseded"
            elif register_status == "issued" and entries:
                st.status = "valid"
            if last_decision is not None and st.status != "valid":
                st.decision = f"{last_decision.decision_no} ({last_decision.decision_date:%d/%m/%Y})"
                st.reason = last_decision.reason or last_decision.ground
                if st.status == "revoked":
                    st.revoked_at = last_decision.decision_date.isoformat()
                if st.status == "superseded":
                    st.superseded_by = last_decision.new_diploma_id or st.superseded_by
        # The entry that commits to this record (issued, imported, corrected or reissued); a later
        # revocation entry commits to the decision, not to the record.
        record_entry = next((e for e in entries if e.kind in _RECORD_ENTRY_KINDS), entries[0] if entries else None)
        st.ledger = (
            self._ledger_check(credential_id, record_sha256, salt, record_entry.seq)
            if record_entry is not None
            else LedgerCheck(error=Message(*_OWN["NOT_IN_LEDGER"], code="NOT_IN_LEDGER"))
        )
        return st

    def _ledger_check(self, credential_id: str, record_sha256: str, salt: str, seq: int) -> LedgerCheck:
        try:
            proof = self.ledger.inclusion_proof(seq)
            note = proof.get("checkpoint")
            if not note:
                raise VerifierError("Không có checkpoint đã ký.", "No signed checkpoint.")
            cp = open_checkpoint(note, [self.ledger.verifier], self.ledger.origin)
            leaf = base64.b64decode(proof["leaf"])
            verify_inclusion(
                leaf_hash(leaf), proof["index"], cp.size, [bytes.fromhex(h) for h in proof["proof"]], cp.root_hash
            )
            doc = json.loads(leaf)
            if doc.get("credential_id") != credential_id or doc.get("commitment") != commitment(salt, record_sha256):
                raise VerifierError(
                    "Mục sổ cái không cam kết đúng bản ghi của học bạ này.",
                    "The ledger entry does not commit to this transcript's record.",
                )
        except NotFound as e:
            return LedgerCheck(error=Message(e.message.vi, e.message.en, "NOT_IN_LEDGER"))
        except (VerifierError, ValueError, KeyError) as e:
            vi, en = (e.vi, e.en) if isinstance(e, VerifierError) else (str(e), str(e))
            return LedgerCheck(error=Message(vi, en, "NOT_IN_LEDGER"))
        return LedgerCheck(True, proof["index"], cp.size, cp.root_hash.hex())

    # -- QR text (the paper's QR, scanned) ----------------------------------------------------
    def verify_qr_text(self, text: str, *, at: datetime | None = None) -> tuple[QrReport, CredentialStatus | None]:
        """Verify a scanned QR offline-style, then compare it with the register's record and status."""
        try:
            report = verify_qr(text, self.qr_keys, at=at)
        except Exception as e:  # a decoder error the payload checks did not foresee: a verdict, not a 500
            log.info("QR text not decodable: %r", e)
            report = QrReport(FAILED, "FORMAT_FAILURE", detail=f"the code cannot be decoded ({type(e).__name__})")
        status = None
        if report.claims is not None and report.indication == PASSED:
            try:
                status = self.credential_status(report.claims.credential_id)
                record_json = self.record_json(report.claims.credential_id)
                compare_with_record(report, json.loads(record_json), status.record_sha256)
            except NotFound:
                report.indication, report.sub_indication = FAILED, "QR_MISMATCH"
                report.detail = "the credential id is not in the register"
        return report, status

    def record_json(self, credential_id: str) -> str:
        with self.db.reader() as session:
            rec = session.execute(select(Transcript.record_json).where(Transcript.id == credential_id)).scalar()
        if rec is None:
            raise NotFound(SMessage(f"Không có học bạ số mã {credential_id}.", f"No transcript {credential_id}."))
        return rec

    # -- PDF --------------------------------------------------------------------------------
    def verify_pdf(self, data: bytes, *, at: datetime | None = None) -> CredentialVerification:
        if len(data) > self.policy.max_file_size:
            raise InvalidInput(
                SMessage(
                    f"Tệp quá lớn ({len(data):,} byte; tối đa {self.policy.max_file_size:,} byte).",
                    f"File too large ({len(data):,} bytes; at most {self.policy.max_file_size:,} bytes).",
                )
            )
        # Every read of the upload runs against one deadline: the parse (signatures, embedded record,
        # page 1's geometry, all from one guarded reader) has policy.time_limit, and rendering page 1
        # for its printed QR has what is left plus render_limits.time_limit (see _printed_qr).
        exam = examine_pdf(data, trust=self.trust, at=at, policy=self.policy, contents=RECORD_REQUEST)
        pdf = exam.report
        checks: list[Check] = [Check("signatures", pdf.indication, pdf.sub_indication)]
        result = CredentialVerification(pdf, pdf.indication, pdf.sub_indication, checks)
        if pdf.document != "signed":
            return result

        # embedded record
        embedded = embedded_record(exam.contents)
        record = embedded.record
        if record is None or embedded.digest is None:
            checks.append(Check("record", FAILED, "RECORD_MISMATCH", embedded.detail))
            return self._finish(result)
        result.record = record
        cid = record["credential_id"]

        # register status, ledger
        try:
            status = self.credential_status(cid)
        except NotFound:
            checks.append(Check("register", FAILED, "NOT_IN_LEDGER", f"credential {cid} is not in the register"))
            return self._finish(result)
        result.credential = status

        # signer policy for our credentials
        schema = record.get("schema")
        expected = ISSUING_FIELDS_BY_SCHEMA.get(schema if isinstance(schema, str) else "", ISSUING_FIELDS)
        fields = [s.field for s in pdf.signatures if s.kind == "signature"]
        extra = [f for f in fields if f not in expected]
        untrusted = [s.field for s in pdf.signatures if not s.trusted]
        if extra or (untrusted and len(untrusted) < len(pdf.signatures)) or fields[: len(expected)] != list(expected):
            detail = f"signatures {fields}; extra {extra}; untrusted {untrusted}"
            checks.append(Check("signers", FAILED, "SIG_CONSTRAINTS_FAILURE", detail))
        else:
            checks.append(Check("signers", PASSED))

        # signatures made with a key declared compromised, not proven (by a timestamp) to predate it
        from credential_service.signers.compromised_keys import compromised_signatures

        with self.db.reader() as session:
            flagged = compromised_signatures(session, pdf)
        if flagged:
            detail = ", ".join(f"{f['field']} (compromised since {f['compromised_at']})" for f in flagged)
            checks.append(Check("signing_keys", FAILED, "KEY_COMPROMISED", detail))

        digest = embedded.digest
        if digest != status.record_sha256:
            checks.append(Check("record", FAILED, "RECORD_MISMATCH", "embedded record hash differs from the register"))
        elif embedded.raw != embedded.canonical:
            checks.append(Check("record", FAILED, "RECORD_MISMATCH", "embedded record is not the canonical bytes"))
        else:
            checks.append(Check("record", PASSED))
        with self.db.reader() as session:
            pdf_sha = session.execute(select(Transcript.pdf_sha256).where(Transcript.id == cid)).scalar()
            if pdf_sha is None:
                pdf_sha = session.execute(select(Diploma.pdf_sha256).where(Diploma.id == cid)).scalar()
        result.identical_to_issued = pdf.sha256 == pdf_sha

        # printed QR
        # (diplomas print the verify address only: their QR carries no signed offline payload yet)
        if self.read_printed_qr and schema == "hocba/1":
            page = exam.contents.first_page if exam.contents is not None else None
            upload_deadline = Deadline(exam.deadline.at + self.render_limits.time_limit)
            self._printed_qr(data, record, digest, result, page, upload_deadline)

        # ledger and status
        if status.ledger.included:
            checks.append(Check("ledger", PASSED))
        else:
            err = status.ledger.error
            checks.append(Check("ledger", FAILED, "NOT_IN_LEDGER", err.en if err else None))
        sub = {"valid": None, "superseded": "SUPERSEDED", "revoked": "REVOKED", "not_issued": "NOT_IN_LEDGER"}.get(
            status.status, "NOT_IN_LEDGER"
        )
        checks.append(Check("status", PASSED if sub is None else FAILED, sub, status.status))
        return self._finish(result)

    def _printed_qr(
        self,
        data: bytes,
        record: dict[str, Any],
        digest: str,
        result: CredentialVerification,
        page: PageInfo | None,
        deadline: Deadline,
    ) -> None:
        printed = printed_qr_texts(data, page, deadline, self.render_limits)
        result.warnings.extend([printed.warning] if printed.warning else [])
        if printed.texts is None:  # a hostile page, out of time, or no QR reader installed (a warning only)
            if printed.indication is not None:
                result.checks.append(Check("qr", printed.indication, printed.sub_indication, printed.detail))
            return
        texts = printed.texts
        ours = [t for t in texts if "#HB" in t or t.startswith("HB")]
        if not ours:
            result.checks.append(Check("qr", FAILED, "QR_MISMATCH", f"no signed QR payload on page 1 ({len(texts)})"))
            return
        try:
            report = compare_with_record(verify_qr(ours[0], self.qr_keys), record, digest)
        except Exception as e:  # a record without the printed fields of hocba/1: any decoder error is a verdict
            detail = f"the embedded record's printed fields cannot be read ({type(e).__name__})"
            result.checks.append(Check("qr", FAILED, "QR_MISMATCH", detail))
            return
        if report.url_credential_id and report.url_credential_id != record["credential_id"]:
            report.indication, report.sub_indication = FAILED, "QR_MISMATCH"
        result.qr = report
        if report.indication == PASSED:
            result.checks.append(Check("qr", PASSED))
        else:
            result.checks.append(Check("qr", FAILED, "QR_MISMATCH", report.sub_indication))

    @staticmethod
    def _finish(result: CredentialVerification) -> CredentialVerification:
        """Overall verdict: a failed signature check first, then the first failed credential check, then
        an indeterminate signature check, then the first indeterminate credential check."""
        pdf = result.pdf
        failed = [c for c in result.checks[1:] if c.indication == FAILED]
        undetermined = [c for c in result.checks[1:] if c.indication == INDETERMINATE]
        if pdf.indication == FAILED:
            result.indication, result.sub_indication = FAILED, pdf.sub_indication
        elif failed:
            result.indication, result.sub_indication = FAILED, failed[0].sub_indication
        elif pdf.indication == INDETERMINATE:
            result.indication, result.sub_indication = INDETERMINATE, pdf.sub_indication
        elif undetermined:
            result.indication, result.sub_indication = INDETERMINATE, undetermined[0].sub_indication
        else:
            result.indication, result.sub_indication = PASSED, None
        return result


def _leaf(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(bytes(raw))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


__all__ = [  # the upload constants and embedded_records live in .uploads; importable from here too
    "ATTACHMENT_NAME",
    "DIPLOMA_ATTACHMENT_NAME",
    "MAX_RECORD_BYTES",
    "MAX_UPLOAD",
    "RECORD_ATTACHMENTS",
    "CredentialStatus",
    "CredentialVerification",
    "LedgerCheck",
    "VerificationService",
    "embedded_records",
]
