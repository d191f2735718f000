"""One signing profile per step: what the rendered documents, the signatures and the verifier agree on."""

from __future__ import annotations

from pyhanko.sign.fields import MDPPerm

from credential_service.transcripts.signing_profile import (
    DIPLOMA_FIELDS,
    ISSUING_FIELDS_BY_SCHEMA,
    PROFILES,
    TRANSCRIPT_FIELDS,
    profile,
    step_for_role,
)
from credential_service.transcripts.workflow import Step
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL


def test_each_signing_step_has_one_profile_and_lock_has_none() -> None:
    assert set(PROFILES) == {Step.GVCN, Step.PRINCIPAL, Step.SEAL}
    assert all(p.step is s for s, p in PROFILES.items())


def test_the_gvcn_certifies_with_docmdp_form_filling_only() -> None:
    gvcn = profile("gvcn")
    assert (gvcn.field, gvcn.role, gvcn.kind) == (FIELD_GVCN, "gvcn", "certify")
    assert gvcn.docmdp == MDPPerm.FILL_FORMS.value
    assert not gvcn.timestamped and not gvcn.ltv


def test_the_principal_approves_and_the_seal_is_timestamped_with_validation_data() -> None:
    principal, seal = profile(Step.PRINCIPAL), profile(Step.SEAL)
    assert (principal.field, principal.kind, principal.docmdp) == (FIELD_PRINCIPAL, "approve", None)
    assert (seal.field, seal.kind, seal.timestamped, seal.ltv) == (FIELD_SEAL, "seal", True, True)


def test_only_personal_signatures_may_be_made_at_the_signers_computer() -> None:
    assert [p.step for p in PROFILES.values() if p.signs_at_the_signers_computer] == [Step.GVCN, Step.PRINCIPAL]


def test_a_role_finds_the_step_it_signs() -> None:
    assert step_for_role("seal") is Step.SEAL
    assert step_for_role("subject_teacher") is None


def test_transcripts_carry_three_signatures_and_diplomas_two_in_signing_order() -> None:
    assert TRANSCRIPT_FIELDS == (FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL)
    assert DIPLOMA_FIELDS == (FIELD_PRINCIPAL, FIELD_SEAL)
    assert ISSUING_FIELDS_BY_SCHEMA == {"hocba/1": TRANSCRIPT_FIELDS, "vanbang/1": DIPLOMA_FIELDS}
