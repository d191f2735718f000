"""Rendering and signing transcript PDFs: the bridge between the service and the `signing` library.

Keys are loaded once per process and kept (``_signers``); the signing context (trust roots,
timestamper, appearance font) is built once. Each batch checks the signer's certificate once
(validity, key usage, chain, revocation) and keeps the result with every signing record.

A seal batch also checks the earlier signers' certificates once (their OCSP/CRL answers go into every
document's DSS from the batch's validation context), does pyHanko's pre-signing validation once
(``signing/batch.py``), and keeps a few seals in flight so that timestamp requests overlap signing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext

from credential_service.documents.batch_keys import (
    BatchAuthorization,
    batch_signer,
    needs_authorization,
    remote_certificate,
)
from credential_service.platform.canonical import sha256_hex
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.dev_key_guard import refuse_dev_certificate
from credential_service.platform.errors import ConfigurationError, Message, SigningRefused
from credential_service.platform.library_errors import from_library_error
from credential_service.platform.settings import PROJECT_ROOT, Settings
from credential_service.transcripts.render import render_transcript
from credential_service.transcripts.signing_profile import profile
from credential_service.transcripts.workflow import Step
from signing.aio import run_sync
from signing.batch import PresignCache
from signing.checks import CertificateCheck, async_check_signer_certificate
from signing.context import SigningContext, TsaSession
from signing.errors import SigningError
from signing.fields import FieldSpec, prepare_signature_fields
from signing.keys import load_file_signer
from signing.pades import async_sign_approve, async_sign_certify, async_sign_seal
from signing.pkcs11 import Pkcs11Config, get_pkcs11_signer
from signing.qr_payload import load_qr_signing_key, payload_for_record
from verifier import pdf_speedups as speedups

FONT_PATH = PROJECT_ROOT / "credential_service" / "assets" / "fonts" / "DejaVuSans.ttf"
LOCATION = "Hải Phòng, Việt Nam"
SEAL_PIPELINE = 4  # seals in flight per batch (their timestamp requests overlap the signing of others)


@dataclass(frozen=True)
class SignedStep:
    pdf: bytes
    certificate_serial: str
    certificate_subject: str
    checks: dict[str, Any]


def fetch_hosts(settings: Settings) -> frozenset[str]:
    """Where revocation data may be fetched from: the configured hosts, and the dev PKI's host in dev."""
    hosts = {h.lower() for h in settings.fetch_allowed_hosts}
    if settings.is_dev:
        hosts.add("127.0.0.1")
    return frozenset(hosts)


def refusal(error: SigningError) -> SigningRefused:
    """Translate the signing library's error into the service's hierarchy (a :class:`SigningRefused`).

    The one translation is :func:`credential_service.platform.library_errors.from_library_error`.
    """
    return from_library_error(error)


