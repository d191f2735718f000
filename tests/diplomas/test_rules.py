"""Pure diploma rules, with the examples of Circular 21/2019 and Circular 10/2026 (domain brief §2)."""

from __future__ import annotations

from datetime import date

import pytest

from credential_service.diplomas.record import Graduation, Holder, Issuer, build_diploma_record
from credential_service.diplomas.rules import (
    CorrectionGround,
    CorrectionRequest,
    DeadlineState,
    DiplomaType,
    Form,
    IssuerRole,
    RegisterNo,
    RevocationGround,
    deadline_status,
    format_register_no,
    issue_deadline,
    issuer_role,
    name_key,
    parse_register_no,
    parse_revocation_ground,
    same_register_no,
    validate_correction,
)
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.errors import InvalidInput


def test_register_number_reads_like_171_tc_2023_and_parses_back() -> None:
    assert format_register_no(171, "TC", 2023) == "171/TC/2023"
    assert parse_register_no("171/TC/2023") == parse_register_no(" 171 / tc / 2023 ")
    parsed = parse_register_no("171/TC/2023")
    assert parsed is not None and (parsed.seq, parsed.type, parsed.year) == (171, "TC", 2023)
    assert parse_register_no("abc/2023") is None


def test_register_number_format_is_configurable() -> None:
    fmt = "HP-{year}-{type}-{seq:05d}"
    assert format_register_no(7, "THPT", 2026, fmt) == "HP-2026-THPT-00007"
    parsed = parse_register_no("HP-2026-THPT-00007", fmt)
    assert parsed is not None and parsed.seq == 7


def test_a_register_format_without_type_or_year_parses_without_error() -> None:
    assert parse_register_no("171/2005", "{seq}/{year}") == RegisterNo(171, None, 2005)
    assert parse_register_no("A-00171", "A-{seq:05d}") == RegisterNo(171, None, None)
    assert parse_register_no("171/THPT/2005", "{seq}/{year}") is None


def test_a_register_number_is_the_same_typed_as_printed_zero_padded_or_in_lower_case() -> None:
    assert same_register_no("00171/THPT/2005", "171/THPT/2005")
    assert same_register_no("171/thpt/2005", "171/THPT/2005")
    assert same_register_no("171/THPT/2005", "HP-2005-THPT-00171", "HP-{year}-{type}-{seq:05d}") is False
    assert same_register_no("hp-2005-thpt-171", "HP-2005-THPT-00171", "HP-{year}-{type}-{seq:05d}")
    assert not same_register_no("172/THPT/2005", "171/THPT/2005")
    assert not same_register_no("171/TC/2005", "171/THPT/2005")


def test_register_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError):
        format_register_no(0, "THPT", 2026)


def test_thpt_issuer_is_the_so_director_until_14_april_2026_and_the_principal_from_15_april() -> None:
    assert issuer_role(DiplomaType.THPT, date(2026, 4, 14)) is IssuerRole.SO_DIRECTOR
    assert issuer_role(DiplomaType.THPT, date(2026, 4, 15)) is IssuerRole.PRINCIPAL
    assert issuer_role(DiplomaType.THPT, date(2005, 7, 1)) is IssuerRole.SO_DIRECTOR


def test_thcs_diplomas_are_legacy_only_issued_by_the_phong_head_before_2026() -> None:
    assert issuer_role(DiplomaType.THCS, date(2025, 6, 30)) is IssuerRole.PHONG_HEAD
    with pytest.raises(InvalidInput) as err:
        issuer_role(DiplomaType.THCS, date(2026, 1, 1))
    assert "bãi bỏ" in err.value.message.vi


def test_digital_diploma_is_due_within_5_days_of_the_decision_paper_within_30() -> None:
    decided = date(2026, 6, 20)
    assert issue_deadline(decided, Form.DIGITAL) == date(2026, 6, 25)
    assert issue_deadline(decided, Form.PAPER) == date(2026, 7, 20)
    # decisions before Circular 10/2026: 75 days (Circular 21/2019 Art. 17)
    assert issue_deadline(date(2025, 7, 1)) == date(2025, 9, 14)


def test_deadline_states_due_late_on_time_and_issued_late() -> None:
    decided = date(2026, 6, 20)
    assert deadline_status(decided, today=date(2026, 6, 25)).state is DeadlineState.DUE
    late = deadline_status(decided, today=date(2026, 6, 27))
    assert late.state is DeadlineState.LATE and late.days_left == -2
    assert deadline_status(decided, today=date(2026, 7, 1), issued_on=date(2026, 6, 24)).state is DeadlineState.ON_TIME
    assert deadline_status(decided, today=date(2026, 7, 1), issued_on=date(2026, 6, 26)).state is (
        DeadlineState.ISSUED_LATE
    )


