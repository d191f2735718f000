"""Appeals (phúc khảo): a re-marked script changes an applicant's scores, the allocation runs again as a new run,
and a signed diff of who moved (admitted → not, school A → school B, not → admitted) is published by the Sở.

All or nothing: the new scores, the appeal (who decided it and why), the new run, the signed diff, its ledger entry
and its publication row are written in one transaction, the one that stores the signed document. The appeal is
against a run made on the current data (its input and rules fingerprints must match a re-run now), so the diff
shows the effect of this appeal and of nothing else; a concurrent change makes the second appeal fail whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.admissions.applicants import score_of
from credential_service.admissions.publication import (
    APPEAL_DIFF,
    AdmissionsPublisher,
    facts,
    output_of,
    publication_view,
)
from credential_service.admissions.publication_rules import diff_runs, move_counts, move_data
from credential_service.admissions.results_pdf import render_diff
from credential_service.admissions.service import APPEAL_PURPOSE
from credential_service.admissions.tables import AdmissionAppeal, AdmissionApplicant, AdmissionPublication
from credential_service.admissions.values import ValueProblem
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem

MAX_REASON = 2000


def _stored(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _invalid(vi: str, en: str, key: str, value: Any = None) -> InvalidInput:
    message = Message(vi, en)
    return InvalidInput(message, problems=[Problem(message, {"key": key}, value)])


class AppealService:
    def __init__(self, publisher: AdmissionsPublisher) -> None:
        self.publisher = publisher
        self.admissions = publisher.admissions
        self.db = publisher.db
        self.clock = publisher.clock

    def _scores(self, year: str, scores: Mapping[str, Any]) -> dict[str, Decimal | None]:
        config = self.admissions.rules(year)
        known = {name for name, _ in config.rules.subjects} | config.specialised_subjects
        problems, out = [], {}
        if not isinstance(scores, Mapping) or not scores:
            raise _invalid("Cần ít nhất một môn có điểm mới", "At least one subject's new score is needed", "scores")
        for subject, value in scores.items():
            if subject not in known:
                message = Message(
                    f"Môn không có trong quy định năm: {subject}", f"Not a subject of the year: {subject}"
                )
                problems.append(Problem(message, {"key": f"scores.{subject}"}, None))
                continue
            try:
                out[subject] = None if value is None else score_of(value, subject)
            except ValueProblem as e:
                shown = value if isinstance(value, str | int | float) else None
                problems.append(Problem(e.message, {"key": f"scores.{subject}"}, shown))
        if problems:
            raise InvalidInput(Message("Điểm phúc khảo không hợp lệ", "Invalid appeal scores"), problems=problems)
        return out

    def appeal(
        self,
        year: str,
        *,
        run_id: str,
        registration_no: str,
        scores: Mapping[str, Any],
        reason: str,
        actor: str,
        client: str = "api",
    ) -> dict[str, Any]:
        """Change one applicant's scores after an appeal, re-run the allocation and publish the signed diff."""
        reason = " ".join(str(reason).split())
        if not reason or len(reason) > MAX_REASON:
            raise _invalid(
                f"Cần lý do (quyết định phúc khảo), tối đa {MAX_REASON} ký tự",
                f"A reason (the appeal decision) of at most {MAX_REASON} characters is needed",
                "reason",
            )
        new = self._scores(year, scores)
        with self.db.reader() as s:
            base = self.publisher.run(s, year, run_id)
            row = s.execute(
                select(AdmissionApplicant).where(
                    AdmissionApplicant.year == year, AdmissionApplicant.registration_no == registration_no
                )
            ).scalar_one_or_none()
            if row is None:
                raise NotFound(Message(f"Không có thí sinh SBD {registration_no}", f"No applicant {registration_no}"))
            before = {k: row.scores.get(k) for k in sorted(new)}
            applicant_id, personal_id = row.id, row.personal_id
            names = self.publisher.school_names(s, year)
            base_facts, base_output = facts(base), output_of(base)
            base_input, base_config = base.input_sha256, base.config_sha256
        after = {k: _stored(v) for k, v in sorted(new.items())}
        if after == before:
            raise _invalid("Điểm mới giống điểm đang lưu", "The new scores are the scores stored", "scores")
        run, summary = self.admissions.prepare_run(year, actor=actor, changed={registration_no: new})
        if (summary["stored_input_sha256"], run.config_sha256) != (base_input, base_config):
            raise Conflict(
                Message(
                    f"Lần xét {run_id} không còn ứng với dữ liệu hiện tại (đã nhập lại, đổi quy định hoặc phúc khảo)",
                    f"Run {run_id} is not of the current data (re-imported, rules changed, or another appeal)",
                ),
                hint=Message("Phúc khảo trên lần xét mới nhất.", "Appeal against the latest run."),
            )
        new_run_id = run.id  # the row is stored by ``record`` (and expired when that transaction ends)
        moves = diff_runs(base_output, output_of(run))
        appeal_id, publication_id = str(uuid.uuid4()), str(uuid.uuid4())
        pdf = render_diff(base_facts, facts(run), names, moves, appeal_id=appeal_id)

        def record(session: Session, document: dict[str, Any]) -> None:
            applicant = session.get(AdmissionApplicant, applicant_id)
            if applicant is None or {k: applicant.scores.get(k) for k in before} != before:
                raise Conflict(
                    Message("Điểm của thí sinh vừa thay đổi; làm lại", "The applicant's scores just changed; retry")
                )
            applicant.scores = {**applicant.scores, **after}
            session.add(run)
            session.flush()
            session.add(
                AdmissionAppeal(
                    id=appeal_id, year=year, registration_no=registration_no, scores_before=before,
                    scores_after=after, reason=reason, decided_by=actor, decided_at=self.clock.now(),
                    run_before=run_id, run_after=new_run_id,
                )
            )  # fmt: skip
            session.add(
                AdmissionPublication(
                    id=publication_id, year=year, kind=APPEAL_DIFF, run_id=new_run_id, previous_run_id=run_id,
                    appeal_id=appeal_id, document_id=document["document_id"], pdf_sha256=document["pdf_sha256"],
                    ledger_seq=document["ledger_seq"], published_at=self.clock.now(), published_by=actor,
                )
            )  # fmt: skip

        self.publisher.sign(
            pdf,
            kind="admission-appeal-diff",
            title=f"Thay đổi kết quả tuyển sinh lớp 10 năm học {year} sau phúc khảo (mã {appeal_id})",
            filename=f"phuc-khao-{year}-{registration_no}.pdf",
            actor=actor,
            client=client,
            also=record,
        )
        self.admissions.log_reads(actor, APPEAL_PURPOSE, [personal_id])  # the holder sees who changed their scores
        with self.db.reader() as s:
            publication = s.get(AdmissionPublication, publication_id)
            assert publication is not None
            view = publication_view(publication)
        return {
            **view,
            "appeal_id": appeal_id,
            "registration_no": registration_no,
            "scores_before": before,
            "scores_after": after,
            "run_before": run_id,
            "run_after": new_run_id,
            "admitted_after": summary["admitted"],
            "moved": move_counts(moves),
            "moves": [move_data(m) for m in moves],
        }

    def appeals(self, year: str) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            rows = s.execute(
                select(AdmissionAppeal)
                .where(AdmissionAppeal.year == year)
                .order_by(AdmissionAppeal.decided_at, AdmissionAppeal.id)
            ).scalars()
            return [
                {
                    "appeal_id": r.id, "registration_no": r.registration_no, "scores_before": r.scores_before,
                    "scores_after": r.scores_after, "reason": r.reason, "decided_by": r.decided_by,
                    "decided_at": r.decided_at.isoformat(timespec="seconds"), "run_before": r.run_before,
                    "run_after": r.run_after,
                }
                for r in rows
            ]  # fmt: skip