class DocumentFactory:
    def __init__(self, settings: Settings, context: SigningContext, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.context = context
        self.clock = clock or SystemClock()
        self._signers: dict[str, Signer] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> DocumentFactory:
        speedups.install()  # pyHanko's hex-string reader, same results, ~45 ms less per transcript
        if settings.trust_roots:
            context = SigningContext.build(
                trust_root_paths=settings.trust_roots,
                other_cert_paths=sorted((settings.keys_dir / "out").glob("issuing*.cert.pem")),
                tsa_url=settings.tsa_url,
                font_path=FONT_PATH,
                revocation_policy=settings.revocation_policy,
                cached_stamps=True,
            )
        elif settings.is_dev:
            context = SigningContext.for_dev(
                FONT_PATH, revocation_policy=settings.revocation_policy, cached_stamps=True
            )
        else:
            raise ConfigurationError(
                Message("Chưa cấu hình chứng thư gốc tin cậy (SOGOC_TRUST_ROOTS).", "No trust roots configured."),
            )
        context.fetch_allowed_hosts = fetch_hosts(settings)
        return cls(settings, context, clock=clock)

    # -- render ------------------------------------------------------------------------
    def render(self, record: Mapping[str, Any], record_json: bytes) -> bytes:
        """Render the PDF with its QR and embedded record, and add the three empty signature fields."""
        # The QR: online address + "#" + signed offline payload (key read once per process).
        assert self.settings.qr_key_path is not None
        payload = payload_for_record(record, sha256_hex(record_json), load_qr_signing_key(self.settings.qr_key_path))
        verify_url = f"{self.settings.verify_url(str(record['credential_id']))}#{payload}"
        rendered = render_transcript(record, verify_url=verify_url, record_json=record_json)
        fields = [
            FieldSpec(name=name, page=page, box=(x1, y1, x2, y2))
            for name, (page, x1, y1, x2, y2) in rendered.signature_boxes.items()
        ]
        return prepare_signature_fields(rendered.pdf, fields)

    # -- sign ----------------------------------------------------------------------------
    def signer(self, key_label: str) -> Signer:
        """The signer for a key label, loaded once per process.

        ``pkcs11:<token>/<key label>`` names a key inside an HSM or USB token (PKCS#11 module from
        ``SOGOC_PKCS11_MODULE``, PIN from ``SOGOC_PKCS11_PIN``); any other label is a key file in
        ``keys_dir`` — development only, refused in production.
        """
        signer = self._signers.get(key_label)
        if signer is None:
            signer = self._load_signer(key_label)
            self._refuse_dev_key(signer, key_label)
            self._signers[key_label] = signer
        return signer

    def _refuse_dev_key(self, signer: Signer, key_label: str) -> None:
        """Production: a key whose certificate carries a dev public key (keys/dev, e.g. loaded into a token)."""
        if not self.settings.is_dev and signer.signing_cert is not None:
            refuse_dev_certificate(signer.signing_cert.dump(), key_label)

    def certificate(self, key_label: str, authorization: BatchAuthorization | None = None) -> x509.Certificate:
        """The certificate of a key, without opening it (a remote credential needs no secret for this; a token
        opened with the signer's own PIN is closed again at once)."""
        if authorization and key_label.startswith("pkcs11:"):
            chain = [str(p) for p in sorted(Path(self.settings.keys_dir / "out").glob("issuing*.cert.pem"))]
            try:
                opened = batch_signer(self.settings, key_label, 0, authorization, chain)
            except SigningError as e:
                raise refusal(e) from e
            if opened is not None:
                try:
                    token_cert: x509.Certificate = opened.signer.signing_cert
                    return token_cert
                finally:
                    opened.close()
        if needs_authorization(key_label):
            chain = [str(p) for p in sorted(Path(self.settings.keys_dir / "out").glob("issuing*.cert.pem"))]
            try:
                return remote_certificate(self.settings, key_label, chain)
            except SigningError as e:
                raise refusal(e) from e
        cert: x509.Certificate = self.signer(key_label).signing_cert
        return cert

    def _load_signer(self, key_label: str) -> Signer:
        if needs_authorization(key_label):
            raise SigningRefused(
                Message(
                    "Khóa này chỉ ký khi người ký nhập mã PIN/OTP của mình cho từng lần ký.",
                    "This key signs only with its holder's own PIN/OTP for each batch.",
                ),
                reason="authorization_required",
            )
        if key_label.startswith("external:"):
            raise SigningRefused(
                Message(
                    "Người ký này giữ khóa trên máy của mình (USB token): hãy ký qua sogoc sign-agent "
                    "(chuẩn bị rồi hoàn tất ký tại …/sign/{bước}/external/prepare và …/external/complete).",
                    "This signer holds the key at their own computer (USB token): sign through sogoc sign-agent "
                    "(…/sign/{step}/external/prepare, then …/external/complete).",
                ),
                reason="external_signer",
            )
        keys_dir = self.settings.keys_dir
        chain = sorted(Path(keys_dir / "out").glob("issuing*.cert.pem"))
        if key_label.startswith("pkcs11:"):
            token, _, label = key_label.removeprefix("pkcs11:").partition("/")
            if not self.settings.pkcs11_module or not token or not label:
                raise ConfigurationError(
                    Message(
                        f"Khóa «{key_label}» nằm trong token PKCS#11 nhưng chưa cấu hình SOGOC_PKCS11_MODULE.",
                        f"Key «{key_label}» is in a PKCS#11 token but SOGOC_PKCS11_MODULE is not set.",
                    )
                )
            config = Pkcs11Config(
                module_path=self.settings.pkcs11_module,
                token_label=token,
                key_label=label,
                chain_paths=tuple(str(p) for p in chain),
            )
            try:
                return get_pkcs11_signer(config).pyhanko_signer()
            except SigningError as e:
                raise refusal(e) from e
        if not self.settings.is_dev:
            raise ConfigurationError(
                Message(
                    f"Khóa dạng tệp «{key_label}» chỉ dùng khi phát triển; môi trường production phải ký bằng "
                    "HSM/token (pkcs11:<token>/<nhãn khóa>).",
                    f"File key «{key_label}» is for development only; production signs with an HSM or token "
                    "(pkcs11:<token>/<key label>).",
                )
            )
        key_path = keys_dir / "keys" / f"{key_label}.key.pem"
        cert_path = keys_dir / "out" / f"{key_label}.cert.pem"
        if key_label.startswith("devca:"):  # issued at runtime by the dev CA (`sogoc keys issue`)
            from credential_service.signers.certificates import devca_paths
            from signing.devca import dev_ca_state_dir

            key_path, cert_path = devca_paths(key_label, dev_ca_state_dir(self.settings.database_url))
        if not key_path.exists() or not cert_path.exists():
            raise SigningRefused(
                Message(
                    f"Người ký «{key_label}» chưa có khóa và chứng thư số được đăng ký; chưa ký gì.",
                    f"Signer «{key_label}» has no registered key and certificate; nothing was signed.",
                ),
                hint=Message(
                    "Đề nghị quản trị Sở cấp hoặc nhập chứng thư số cho người này.",
                    "Ask the Sở administrator to issue or import a certificate for this person.",
                ),
                reason="no_signing_key",
            )
        return load_file_signer(key_path, cert_path, chain)

    def sign_many(
        self,
        step: Step,
        key_label: str,
        pdfs: Sequence[bytes],
        *,
        at: datetime | None = None,
        earlier_key_labels: Sequence[str] = (),
        authorization: BatchAuthorization | None = None,
    ) -> list[SignedStep]:
        """Sign every PDF for one step; the certificate is checked once, before anything is signed.

        The batch runs in one event loop with one validation context, so OCSP/CRL answers are
        fetched once per batch rather than once per document.
        """
        at = at or self.clock.now()
        chain = [str(p) for p in sorted(Path(self.settings.keys_dir / "out").glob("issuing*.cert.pem"))]
        try:
            opened = batch_signer(self.settings, key_label, len(pdfs), authorization, chain)
        except SigningError as e:
            raise refusal(e) from e
        signer = opened.signer if opened else self.signer(key_label)
        try:
            if opened:
                self._refuse_dev_key(signer, key_label)
            return self._sign_batch(step, signer, pdfs, at, earlier_key_labels)
        finally:
            if opened:
                opened.close()

    def _sign_batch(
        self, step: Step, signer: Signer, pdfs: Sequence[bytes], at: datetime, earlier_key_labels: Sequence[str]
    ) -> list[SignedStep]:
        cert: x509.Certificate = signer.signing_cert
        try:
            check = self.context.check_signer(cert, at=at).require_ok()
        except SigningError as e:
            raise refusal(e) from e
        checks = check.to_dict()
        subject = cert.subject.human_friendly
        serial = format(cert.serial_number, "x")
        earlier = [self.certificate(label) for label in earlier_key_labels]

        async def batch() -> list[bytes]:
            vc = self.context.validation_context()
            # one HTTP session to the TSA for the whole batch (pyHanko opens one per request otherwise)
            tsa_session = TsaSession()
            timestamper = (
                HTTPTimeStamper(self.context.tsa_url, timeout=10, session=tsa_session) if self.context.tsa_url else None
            )
            presign = PresignCache(vc, timestamper)
            try:
                if profile(step).kind == "seal":
                    # the earlier signers' OCSP/CRL answers are collected into the batch's context once (they go
                    # into every document's DSS from there), not re-validated for each document
                    for cert in earlier:
                        await async_check_signer_certificate(cert, validation_context=vc)
                if profile(step).kind != "seal" or len(pdfs) < 2:
                    return [
                        await self._sign_one(step, pdf, signer, check, vc, earlier, timestamper, presign)
                        for pdf in pdfs
                    ]
                # the seal waits on the TSA: keep a few documents in flight so that one's request overlaps
                # another's signing (same results, same order; the first error cancels the rest)
                gate = asyncio.Semaphore(SEAL_PIPELINE)

                async def one(pdf: bytes) -> bytes:
                    async with gate:
                        return await self._sign_one(step, pdf, signer, check, vc, earlier, timestamper, presign)

                first = await one(pdfs[0])  # fills the batch's caches (revocation answers, pre-signing paths)
                tasks = [asyncio.ensure_future(one(pdf)) for pdf in pdfs[1:]]
                try:
                    rest = await asyncio.gather(*tasks)
                except BaseException:
                    for t in tasks:
                        t.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    raise  # the first error, as it was (a SigningError stays one)
                return [first, *rest]
            finally:
                await vc.aclose()
                await tsa_session.close()

        try:
            signed = run_sync(batch())
        except SigningError as e:
            raise refusal(e) from e
        return [SignedStep(pdf, serial, subject, checks) for pdf in signed]

    async def _sign_one(
        self,
        step: Step,
        pdf: bytes,
        signer: Signer,
        check: CertificateCheck,
        vc: ValidationContext,
        earlier: list[x509.Certificate],
        timestamper: HTTPTimeStamper | None,
        presign: PresignCache | None = None,
    ) -> bytes:
        p = profile(step)
        field = p.field
        common: dict[str, Any] = {
            "reason": p.reason,
            "location": LOCATION,
            "appearance": self.context.appearance,
            "precheck": check,
        }
        if p.kind == "certify":
            assert p.docmdp is not None
            return await async_sign_certify(pdf, field, signer, docmdp=MDPPerm(p.docmdp), **common)
        if p.kind == "approve":
            return await async_sign_approve(pdf, field, signer, **common)
        # the seal: timestamped, with the validation data of every signer (profile: timestamped, ltv)
        if timestamper is None:
            raise ConfigurationError(Message("Chưa cấu hình máy chủ dấu thời gian (TSA).", "No TSA configured."))
        return await async_sign_seal(
            pdf,
            field,
            signer,
            timestamper=timestamper,
            validation_context=vc,
            earlier_signer_certs=earlier or None,
            include_earlier_signers=not earlier,  # with the earlier signers named, checked once per batch above
            presign_cache=presign,
            **common,
        )