CURRENT = {"full_name": "Nguyễn Thị Hoà", "date_of_birth": "2008-03-02", "place_of_birth": "Hải Phòng",
           "sex": "Nữ", "ethnicity": "Kinh"}  # fmt: skip


def _req(**kw: object) -> CorrectionRequest:
    base: dict[str, object] = {
        "decision_no": "12/QĐ-THPT", "decision_date": date(2026, 8, 1), "signer": "Ngô Quang Trưởng",
        "ground": "civil_status_change", "field": "full_name", "old_value": "Nguyễn Thị Hoà",
        "new_value": "Nguyễn Thị Hoài", "evidence": ("Trích lục cải chính hộ tịch số 45/TLCC",),
    }  # fmt: skip
    base.update(kw)
    return CorrectionRequest(**base)  # type: ignore[arg-type]


def test_each_of_the_four_legal_grounds_is_accepted_for_a_field_it_covers() -> None:
    assert validate_correction(_req(), CURRENT, today=date(2026, 8, 2)) is CorrectionGround.CIVIL_STATUS_CHANGE
    cases = [
        ("ethnicity_or_sex_redetermined", "ethnicity", "Kinh", "Tày"),
        ("civil_status_supplement", "place_of_birth", "Hải Phòng", "Thủy Nguyên, Hải Phòng"),
        ("late_birth_registration", "date_of_birth", "2008-03-02", "2008-03-12"),
    ]
    for ground, field, old, new in cases:
        req = _req(ground=ground, field=field, old_value=old, new_value=new)
        assert validate_correction(req, CURRENT, today=date(2026, 8, 2)).value == ground


def test_a_correction_on_a_ground_the_law_does_not_allow_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        validate_correction(_req(ground="spelling_preference"), CURRENT, today=date(2026, 8, 2))
    problem = err.value.problems[0]
    assert problem.location == {"field": "ground"}
    assert "bốn trường hợp" in problem.message.vi


def test_redetermination_cannot_change_the_name_and_grades_cannot_be_corrected() -> None:
    with pytest.raises(InvalidInput):
        validate_correction(_req(ground="ethnicity_or_sex_redetermined"), CURRENT, today=date(2026, 8, 2))
    with pytest.raises(InvalidInput):
        validate_correction(_req(field="graduation_year", old_value="2026", new_value="2025"), CURRENT,
                            today=date(2026, 8, 2))  # fmt: skip


def test_a_correction_needs_evidence_a_matching_old_value_and_a_real_change() -> None:
    with pytest.raises(InvalidInput) as err:
        validate_correction(
            _req(evidence=(), old_value="Nguyễn Thị Hòa X", decision_no=" "), CURRENT, today=date(2026, 8, 2)
        )
    fields = {p.location["field"] for p in err.value.problems}
    assert fields == {"evidence", "old_value", "decision_no"}


def test_the_six_revocation_grounds_and_nothing_else() -> None:
    assert len(RevocationGround) == 6
    assert parse_revocation_ground("issuer_error") is RevocationGround.ISSUER_ERROR
    with pytest.raises(InvalidInput):
        parse_revocation_ground("holder_asked")


def test_old_and_new_tone_mark_placement_case_and_spaces_match() -> None:
    assert name_key("Nguyễn Thị Hoà") == name_key("nguyễn  thị HÒA")
    assert name_key("Lê Thuý") == name_key("Lê Thúy")
    assert name_key("Khoẻ") == name_key("Khỏe")
    decomposed = "Nguye\u0302\u0303n Ho\u0300a"  # NFD input
    assert name_key(decomposed) == name_key("Nguyễn Hòa")


def test_names_that_differ_in_tone_or_vowel_shape_do_not_match() -> None:
    assert name_key("Hòa") != name_key("Hoa")
    assert name_key("Hòa") != name_key("Hóa")
    assert name_key("Tuấn") != name_key("Tuân")
    assert name_key("Đức") != name_key("Dức")


def test_the_diploma_record_hash_does_not_depend_on_field_order() -> None:
    record = build_diploma_record(
        credential_id="c1", version=1, issued_on=date(2026, 6, 24), diploma_type=DiplomaType.THPT, form="digital",
        holder=Holder("Nguyễn Thị Hoà", date(2008, 3, 2), "Hải Phòng", "Nữ", "Kinh", "031308000001"),
        graduation=Graduation("15/QĐ-THPT", date(2026, 6, 20), 2026, "THPT-DEMO", "Trường THPT Demo", "Hải Phòng"),
        issuer=Issuer(IssuerRole.PRINCIPAL, "Trường THPT Demo", "Ngô Quang Trưởng"),
        serial_no=None, register_no="1/THPT/2026",
    )  # fmt: skip
    assert record["schema"] == "vanbang/1"
    shuffled = dict(reversed(list(record.items())))
    assert sha256_hex(canonical_json(record)) == sha256_hex(canonical_json(shuffled))
