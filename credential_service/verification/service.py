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
6. the current status (:meth:`credential_status`, :mod:`credential_service.verification.status`):
   ``valid``; ``superseded`` (a ``corrected`` or ``reissued`` entry amends this credential's entry:
   which version replaces it and by which decision — FAILED/SUPERSEDED); ``revoked`` (a ``revoked``
   entry: date and reason — FAILED/REVOKED); ``not_issued`` (in the register but not issued).

Only ``issued`` entries exist today; later issues add the others to the same log and this module
already reads them (``decision``, ``reason``, ``replaced_by`` keys of the leaf, when present).

The result is the PDF report (``VerificationReport.to_dict()``) with the overall verdict replaced
by the worst of all steps, plus ``credential``, ``checks`` and ``qr``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from credential_service.diplomas.tables import Diploma
from credential_service.ledger.service import LedgerService
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, InvalidInput, NotFound
from credential_service.platform.errors import Message as SMessage
from credential_service.platform.settings import Settings
from credential_service.transcripts.signing_profile import (
    AMENDMENT_FIELDS,
    ISSUING_FIELDS_BY_SCHEMA,
    TRANSCRIPT_FIELDS,
)
from credential_service.transcripts.tables import Transcript
from credential_service.verification.bundles import make_bundle, status_check, status_from_bundle
from credential_service.verification.results import (
    Check,
    CredentialStatus,
    CredentialVerification,
    overall_verdict,
)
from credential_service.verification.status import (
    Stamp,
    StatusCache,
    read_credential_status,
    register_stamp,
)
from credential_service.verification.uploads import MAX_UPLOAD, RECORD_REQUEST, embedded_record, printed_qr_texts
from verifier.bundle import Bundle
from verifier.errors import VerifierError
from verifier.pdf import Deadline, VerificationPolicy, examine_pdf
from verifier.pdf_contents import PageInfo
from verifier.qr import QrKeyList, QrReport, compare_with_record, verify_qr
from verifier.qr_image import DEFAULT_RENDER_LIMITS, RenderLimits
from verifier.report import FAILED, INDETERMINATE, PASSED

