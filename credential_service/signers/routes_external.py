"""External signing of a class step (GVCN or principal) with a key at the signer's computer.

``POST /api/v1/classes/{class_id}/sign/{step}/external/prepare`` — body ``{"staff_id", "certificate"}``
(the certificate as PEM, or base64 DER as the sign agent's ``GET /certificate`` returns it) →
``{"class_id", "step", "expires_at", "requests": [SigningRequest…]}``: post each request to the sign
agent (``sogoc sign-agent serve``, ``POST /sign``) on the signer's computer.

``POST /api/v1/classes/{class_id}/sign/{step}/external/complete`` — body ``{"responses": [SigningResponse…]}``
(every response of the prepared batch) → ``{"class_id", "step", "status", "transcripts"}``.

Refusals are ``application/problem+json`` (Vietnamese and English) with a ``reason`` such as
``response_expired``, ``document_changed``, ``digest_mismatch``, ``response_reused`` or
``certificate_not_registered``; a refusal changes no document.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import InvalidInput, Message
from credential_service.signers.external_signing import ExternalSigningService
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor
from credential_service.transcripts.workflow import Step

router = APIRouter(tags=["external signing / ký số bằng token của người ký"])
API = "/api/v1"
C = Annotated[Container, Depends(container)]


class PrepareIn(BaseModel):
    certificate: str = Field(
        max_length=64 * 1024,
        description="Chứng thư của người ký: PEM, hoặc DER dạng base64 / the signer's certificate: PEM or base64 DER",
    )


class CompleteIn(BaseModel):
    responses: list[dict[str, Any]] = Field(
        max_length=2000, description="Phản hồi của dịch vụ ký / the sign agent's responses"
    )


def service(c: C) -> ExternalSigningService:
    return c.external_signing


Service = Annotated[ExternalSigningService, Depends(service)]


def _client(request: Request) -> str:
    host = request.client.host if request.client else "?"
    agent = request.headers.get("user-agent", "")[:120]
    return f"http {host} {agent} (external)".strip()


def _certificate_bytes(text: str) -> bytes:
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        return stripped.encode("ascii", errors="replace")
    try:
        return base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidInput(
            Message("Chứng thư phải ở dạng PEM hoặc DER base64.", "The certificate must be PEM or base64 DER.")
        ) from e


@router.post(
    API + "/classes/{class_id}/sign/{step}/external/prepare",
    summary="Chuẩn bị ký bằng token của người ký / prepare external signing (gvcn, principal)",
)
def prepare(
    class_id: str,
    step: Step,
    body: PrepareIn,
    svc: Service,
    request: Request,
    actor: Annotated[Actor, allow(P.CLASS_SIGN)],
    c: C,
) -> dict[str, Any]:
    """The signer prepares their own batch; the signature is made on their own token (the PIN is theirs)."""
    signer = c.staff_auth.signer_for_class_step(actor, class_id=class_id, step=step.value)
    requests = svc.prepare(class_id, step, signer, _certificate_bytes(body.certificate), client=_client(request))
    return {
        "class_id": class_id,
        "step": step.value,
        "expires_at": min((r["expires_at"] for r in requests), default=None),
        "requests": requests,
    }


@router.post(
    API + "/classes/{class_id}/sign/{step}/external/complete",
    summary="Hoàn tất ký bằng token của người ký / complete external signing",
)
def complete(
    class_id: str,
    step: Step,
    body: CompleteIn,
    svc: Service,
    request: Request,
    actor: Annotated[Actor, allow(P.CLASS_SIGN)],
    c: C,
) -> dict[str, Any]:
    signer = c.staff_auth.signer_for_class_step(actor, class_id=class_id, step=step.value)
    return asdict(svc.complete(class_id, body.responses, step=step, client=_client(request), signer=signer))
