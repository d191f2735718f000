"""Empty visible signature fields, added before the first signature.

The renderer knows where the boxes are; the service passes them here.  Coordinates are PDF
points with the origin at the bottom-left of the page: ``(x1, y1, x2, y2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from io import BytesIO
from typing import cast

from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields

from .errors import SigningError
from .incremental import IncrementalWriter

__all__ = [
    "FIELD_GVCN",
    "FIELD_PRINCIPAL",
    "FIELD_SEAL",
    "FieldSpec",
    "FieldState",
    "field_state",
    "prepare_signature_fields",
]

FIELD_GVCN = "GVCN"
FIELD_PRINCIPAL = "HieuTruong"
FIELD_SEAL = "DauTruong"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    page: int  # 0-based page index
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points


class FieldState(Enum):
    MISSING = "missing"
    EMPTY = "empty"
    SIGNED = "signed"


def field_state(handler: PdfHandler, name: str) -> FieldState:
    """State of the signature field ``name`` in a reader or writer."""
    for fq_name, value, _ref in enumerate_sig_fields(handler, with_name=name):
        if fq_name == name:
            return FieldState.SIGNED if value is not None else FieldState.EMPTY
    return FieldState.MISSING


def _validate(fields: Sequence[FieldSpec], page_count: int) -> None:
    seen: set[str] = set()
    for f in fields:
        if not f.name or "." in f.name:
            raise SigningError(
                f"Tên ô chữ ký không hợp lệ: {f.name!r}",
                f"Invalid signature field name: {f.name!r}",
                reason="field_invalid",
            )
        if f.name in seen:
            raise SigningError(
                f"Ô chữ ký {f.name!r} bị khai báo hai lần",
                f"Signature field {f.name!r} declared twice",
                reason="field_invalid",
            )
        seen.add(f.name)
        if not 0 <= f.page < page_count:
            raise SigningError(
                f"Ô chữ ký {f.name!r}: trang {f.page} không tồn tại (tài liệu có {page_count} trang)",
                f"Signature field {f.name!r}: page {f.page} does not exist ({page_count} pages)",
                reason="field_invalid",
            )
        x1, y1, x2, y2 = f.box
        if x2 <= x1 or y2 <= y1:
            raise SigningError(
                f"Ô chữ ký {f.name!r}: khung {f.box} không hợp lệ",
                f"Signature field {f.name!r}: invalid box {f.box}",
                reason="field_invalid",
            )


def prepare_signature_fields(pdf: bytes, fields: Sequence[FieldSpec]) -> bytes:
    """Add empty visible signature fields in one incremental update; return new bytes.

    Refused if the document already carries a signature (a new field after a certification
    signature would be a disallowed change) or if a field with the same name exists.
    """
    writer = IncrementalWriter(BytesIO(pdf))
    reader = writer.prev  # one parse: the writer's reader serves the checks
    if reader.embedded_signatures:
        raise SigningError(
            "Tài liệu đã có chữ ký số; phải tạo ô chữ ký trước khi ký",
            "The document is already signed; signature fields must be added before signing",
            reason="document_already_signed",
        )
    page_count = int(reader.root["/Pages"]["/Count"])
    _validate(fields, page_count)
    for f in fields:
        if field_state(reader, f.name) is not FieldState.MISSING:
            raise SigningError(
                f"Ô chữ ký {f.name!r} đã tồn tại",
                f"Signature field {f.name!r} already exists",
                reason="field_exists",
            )
    for f in fields:
        box = cast(tuple[int, int, int, int], tuple(float(v) for v in f.box))
        append_signature_field(writer, SigFieldSpec(sig_field_name=f.name, on_page=f.page, box=box))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
