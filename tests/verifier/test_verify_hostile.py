"""Hostile input: limits on size, object count, nesting, decompression and wall-clock time.

A hostile file must give FAILED/FORMAT_FAILURE (or, for the size limit, a clear VerifierError)
quickly, never a hang or a crash.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator

import pytest

import verifier.pdf as vpdf
import verifier.pdf_guards as pdf_guards
import verifier.pdf_signatures as vpdf_signatures
from verifier.errors import VerifierError
from verifier.pdf import PdfTooLargeError, VerificationPolicy, verify_pdf

BOUND_S = 3.0


def build_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A classic-xref PDF from object bodies numbered 1..n (offsets computed here)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


SIG_DICT = (
    b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 10] /Contents <00> >>"
)


def _timed(data: bytes, policy: VerificationPolicy = vpdf.DEFAULT_POLICY) -> vpdf.VerificationReport:
    # CPU time, as the verifier's own guard counts it (pdf_guards.run_with_deadline): on a shared 2-core machine
    # the wall clock also counts other processes' turns (a CI run went 3.3 s wall for a sub-second refusal)
    started = time.process_time()
    report = verify_pdf(data, trust=[], policy=policy)
    assert time.process_time() - started < BOUND_S
    return report


def test_file_over_the_size_limit_is_refused_with_a_bilingual_error() -> None:
    with pytest.raises(PdfTooLargeError) as e:
        verify_pdf(b"%PDF-1.7\n" + b" " * 2000, trust=[], policy=VerificationPolicy(max_file_size=1000))
    assert isinstance(e.value, VerifierError)
    assert "quá lớn" in e.value.vi and "too large" in e.value.en
    assert e.value.code == "file_too_large"


def test_too_many_objects_is_a_format_failure_without_parsing() -> None:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>", SIG_DICT]
    objects += [b"null"] * 2000
    report = _timed(build_pdf(objects), VerificationPolicy(max_objects=1000))
    assert (report.indication, report.sub_indication) == ("FAILED", "FORMAT_FAILURE")
    assert any(w.code == "limit_exceeded" for w in report.warnings)


def test_huge_declared_xref_size_is_a_format_failure() -> None:
    data = build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>", SIG_DICT])
    data = data.replace(b"/Size 4", b"/Size 999999999")
    report = _timed(data)
    assert (report.indication, report.sub_indication) == ("FAILED", "FORMAT_FAILURE")


def test_deeply_nested_arrays_do_not_crash() -> None:
    depth = 200_000
    fields = b"[" * depth + b"]" * depth
    catalog = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields " + fields + b" >> >>"
    data = build_pdf([catalog, b"<< /Type /Pages /Kids [] /Count 0 >>", SIG_DICT])
    report = _timed(data)
    assert report.indication == "FAILED" and report.sub_indication == "FORMAT_FAILURE"


def test_decompression_bomb_in_an_xref_stream_stops_early() -> None:
    bomb = zlib.compress(b"\0" * (200 * 1024 * 1024), 9)  # ~200 KiB that inflate to 200 MiB
    head = b"%PDF-1.7\n"
    obj = (
        b"1 0 obj\n<< /Type /XRef /Size 2 /W [1 2 1] /Root 2 0 R /Filter /FlateDecode /Length "
        + str(len(bomb)).encode()
        + b" >>\nstream\n"
        + bomb
        + b"\nendstream\nendobj\n"
    )
    sig = b"2 0 obj\n" + SIG_DICT + b"\nendobj\n"
    data = head + obj + sig + b"startxref\n" + str(len(head)).encode() + b"\n%%EOF\n"
    report = _timed(data)
    assert report.indication == "FAILED" and report.sub_indication == "FORMAT_FAILURE"


def test_garbage_after_a_pdf_header_is_not_a_pdf_when_nothing_looks_signed() -> None:
    report = _timed(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert report.document == "not_pdf" and report.exit_code == 3


def test_garbage_that_claims_a_signature_is_a_format_failure() -> None:
    report = _timed(b"%PDF-1.7\n/ByteRange [0 1 2 3]\n" + bytes(range(256)) * 40)
    assert (report.indication, report.sub_indication) == ("FAILED", "FORMAT_FAILURE")


@pytest.fixture
def endless_parser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def spin(data: bytes, policy: VerificationPolicy) -> tuple[object, bool]:
        while True:  # a pure-Python endless loop, like a cycle in the object graph would be
            pass

    monkeypatch.setattr(vpdf_signatures, "open_reader", spin)
    yield


def test_cpu_time_guard_returns_format_failure_and_stops_the_worker(endless_parser: None) -> None:
    policy = VerificationPolicy(time_limit=0.5)
    started = time.perf_counter()
    report = verify_pdf(
        build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>", SIG_DICT]),
        trust=[],
        policy=policy,
    )
    elapsed = time.perf_counter() - started
    # 0.5 s of the worker's own CPU time: at least 0.5 s, and never past the wall-clock cap
    assert 0.5 <= elapsed < 0.5 * pdf_guards.WALL_FACTOR + pdf_guards.WALL_EXTRA
    assert (report.indication, report.sub_indication) == ("FAILED", "FORMAT_FAILURE")
    assert any(w.code == "time_limit" and "giây" in w.vi for w in report.warnings)
    deadline = time.monotonic() + 2.0
    while any(t.name == "verifier-pdf" and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the worker thread kept running after the deadline"
        time.sleep(0.01)


def test_verify_pdf_works_from_inside_a_running_event_loop() -> None:
    import asyncio

    data = build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])

    async def inside() -> str:
        return verify_pdf(data, trust=[]).document

    assert asyncio.run(inside()) == "unsigned"


def test_a_worker_that_waits_rather_than_computes_is_not_taken_for_a_hostile_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A genuine document on a busy machine waits for the CPU; the budget counts the worker's own CPU time,
    # so 0.8 s of waiting under a 0.5 s budget still gives the real verdict (here: garbage, FORMAT_FAILURE
    # from the parser, without the time-limit warning).
    real_open = vpdf_signatures.open_reader

    def slow(data: bytes, policy: VerificationPolicy) -> tuple[object, bool]:
        time.sleep(0.8)
        return real_open(data, policy)

    monkeypatch.setattr(vpdf_signatures, "open_reader", slow)
    report = verify_pdf(
        build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>", SIG_DICT]),
        trust=[],
        policy=VerificationPolicy(time_limit=0.5),
    )
    assert not any(w.code == "time_limit" for w in report.warnings), report.warnings
