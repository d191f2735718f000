"""A diploma's PDF: rendered from its record with empty signature fields, then approved by the issuer
(principal or Sở) and sealed — the two signing steps, in that order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from credential_service.diplomas.render import render_diploma
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.canonical import canonical_json
from credential_service.transcripts.workflow import Step
from signing.fields import FieldSpec, prepare_signature_fields


class DiplomaPdfs:
    def __init__(self, documents: DocumentFactory) -> None:
        self.documents = documents

    def render(self, record: dict[str, Any]) -> bytes:
        """The diploma's PDF with its QR and verify link, and the signature fields ready to sign."""
        record_json = canonical_json(record)
        verify_url = self.documents.settings.verify_url(str(record["credential_id"]))
        rendered = render_diploma(record, verify_url=verify_url, record_json=record_json)
        fields = [
            FieldSpec(name=n, page=p, box=(x1, y1, x2, y2))
            for n, (p, x1, y1, x2, y2) in rendered.signature_boxes.items()
        ]
        return prepare_signature_fields(rendered.pdf, fields)

    def sign(self, pdfs: list[bytes], issuer_label: str, seal_label: str, at: datetime) -> list[bytes]:
        """Approve with the issuer's key, then seal; outside any transaction."""
        approved = self.documents.sign_many(Step.PRINCIPAL, issuer_label, pdfs, at=at)
        sealed = self.documents.sign_many(
            Step.SEAL, seal_label, [r.pdf for r in approved], at=at, earlier_key_labels=[issuer_label]
        )
        return [r.pdf for r in sealed]
