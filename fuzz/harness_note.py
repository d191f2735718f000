#!/usr/bin/env python3
"""Fuzz the C2SP signed-note and tlog-checkpoint parsers: :mod:`verifier.note`, :mod:`verifier.checkpoint`.

The input is a signed note as served by the ledger (``GET /api/v1/ledger/checkpoint``) or handed to
a witness: the text, a blank line and ``— <name> <base64>`` signature lines. Each input goes through

* :func:`open_checkpoint` with the dev log key (what verifiers of the ledger do), as bytes and as text;
* :func:`verify_cosignatures` with a harness witness key (what a monitor of the witnesses does);
* :func:`cosign_checkpoint` with that witness key (what the witness does with a log's checkpoint);
* :func:`parse_note` and :meth:`Checkpoint.parse` on their own, and :func:`parse_vkey` on every line
  (a verifier key is fetched from the log too).

Fine: :class:`VerifierError` (``NoteError``, ``CheckpointError``), which these functions document.
A finding: any other exception, or a checkpoint that does not survive its own round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python fuzz/harness_X.py`: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.common import DEV_KEYS, Finding, run_as_script
from verifier.checkpoint import (
    Checkpoint,
    Ed25519CosignatureSigner,
    cosign_checkpoint,
    open_checkpoint,
    verify_cosignatures,
)
from verifier.errors import VerifierError
from verifier.note import Ed25519Signer, parse_note, parse_vkey

LOG_SIGNER = Ed25519Signer.from_skey((DEV_KEYS / "log" / "log.key").read_text(encoding="ascii").strip())
LOG_VERIFIER = LOG_SIGNER.verifier()
ORIGIN = LOG_SIGNER.name  # sogoc.haiphong.edu.vn/ledger/v1
WITNESS = Ed25519CosignatureSigner(
    "witness.fuzz.example/w1",
    hashlib.sha256(b"sogoc fuzz harness witness key").digest(),
    clock=lambda: 1_780_000_000.0,
)
WITNESS_VERIFIER = WITNESS.verifier()


def _round_trip(cp: Checkpoint) -> None:
    again = Checkpoint.parse(cp.to_note_text())
    if again != cp:
        raise Finding(f"checkpoint does not survive a round trip: {cp!r} -> {again!r}")


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    for note in (data, text):
        with contextlib.suppress(VerifierError):
            _round_trip(open_checkpoint(note, [LOG_VERIFIER, WITNESS_VERIFIER], ORIGIN))
        with contextlib.suppress(VerifierError):
            verify_cosignatures(note, [WITNESS_VERIFIER])
    with contextlib.suppress(VerifierError):
        cosign_checkpoint(text, WITNESS)
    try:
        parsed = parse_note(data)
    except VerifierError:
        parsed = None
    if parsed is not None:
        with contextlib.suppress(VerifierError):
            _round_trip(Checkpoint.parse(parsed.text))
        if parsed.to_text() != text:
            raise Finding("a parsed note does not serialise back to its own text")
    for line in text.split("\n")[:8]:
        with contextlib.suppress(VerifierError):
            parse_vkey(line)


if __name__ == "__main__":
    run_as_script("note")