log = logging.getLogger(__name__)
R = TypeVar("R")


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
        self._statuses: StatusCache[CredentialStatus] = StatusCache()  # id -> (register state read at, status)
        self._records: StatusCache[str] = StatusCache()  # id -> (register state read at, record JSON)

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
        return self._from_fresh_reads(lambda: self._credential_status(credential_id, self._stamp()), lambda s: s)

    def status_and_record(self, credential_id: str) -> tuple[CredentialStatus, str]:
        """The status and the transcript's record JSON, read at one register stamp and served from memory at the
        same stamp (a record only changes with a ledger entry: a correction, a new version)."""

        def read() -> tuple[CredentialStatus, str]:
            stamp = self._stamp()
            status = self._credential_status(credential_id, stamp)
            record = self._records.get(credential_id, stamp)
            if record is None:
                record = self.record_json(credential_id)
                self._records.put(credential_id, stamp, record)
            return status, record

        return self._from_fresh_reads(read, lambda found: found[0])

    def _from_fresh_reads(self, read: Callable[[], R], status_of: Callable[[R], CredentialStatus]) -> R:
        """``read()``, from the read replica when there is one, and again from the primary unless "valid"."""
        if not self.db.has_replica:
            return read()
        # A read replica may lag a little: a credential issued a moment ago may not be there yet, or not yet be
        # issued there. Anything but "valid" is asked again of the primary (rare, and never said wrongly).
        try:
            found = read()
            if status_of(found).status == "valid":
                return found
        except NotFound:
            pass
        with self.db.primary_reads():
            return read()

    def _stamp(self) -> Stamp:
        with self.db.reader() as session:
            return register_stamp(session)

    def _credential_status(self, credential_id: str, stamp: Stamp) -> CredentialStatus:
        hit = self._statuses.get(credential_id, stamp)
        if hit is not None:
            return hit
        status = read_credential_status(self.db, self.ledger, credential_id)
        self._statuses.put(credential_id, stamp, status)
        return status

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
                status, record_json = self.status_and_record(report.claims.credential_id)
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
    def verify_pdf(
        self, data: bytes, *, at: datetime | None = None, bundle: Bundle | None = None, issuer_register: bool = True
    ) -> CredentialVerification:
        """Verify an uploaded PDF. With ``bundle`` (:mod:`verifier.bundle`) the ledger inclusion and the status
        come from it, checked against the pinned log keys, and the register is not read. Without it, a
        credential not in this register is NOT_IN_LEDGER when this register is the issuer's
        (``issuer_register``, the service) and INDETERMINATE/LEDGER_UNREACHABLE otherwise (the CLI on
        another machine)."""
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
            return overall_verdict(result)
        result.record = record
        cid = record["credential_id"]

        # register status, ledger: from the bundle when given (nothing local is read), else the register
        overrides: dict[str, Check] = {}
        if bundle is not None:
            status, overrides = status_from_bundle(
                bundle,
                cid,
                embedded.digest,
                origin=self.ledger.origin,
                verifiers=self._pinned_log_verifiers(),
                witnesses=self.ledger.witnesses,
            )
            result.ledger_source = {
                "source": "bundle",
                "checked_at": self.ledger.clock.now().isoformat(),
                "status_as_of": bundle.status.get("as_of"),
                "status_source": bundle.status.get("source"),
                "bundle_format": bundle.version,
                "status_signed": bundle.status_statement is not None,
            }
        else:
            try:
                status = self.credential_status(cid)
            except NotFound:
                if issuer_register:
                    detail = f"credential {cid} is not in the register"
                    checks.append(Check("register", FAILED, "NOT_IN_LEDGER", detail))
                else:  # a register that is not the issuer's proves nothing: we could not ask
                    detail = f"credential {cid} is not in this register and no verification bundle was given"
                    checks.append(Check("ledger", INDETERMINATE, "LEDGER_UNREACHABLE", detail))
                return overall_verdict(result)
            result.ledger_source = {"source": "register", "checked_at": self.ledger.clock.now().isoformat()}
        result.credential = status

        # signer policy for our credentials
        schema = record.get("schema")
        # the signatures its kind is issued with (the signing profiles); a record without a schema: a transcript's
        expected = ISSUING_FIELDS_BY_SCHEMA.get(schema if isinstance(schema, str) else "", TRANSCRIPT_FIELDS)
        if schema == "hocba/1" and record.get("amends"):  # a summer amendment: the principal and the seal
            expected = AMENDMENT_FIELDS
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
        if bundle is not None:  # the leaf's (proven by the inclusion proof), not the bundle's own field
            try:
                leaf = json.loads(bundle.leaf)
            except ValueError:
                leaf = None
            pdf_sha = leaf.get("pdf_sha256") if isinstance(leaf, dict) else None
        else:
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
        if "ledger" in overrides:  # a bundle's checkpoint without the witnesses' cosignatures yet
            checks.append(overrides["ledger"])
        elif status.ledger.included:
            checks.append(Check("ledger", PASSED))
        else:
            err = status.ledger.error
            checks.append(Check("ledger", FAILED, "NOT_IN_LEDGER", err.en if err else None))
        checks.append(status_check(status, overrides.get("status")))
        return overall_verdict(result)

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

    # -- verification bundles (offline evidence: verifier.bundle) ------------------------------
    def _pinned_log_verifiers(self) -> list[Any]:
        """Every log key this installation trusts (its trust list's log keys, with their history)."""
        return [v for v, _, _ in self.ledger.key_history] or [self.ledger.verifier]

    def bundle(self, credential_id: str) -> Bundle:
        """The verification bundle (format /2) of a credential: its record entry's inclusion proof against the
        latest signed checkpoint, the salt that opens the entry's commitment, and the status as of now, signed
        by the log key (:func:`credential_service.verification.bundles.make_bundle`)."""
        status = self.credential_status(credential_id)  # NotFound when not in the register
        return make_bundle(self.db, self.ledger, status, credential_id)

    def public_bundle(self, credential_id: str, record_sha256: str) -> Bundle:
        """The bundle, for whoever proves possession of the record (its SHA-256): the bundle carries the salt
        that opens the ledger's commitment. Not found (the ledger gives no proof) otherwise."""
        try:
            bundle = self.bundle(credential_id)
        except NotFound:
            bundle = None
        if bundle is None or bundle.record_sha256 != record_sha256.lower():
            raise NotFound(
                SMessage(
                    "Sổ cái không có mục nào cam kết bản ghi này.", "The ledger has no entry committing to this record."
                ),
                credential_id=credential_id,
            )
        return bundle
