"""The signed offline QR payload (HB1:): round trip, size, and every refusal, with no network."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import base45
import pytest
import rfc8785

from credential_service.platform.errors import ConfigurationError
from credential_service.platform.qr_code import make_qr
from credential_service.platform.settings import DEV_KEYS_DIR, Settings
from signing.qr_payload import QrSigningKey, build_payload, generate_qr_key, load_qr_signing_key, payload_for_record
from verifier.qr import (
    MAX_PAYLOAD_CHARS,
    PREFIX,
    QrKey,
    QrKeyList,
    claims_from_record,
    compare_with_printed,
    compare_with_record,
    decode_payload,
    read_qr_codes,
    verify_qr,
)

REPO = Path(__file__).resolve().parents[2]
PROD_URL = "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11"
DEV_KEY = REPO / "keys" / "dev" / "qr" / "qr.key"
DEV_LIST = REPO / "keys" / "dev" / "qr" / "keys.json"


def _record() -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(REPO / "tests" / "transcripts"))
    from hocba_fixture import RECORD

    return copy.deepcopy(RECORD)


def _sha(record: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(record)).hexdigest()


@pytest.fixture(scope="module")
def key() -> QrSigningKey:
    return load_qr_signing_key(DEV_KEY)


@pytest.fixture(scope="module")
def keys() -> QrKeyList:
    return QrKeyList.load(DEV_LIST)


def test_round_trip_and_the_qr_stays_at_version_13(key: QrSigningKey, keys: QrKeyList) -> None:
    record = _record()
    payload = payload_for_record(record, _sha(record), key)
    assert payload.startswith(PREFIX) and len(payload) <= MAX_PAYLOAD_CHARS
    assert payload == payload_for_record(record, _sha(record), key)  # deterministic
    qr = make_qr(f"{PROD_URL}#{payload}")
    assert qr.version <= 13 and qr.error == "M"
    report = verify_qr(f"{PROD_URL}#{payload}", keys)
    assert (report.indication, report.sub_indication) == ("PASSED", None), report.to_dict()
    assert report.kid == key.kid.hex() and report.alg == "EdDSA"
    claims = report.claims
    assert claims is not None
    assert claims.full_name == "Nguyễn Thị Hương" and claims.date_of_birth == "2010-03-14"
    assert claims.school == "Trường THPT Demo Hải Phòng" and claims.class_name == "10A1"
    assert claims.school_year == "2025-2026" and claims.learning_result == "Tốt" and claims.conduct == "Tốt"
    assert claims.record_sha256 == _sha(record) and claims.credential_id == record["credential_id"]
    compare_with_record(report, record)
    assert report.matches and report.indication == "PASSED"


def test_long_names_still_fit_with_the_school_shortened(key: QrSigningKey, keys: QrKeyList) -> None:
    record = _record()
    record["student"]["full_name"] = "Tôn Nữ Hoàng Ngọc Phương Quỳnh Như"
    record["school"]["name"] = "Trường THPT Nguyễn Bỉnh Khiêm - Vĩnh Bảo, huyện Vĩnh Bảo, thành phố Hải Phòng"
    payload = payload_for_record(record, _sha(record), key)
    assert len(payload) <= MAX_PAYLOAD_CHARS
    assert make_qr(f"{PROD_URL}#{payload}").version <= 13
    report = compare_with_record(verify_qr(payload, keys), record)
    assert report.indication == "PASSED", report.to_dict()
    assert report.claims is not None and report.claims.school.endswith("…")
    assert report.claims.full_name == record["student"]["full_name"]  # the name is never cut


def test_a_tampered_payload_is_refused(key: QrSigningKey, keys: QrKeyList) -> None:
    record = _record()
    claims = claims_from_record(record, _sha(record))
    good = build_payload(claims, key)
    # a changed claim re-encoded under the old signature
    import cbor2

    from verifier.qr import encode_cose_sign1, wrap

    decoded = decode_payload(good)
    forged_claims = claims.__class__(**{**claims.__dict__, "learning_result": "Tốt", "conduct": "Khá"})
    forged = wrap(
        encode_cose_sign1(decoded.protected, bytes(cbor2.dumps(forged_claims.to_cbor_items())), decoded.signature)
    )
    r = verify_qr(forged, keys)
    assert (r.indication, r.sub_indication) == ("FAILED", "SIG_CRYPTO_FAILURE")
    # garbage and a flipped Base45 character
    assert verify_qr("HB1:%%%%", keys).sub_indication == "FORMAT_FAILURE"
    assert verify_qr("hello", keys).sub_indication == "FORMAT_FAILURE"
    raw = bytearray(base45.b45decode(good[len(PREFIX) :]))
    raw[-5] ^= 0x01  # inside the signature
    flipped = PREFIX + base45.b45encode(bytes(raw)).decode()
    assert verify_qr(flipped, keys).indication == "FAILED"


def test_an_unknown_key_id_is_not_accepted(keys: QrKeyList) -> None:
    other, _ = generate_qr_key()
    record = _record()
    r = verify_qr(payload_for_record(record, _sha(record), other), keys)
    assert (r.indication, r.sub_indication) == ("INDETERMINATE", "NO_SIGNING_CERTIFICATE_FOUND")
    assert "sogoc-keys.json" in r.message.en


def test_expired_not_yet_valid_and_revoked_keys_are_refused(key: QrSigningKey) -> None:
    record = _record()  # issued 2026-05-30
    payload = payload_for_record(record, _sha(record), key)
    pub = key.private_key.public_key()

    def listed(**kw: Any) -> QrKeyList:
        return QrKeyList((QrKey.from_public_key(pub, **kw),))

    expired = listed(not_after=datetime(2026, 1, 1, tzinfo=UTC))
    assert verify_qr(payload, expired).sub_indication == "EXPIRED"
    early = listed(not_before=datetime(2026, 6, 1, tzinfo=UTC))
    assert verify_qr(payload, early).sub_indication == "NOT_YET_VALID"
    revoked = listed(status="revoked")
    assert verify_qr(payload, revoked).sub_indication == "REVOKED"
    retired = listed(not_before=datetime(2026, 1, 1, tzinfo=UTC), not_after=datetime(2026, 12, 31, tzinfo=UTC))
    assert verify_qr(payload, retired, at=datetime(2040, 1, 1, tzinfo=UTC)).indication == "PASSED"
    assert verify_qr(payload, listed(), at=datetime(2026, 1, 1, tzinfo=UTC)).sub_indication == "NOT_YET_VALID"


def test_a_payload_behind_another_credentials_link_and_a_different_paper(key: QrSigningKey, keys: QrKeyList) -> None:
    record = _record()
    payload = payload_for_record(record, _sha(record), key)
    other_link = "https://verify.sogoc.haiphong.edu.vn/v/11111111-2222-3333-4444-555555555555"
    r = verify_qr(f"{other_link}#{payload}", keys)
    assert (r.indication, r.sub_indication) == ("FAILED", "QR_MISMATCH")
    other_record = _record()
    other_record["student"]["full_name"] = "Phạm Văn Đồng"
    r = compare_with_record(verify_qr(payload, keys), other_record)
    assert r.sub_indication == "QR_MISMATCH"
    assert [c.field for c in r.checks if not c.ok] == ["full_name", "record_sha256"]
    paper = {"full_name": "nguyễn  thị hương", "date_of_birth": "14/03/2010", "class": "10A1"}
    assert compare_with_printed(verify_qr(payload, keys), paper).indication == "PASSED"
    assert compare_with_printed(verify_qr(payload, keys), {"conduct": "Khá"}).sub_indication == "QR_MISMATCH"


def test_the_key_list_refuses_a_kid_that_does_not_match_its_key() -> None:
    doc = QrKeyList.load(DEV_LIST).to_dict()
    doc["keys"][0]["kid"] = "00" * 8
    from verifier.qr import QrPayloadError

    with pytest.raises(QrPayloadError):
        QrKeyList.from_json(doc)


def test_reading_the_qr_back_from_an_image(key: QrSigningKey, keys: QrKeyList) -> None:
    record = _record()
    url = f"{PROD_URL}#{payload_for_record(record, _sha(record), key)}"
    png = make_qr(url).to_png(scale=4)
    assert read_qr_codes(png) == [url]
    assert verify_qr(read_qr_codes(png)[0], keys).indication == "PASSED"


def test_production_refuses_the_dev_qr_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="QR"):
        Settings(
            env="production",
            keys_dir=tmp_path,
            ledger_key_path=tmp_path / "log.key",
            qr_key_path=DEV_KEYS_DIR / "qr" / "qr.key",
        )
    s = Settings(env="production", keys_dir=tmp_path, trust_roots=[tmp_path / "r.pem"], ledger_key_path=tmp_path / "l")
    assert s.qr_key_path == tmp_path / "qr" / "qr.key"
    assert Settings(env="test").qr_key_path == DEV_KEYS_DIR / "qr" / "qr.key"


def test_the_qr_carries_the_conduct_after_summer_training_when_there_was_one() -> None:
    # TT22 Art. 13: conduct re-evaluated after summer training replaces the year's level on the printed record.
    record = _record()
    record["results"]["conduct"] = {"hk1": "Chưa đạt", "hk2": "Chưa đạt", "year": "Chưa đạt", "after_summer": "Đạt"}
    record["results"]["learning_result"] = {"year": "Chưa đạt", "after_reassessment": "Đạt"}
    claims = claims_from_record(record, _sha(record))
    assert (claims.learning_result, claims.conduct) == ("Đạt", "Đạt")
    # a record issued before the key was renamed still reads the same
    record["results"]["conduct"] = {"year": "Chưa đạt", "after_summer_training": "Đạt"}
    assert claims_from_record(record, _sha(record)).conduct == "Đạt"
    record["results"]["conduct"] = {"year": "Khá", "after_summer": None}
    assert claims_from_record(record, _sha(record)).conduct == "Khá"


def test_a_qr_printed_before_the_summer_key_fix_still_matches_its_record(key: QrSigningKey, keys: QrKeyList) -> None:
    # Issued QR codes carry the year's conduct (the signer read the old key); new ones the conduct after summer
    # training. Both are values of the same signed record, so both match it; any third value does not.
    record = _record()
    record["results"]["conduct"] = {"hk1": "Chưa đạt", "hk2": "Chưa đạt", "year": "Chưa đạt", "after_summer": "Đạt"}
    sha = _sha(record)
    new = claims_from_record(record, sha)
    old_style = new.__class__(**{**new.__dict__, "conduct": "Chưa đạt"})
    forged = new.__class__(**{**new.__dict__, "conduct": "Tốt"})
    for claims, ok in ((new, True), (old_style, True), (forged, False)):
        report = compare_with_record(verify_qr(build_payload(claims, key), keys), record, sha)
        assert (report.indication == "PASSED") is ok, (claims.conduct, report.to_dict())
