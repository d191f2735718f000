"""C2SP signed-note: vectors from C2SP and golang.org/x/mod reproduced byte for byte."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from verifier.errors import NoteError, VerifierError
from verifier.note import (
    Ed25519Signer,
    Ed25519Verifier,
    NoteSignature,
    Signer,
    Verifier,
    generate_ed25519_key,
    key_id,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
)

VECTORS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "tlog" / "vectors.json"
VECTORS: dict[str, Any] | None = json.loads(VECTORS_PATH.read_text(encoding="utf-8")) if VECTORS_PATH.exists() else None
needs_vectors = pytest.mark.skipif(VECTORS is None, reason=f"third-party vectors absent: {VECTORS_PATH}")


def _sn() -> dict[str, Any]:
    assert VECTORS is not None
    return VECTORS["signed_note"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ vectors


@needs_vectors
def test_c2sp_example_verifies_and_round_trips() -> None:
    ex = _sn()["c2sp_example"]
    v = parse_vkey(ex["vkey"])
    assert v.vkey == ex["vkey"]
    assert f"{v.key_id:08x}" == "530d903a"
    assert parse_note(ex["signed_note_text"]).to_text() == ex["signed_note_text"]
    opened = open_note(ex["signed_note_text"], [v])
    assert opened.text == "This is an example message.\n"
    assert [s.name for s in opened.verified] == ["example.com/foo"]
    assert opened.unverified == ()


@needs_vectors
def test_c2sp_intro_example_parses_with_blank_line_in_text() -> None:
    text = _sn()["c2sp_intro_example_unverifiable"]["signed_note_text"]
    note = parse_note(text)
    assert note.text.endswith("\n\ned è subito sera.\n")
    assert note.to_text() == text
    with pytest.raises(NoteError):  # no key published: unknown signature only
        open_note(text, [])


@needs_vectors
def test_golang_sign_reproduces_byte_for_byte() -> None:
    g = _sn()["golang_mod_note_test"]
    signer = Ed25519Signer.from_skey(g["signer_key"])
    assert signer.skey == g["signer_key"]
    assert signer.vkey == g["peter_vkey"]
    assert sign_note(g["text"], [signer]) == g["want_signed_by_peter"]
    assert parse_note(g["want_signed_by_peter"]).to_text() == g["want_signed_by_peter"]


@needs_vectors
def test_golang_open_with_both_keys() -> None:
    g = _sn()["golang_mod_note_test"]
    peter, enoch = parse_vkey(g["peter_vkey"]), parse_vkey(g["enoch_vkey"])
    both = g["want_signed_by_peter"] + g["enoch_signature_line"]
    assert parse_note(both).to_text() == both
    opened = open_note(both, [peter, enoch])
    assert [s.name for s in opened.verified] == ["PeterNeumann", "EnochRoot"]
    opened = open_note(both, [enoch])
    assert [s.name for s in opened.verified] == ["EnochRoot"]
    assert [s.name for s in opened.unverified] == ["PeterNeumann"]
    # tampered text: both known signatures fail
    with pytest.raises(NoteError):
        open_note(both.replace("answer", "Answer"), [peter])


@needs_vectors
def test_known_key_with_bad_signature_rejects_whole_note() -> None:
    g = _sn()["golang_mod_note_test"]
    peter, enoch = parse_vkey(g["peter_vkey"]), parse_vkey(g["enoch_vkey"])
    note = parse_note(g["want_signed_by_peter"] + g["enoch_signature_line"])
    bad_enoch = NoteSignature("EnochRoot", enoch.key_id, bytes(64))
    forged = sign_note(note.text, [], existing=[note.signatures[0], bad_enoch])
    with pytest.raises(NoteError):
        open_note(forged, [peter, enoch])
    open_note(forged, [peter])  # Enoch unknown here: ignored


@needs_vectors
def test_same_name_other_id_or_same_id_other_name_is_ignored() -> None:
    g = _sn()["golang_mod_note_test"]
    peter = parse_vkey(g["peter_vkey"])
    note = parse_note(g["want_signed_by_peter"])
    sig = note.signatures[0]
    other_id = NoteSignature(sig.name, sig.key_id ^ 1, bytes(64))
    other_name = NoteSignature("PeterNeumann2", sig.key_id, bytes(64))
    text = sign_note(note.text, [], existing=[other_id, other_name, sig])
    opened = open_note(text, [peter])
    assert len(opened.verified) == 1 and len(opened.unverified) == 2


# ------------------------------------------------------------------------------------------------ own keys

SEED = bytes(range(32))


def test_sign_open_round_trip_and_protocols() -> None:
    signer = Ed25519Signer("sogoc.example.vn/log", SEED)
    verifier = signer.verifier()
    assert isinstance(signer, Signer) and isinstance(verifier, Verifier)
    assert Ed25519Verifier.from_vkey(signer.vkey).public_key == signer.public_key
    assert Ed25519Signer.from_skey(signer.skey).vkey == signer.vkey
    assert signer.key_id == key_id("sogoc.example.vn/log", 1, signer.public_key)
    text = "Sổ Gốc Số\nbằng tốt nghiệp THPT\n"
    signed = sign_note(text, signer)
    opened = open_note(signed.encode("utf-8"), [verifier])
    assert opened.text == text
    line = signed.splitlines()[-1]
    assert line.startswith("\u2014 sogoc.example.vn/log ")


def test_generate_key() -> None:
    skey, vkey = generate_ed25519_key("a.example/x")
    assert skey.startswith("PRIVATE+KEY+a.example/x+")
    signer = Ed25519Signer.from_skey(skey)
    open_note(sign_note("hi\n", signer), [parse_vkey(vkey)])


def _signed(text: str = "hello\n") -> str:
    return sign_note(text, Ed25519Signer("k.example", SEED))


VERIFIER = Ed25519Signer("k.example", SEED).verifier()


@pytest.mark.parametrize(
    "note",
    [
        pytest.param("hello\n", id="no-signatures"),
        pytest.param("hello", id="no-newline"),
        pytest.param(_signed()[:-1], id="missing-final-newline"),
        pytest.param(_signed().replace("\u2014", "-"), id="ascii-dash"),
        pytest.param(_signed().replace("\u2014 k.example ", "\u2014 k.example  "), id="double-space"),
        pytest.param(_signed().replace("hello", "hel\tlo"), id="control-char-tab"),
        pytest.param(_signed().replace("hello", "hel\rlo"), id="control-char-cr"),
        pytest.param(_signed() + "\n", id="trailing-blank-line"),
        pytest.param(_signed().replace("=\n", "\n"), id="unpadded-base64"),
        pytest.param(_signed().replace("\u2014 k.example ", "\u2014 k+x.example "), id="plus-in-name"),
        pytest.param(_signed().replace("\u2014 k.example ", "\u2014  "), id="empty-name"),
        pytest.param("hello\n\n\u2014 k.example AAAA\n", id="signature-too-short"),
        pytest.param(_signed().replace("hello", "hellO"), id="tampered"),
        pytest.param(_signed("hello\n") + _signed("x\n").split("\n\n")[1], id="signature-of-other-text"),
        pytest.param(b"hello\n\n\xff\n", id="invalid-utf8"),
    ],
)
def test_malformed_or_unverifiable_notes_rejected(note: str | bytes) -> None:
    with pytest.raises(NoteError) as info:
        open_note(note, [VERIFIER])
    assert isinstance(info.value, VerifierError) and info.value.vi and info.value.en


def test_signature_limit() -> None:
    text = "t\n"
    signers = [Ed25519Signer(f"w{i}.example", bytes([i]) * 32) for i in range(17)]
    note = sign_note(text, signers)
    open_note(note, [signers[16].verifier()])  # 17 signatures accepted by default (>= 16)
    with pytest.raises(NoteError):
        open_note(note, [signers[0].verifier()], max_signatures=16)


def test_non_canonical_base64_rejected() -> None:
    note = _signed()
    b64 = note.rstrip("\n").rsplit(" ", 1)[1]
    raw = base64.b64decode(b64)
    assert len(raw) == 68  # 68 bytes -> 2 bits of padding in the last char
    last = b64[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    tweaked = b64[:-2] + alphabet[alphabet.index(last) | 1] + "="
    assert base64.b64decode(tweaked) == raw
    with pytest.raises(NoteError):
        parse_note(note.replace(b64, tweaked))


@pytest.mark.parametrize(
    "vkey",
    [
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong id
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong type
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a",
        "example.com/fo o+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(vkey)


def test_sign_rejects_bad_text() -> None:
    signer = Ed25519Signer("k.example", SEED)
    for text in ("no newline", "tab\there\n"):
        with pytest.raises(NoteError):
            sign_note(text, signer)
