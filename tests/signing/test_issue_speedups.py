"""Issue 3 ("issue fast"): the speed-ups of the signing path give the same documents as pyHanko's own path.

* :class:`signing.incremental.IncrementalWriter` finalises a document once per write: the same bytes.
* :class:`signing.appearance.CachedStampAppearance` imports its stamp from one parsed reader: each document gets
  the same appearance objects as from pyHanko's ``ImportedPdfPage`` (a fresh reader of the stamp file), the reader
  is never changed, and only the most recent stamps stay parsed.
* :class:`signing.context.TsaSession` opens each batch's session on one shared TLS context.
* The dev PKI server hands out certomancer's certificates parsed from their DER (the same DER).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import info as pdf_info
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from pyhanko.stamp import StaticStampStyle
from signing_fixtures import FIELDS, FONT_PATH, make_pdf

from signing import cms_cache
from signing.appearance import CachedStampAppearance
from signing.context import SigningContext, TsaSession
from signing.devpki import DEV_CERT_DIR
from signing.fields import FIELD_PRINCIPAL, prepare_signature_fields
from signing.incremental import IncrementalWriter
from signing.keys import CachedKeySigner
from signing.pades import sign_approve

pytestmark = pytest.mark.skipif(not cms_cache.enabled(), reason="checked against pyHanko 0.38 only")


@pytest.fixture
def frozen_pdf_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pyHanko's modification dates (document information and XMP) at a fixed moment, and a fixed file ID."""
    import os

    from pyhanko.pdf_utils import incremental_writer

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2026, 5, 30, 8, 0, 0, tzinfo=tz)

    monkeypatch.setattr(pdf_info, "datetime", Frozen)
    monkeypatch.setattr(xmp_xml, "datetime", Frozen)
    monkeypatch.setattr(
        incremental_writer, "os", type("FixedOs", (), {"urandom": staticmethod(bytes), "SEEK_END": os.SEEK_END})
    )
    yield


