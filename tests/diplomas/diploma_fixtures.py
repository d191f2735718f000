"""Diploma test helpers: a graduation decision of three (synthetic) graduates."""

from __future__ import annotations

from datetime import date

from credential_service.diplomas.service import DiplomaService

GRADUATES = [
    {"full_name": "Nguyễn Thị Hoà", "date_of_birth": "02/03/2008", "sex": "Nữ", "place_of_birth": "Hải Phòng",
     "ethnicity": "Kinh", "personal_id": "031308000101"},
    {"full_name": "Trần Văn Minh", "date_of_birth": "2008-11-20", "sex": "Nam", "place_of_birth": "Hải Dương",
     "ethnicity": "Kinh", "personal_id": None},
    {"full_name": "Lê Thuý Ngân", "date_of_birth": "15/07/2008", "sex": "Nữ", "place_of_birth": "Kiến An",
     "ethnicity": "Tày", "personal_id": "031308000303"},
]  # fmt: skip


def decide(svc: DiplomaService, decision_no: str = "15/QĐ-THPTDEMO", on: date = date(2026, 6, 20)) -> str:
    return svc.record_graduation_decision(
        school_code="THPT-DEMO", decision_no=decision_no, decision_date=on, graduation_year=2026,
        signer_name="Ngô Quang Trưởng", graduates=GRADUATES, exam_session="Kỳ thi tốt nghiệp THPT năm 2026",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Concurrent issuing from several processes (signing stubbed: only numbering and ledgering are exercised)


class _Signed:
    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf


class StubDocuments:
    """Signs nothing; every ``fail_every``-th batch is refused, as a real signing failure would be."""

    def __init__(self, settings: object, fail_every: int = 3) -> None:
        self.settings = settings
        self.calls = 0
        self.fail_every = fail_every

    def sign_many(self, step: object, key_label: str, pdfs: list[bytes], **_kw: object) -> list[_Signed]:
        from credential_service.platform.errors import Message, SigningRefused

        self.calls += 1
        if self.calls % self.fail_every == 0:
            raise SigningRefused(Message("thử nghiệm", "test refusal"))
        return [_Signed(p) for p in pdfs]


def issue_worker(db_url: str, worker: int, rounds: int) -> int:
    """One process: record ``rounds`` decisions and issue each (some signing batches fail); returns issued count."""
    from credential_service.app.demo import staff_id
    from credential_service.platform.db import Database
    from credential_service.platform.errors import SigningRefused
    from credential_service.platform.settings import Settings

    db = Database(db_url)
    svc = DiplomaService(db, StubDocuments(Settings(env="test", database_url=db_url)))  # type: ignore[arg-type]
    issued = 0
    try:
        for k in range(rounds):
            decision = decide(svc, decision_no=f"W{worker}-{k}")
            for _attempt in range(3):
                try:
                    report = svc.issue_from_decision(
                        decision, issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo")
                    )
                    issued += len(report.issued)
                    break
                except SigningRefused:
                    continue
    finally:
        db.dispose()
    return issued
