"""PKCS#11 on SoftHSM2: key generated in the token, dev-CA certificate, three-step signing."""

from __future__ import annotations

from io import BytesIO

import pytest
from backend_fixtures import CHAIN, ROOT_CERT, TOKEN_KEY_LABEL, Token
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.context import SigningContext
from signing.errors import Pkcs11Error
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL
from signing.keys import SignerPort, load_file_signer
from signing.pades import sign_approve, sign_certify, sign_seal
from signing.pkcs11 import Pkcs11Config, close_all, get_pkcs11_signer, open_session

DEV = CHAIN[0].parent


def _config(token: Token, **kw: object) -> Pkcs11Config:
    return Pkcs11Config(
        module_path=token.module,
        token_label=token.label,
        key_label=TOKEN_KEY_LABEL,
        pin=token.pin,
        chain_paths=tuple(str(p) for p in CHAIN),
        **kw,  # type: ignore[arg-type]
    )


def test_key_was_generated_inside_the_token_and_cannot_leave(softhsm_token: Token) -> None:
    from pkcs11 import Attribute, ObjectClass

    session = open_session(softhsm_token.module, softhsm_token.label, softhsm_token.pin)
    try:
        (key,) = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: TOKEN_KEY_LABEL})
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.LOCAL] is True  # generated on the token, not imported
        (cert_obj,) = session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: TOKEN_KEY_LABEL})
        assert bytes(cert_obj[Attribute.VALUE]) == load_cert_from_pemder(str(softhsm_token.cert_path)).dump()
    finally:
        session.close()
    cert = load_cert_from_pemder(str(softhsm_token.cert_path))
    assert cert.issuer.native["common_name"] == "Sổ Gốc Số DEV Issuing CA"
    assert cert.subject.native["common_name"] == "Đỗ Thị Token"
    assert set(cert.key_usage_value.native) == {"digital_signature", "non_repudiation"}


def test_signer_is_built_once_per_process(softhsm_token: Token) -> None:
    a = get_pkcs11_signer(_config(softhsm_token))
    b = get_pkcs11_signer(_config(softhsm_token))
    assert a is b and a.pyhanko_signer() is b.pyhanko_signer()
    assert isinstance(a, SignerPort)
    assert softhsm_token.pin not in repr(_config(softhsm_token))


def test_wrong_pin_is_a_bilingual_error_without_the_pin(softhsm_token: Token) -> None:
    close_all()  # no logged-in session left in this process: the token checks the PIN again
    with pytest.raises(Pkcs11Error) as e:
        open_session(softhsm_token.module, softhsm_token.label, "000000")
    assert e.value.reason == "pkcs11_pin_incorrect" and e.value.vi and e.value.en
    assert "000000" not in str(e.value)


def test_missing_pin_env_is_refused(softhsm_token: Token, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOGOC_TEST_NO_PIN", raising=False)
    cfg = Pkcs11Config(softhsm_token.module, softhsm_token.label, key_label="x", pin_env="SOGOC_TEST_NO_PIN")
    with pytest.raises(Pkcs11Error) as e:
        get_pkcs11_signer(cfg)
    assert e.value.reason == "pkcs11_pin_missing"


def test_three_steps_with_the_token_key_validate_against_dev_root(
    softhsm_token: Token, signing_ctx: SigningContext, prepared_pdf: bytes
) -> None:
    """The homeroom teacher certifies with the token key; principal and seal use dev file keys."""
    token_signer = get_pkcs11_signer(_config(softhsm_token)).pyhanko_signer()

    def file_signer(label: str) -> SignerPort:
        return load_file_signer(DEV.parent / "keys" / f"{label}.key.pem", DEV / f"{label}.cert.pem", CHAIN)

    certified = sign_certify(
        prepared_pdf,
        FIELD_GVCN,
        token_signer,
        reason="Xác nhận học bạ lớp 10A3",
        appearance=signing_ctx.appearance,
        validation_context=signing_ctx.validation_context(),
    )
    approved = sign_approve(
        certified,
        FIELD_PRINCIPAL,
        file_signer("principal").pyhanko_signer(),
        appearance=signing_ctx.appearance,
        validation_context=signing_ctx.validation_context(),
    )
    assert signing_ctx.timestamper is not None
    sealed = sign_seal(
        approved,
        FIELD_SEAL,
        file_signer("seal-thpt-demo").pyhanko_signer(),
        timestamper=signing_ctx.timestamper,
        validation_context=signing_ctx.validation_context(),
        appearance=signing_ctx.appearance,
    )
    reader = PdfFileReader(BytesIO(sealed))
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(ROOT_CERT))], allow_fetching=True)
    sigs = {s.field_name: s for s in reader.embedded_signatures}
    assert set(sigs) == {FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL}
    for name, sig in sigs.items():
        status = validate_pdf_signature(sig, vc)
        assert status.bottom_line, (name, status.pretty_print_details())
    gvcn = validate_pdf_signature(sigs[FIELD_GVCN], vc)
    assert gvcn.signing_cert.dump() == load_cert_from_pemder(str(softhsm_token.cert_path)).dump()