def _with_field(writer: IncrementalPdfFileWriter) -> bytes:
    append_signature_field(writer, SigFieldSpec(sig_field_name="Extra", on_page=0, box=(10, 10, 60, 40)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_incremental_writer_writes_the_same_bytes_as_pyhanko(frozen_pdf_clock: None) -> None:
    for pdf in (make_pdf(), prepare_signature_fields(make_pdf(), FIELDS)):
        ours = _with_field(IncrementalWriter(BytesIO(pdf)))
        stock = _with_field(IncrementalPdfFileWriter(BytesIO(pdf)))
        assert ours == stock


def test_an_empty_update_is_written_as_pyhanko_does(frozen_pdf_clock: None) -> None:
    pdf = make_pdf()
    ours, stock = BytesIO(), BytesIO()
    IncrementalWriter(BytesIO(pdf)).write(ours)
    IncrementalPdfFileWriter(BytesIO(pdf)).write(stock)
    assert ours.getvalue() == stock.getvalue()


def _plain(obj: Any, seen: tuple[int, ...] = ()) -> Any:
    """An object graph without its object numbers: dictionaries, lists, stream data."""
    if isinstance(obj, generic.IndirectObject):
        if obj.idnum in seen:
            return ("cycle",)
        return _plain(obj.get_object(), (*seen, obj.idnum))
    if isinstance(obj, generic.StreamObject):
        return ({k: _plain(v, seen) for k, v in obj.items() if k != "/Length"}, obj.data)
    if isinstance(obj, generic.DictionaryObject):
        return {k: _plain(v, seen) for k, v in obj.items()}
    if isinstance(obj, generic.ArrayObject):
        return [_plain(v, seen) for v in obj]
    return obj


def _appearance(signed: bytes) -> Any:
    reader = PdfFileReader(BytesIO(signed))
    (sig,) = [s for s in reader.embedded_signatures if s.field_name == FIELD_PRINCIPAL]
    normal = sig.sig_field["/AP"]["/N"]
    (name,) = list(normal["/Resources"]["/XObject"])
    return _plain(normal["/Resources"]["/XObject"].raw_get(name)), _plain(normal["/BBox"])


def test_a_stamp_from_the_shared_reader_is_the_stamp_pyhanko_imports_from_the_file(
    dev_signer: Callable[[str], CachedKeySigner], signing_ctx: SigningContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = CachedStampAppearance(FONT_PATH)
    when = datetime(2026, 5, 30, 8, 0, tzinfo=UTC)  # 15:00 in Việt Nam
    ours = CachedStampAppearance.style_for
    ours(stamp, signer_name="Ngô Quang Trưởng", role="Hiệu trưởng", when=when)  # draws the stamp file
    (path,) = stamp._stamps.values()
    vc = signing_ctx.validation_context
    pdf = prepare_signature_fields(make_pdf(), FIELDS)
    styles = {
        "shared reader": lambda *a, **k: ours(stamp, signer_name="Ngô Quang Trưởng", role="Hiệu trưởng", when=when),
        "pyHanko": lambda *a, **k: StaticStampStyle.from_pdf_file(str(path), border_width=0),
    }
    appearances = {}
    for name, style in styles.items():
        monkeypatch.setattr(CachedStampAppearance, "style_for", style)
        signed = [
            sign_approve(doc, FIELD_PRINCIPAL, dev_signer("principal"), appearance=stamp, validation_context=vc())
            for doc in (pdf, pdf)  # twice: the second import reads what the first one left in the reader
        ]
        appearances[name] = [_appearance(s) for s in signed]
    assert appearances["shared reader"][0] == appearances["shared reader"][1] == appearances["pyHanko"][0]


def test_only_the_most_recent_stamps_stay_parsed() -> None:
    stamp = CachedStampAppearance(FONT_PATH)
    stamp.PARSED_STAMPS = 3
    when = datetime(2026, 5, 30, 8, 0, tzinfo=UTC)  # 15:00 in Việt Nam
    for i in range(5):
        stamp.style_for(signer_name=f"Người ký {i}", role="Hiệu trưởng", when=when)
    assert len(stamp._stamps) == 5
    assert len(stamp._readers) == 3
    first = stamp._stamps[("Người ký 0", "Hiệu trưởng", "30/05/2026 15:00")]
    assert first not in stamp._readers
    again = stamp.style_for(signer_name="Người ký 0", role="Hiệu trưởng", when=when)  # parsed again from its file
    assert first in stamp._readers and len(stamp._readers) == 3
    assert isinstance(again, StaticStampStyle)


def test_tsa_sessions_share_one_tls_context_and_open_again_in_a_new_loop() -> None:
    async def connector_ssl(session: TsaSession) -> object:
        try:
            client = session.get_session()
            assert session.get_session() is client
            return client.connector._ssl  # type: ignore[union-attr]
        finally:
            await session.close()

    first, second = TsaSession(), TsaSession()
    ssl_a = asyncio.run(connector_ssl(first))
    ssl_b = asyncio.run(connector_ssl(second))
    ssl_c = asyncio.run(connector_ssl(first))  # a closed lazy session opens again (a new batch, a new loop)
    assert ssl_a is ssl_b is ssl_c


def test_the_dev_pki_serves_its_certificates_parsed_with_the_same_der() -> None:
    from asn1crypto import pem
    from certomancer.registry import ArchLabel, CertLabel

    from signing.devpki import DevPkiServer

    server = DevPkiServer()
    arch = server.config.get_pki_arch(ArchLabel("sogoc-dev"))
    for label in ("tsa", "issuing", "root"):
        cert = arch.get_cert(CertLabel(label))
        assert arch.get_cert(CertLabel(label)) is cert  # parsed once, then kept
        _, _, der = pem.unarmor((DEV_CERT_DIR / f"{label}.cert.pem").read_bytes())
        assert cert.dump() == der
        assert cert.contents is not None and not cert._is_mutated()
