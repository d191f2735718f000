"""C2SP signed notes (https://c2sp.org/signed-note, v1.0.0) with Ed25519 keys.

A signed note is::

    <text, ending in "\\n">
    <blank line>
    — <key name> <base64(4-byte key ID || signature)>
    ...

The signed message is the text including its final newline. Keys are exchanged as *verifier keys*
(``vkey``) ``<name>+<8 hex key ID>+<base64(0x01 || 32-byte Ed25519 public key)>`` and, for the
signer, golang.org/x/mod/sumdb/note's private key format
``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>``. The key ID is
``SHA-256(name || "\\n" || signature type || public key)[:4]`` read as a big-endian uint32.

Verification (:func:`open_note`) follows the spec: signatures whose (name, key ID) pair matches no
known verifier are ignored (and reported as unverified); a signature from a known key that does not
verify rejects the whole note; at least one known signature must verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from verifier.errors import NoteError

__all__ = [
    "DEFAULT_MAX_SIGNATURES",
    "SIG_TYPE_ED25519",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Note",
    "NoteSignature",
    "Signer",
    "VerifiedNote",
    "Verifier",
    "b64decode_strict",
    "check_key_name",
    "check_note_text",
    "format_signature_line",
    "generate_ed25519_key",
    "key_id",
    "open_note",
    "parse_note",
    "parse_vkey",
    "sign_note",
]

SIG_TYPE_ED25519 = 0x01
EM_DASH = "\u2014"
_SIG_PREFIX = EM_DASH + " "
DEFAULT_MAX_SIGNATURES = 100
"""Upper bound on signature lines per note (the spec requires accepting at least 16)."""

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


# --------------------------------------------------------------------------------------------------
# Small helpers


def _err(vi: str, en: str) -> NoteError:
    return NoteError("Ghi chú ký số không hợp lệ: " + vi, "Invalid signed note: " + en)


def b64decode_strict(value: str) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding, canonical only; raises ``ValueError``."""
    if not value.isascii():
        raise ValueError("base64 must be ASCII")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise ValueError("non-canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || sig_type || public_key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> None:
    """Key names are non-empty UTF-8 with no Unicode spaces and no ``+``; raises :class:`NoteError`."""
    if (
        not isinstance(name, str)
        or not name
        or "+" in name
        or any(ch.isspace() for ch in name)
        or _CONTROL.search(name)
        or "\n" in name
    ):
        raise _err(f"tên khoá không hợp lệ: {name!r}", f"invalid key name: {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _err("tên khoá không phải UTF-8", "key name is not valid UTF-8") from exc


def check_note_text(text: str) -> None:
    """A note text is non-empty valid UTF-8 ending in ``\\n`` without other ASCII controls."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise _err("văn bản phải kết thúc bằng ký tự xuống dòng", "text must end with a newline")
    if _CONTROL.search(text):
        raise _err("văn bản chứa ký tự điều khiển", "text contains ASCII control characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _err("văn bản không phải UTF-8 hợp lệ", "text is not valid UTF-8") from exc


# --------------------------------------------------------------------------------------------------
# Signers and verifiers


@runtime_checkable
class Verifier(Protocol):
    """Verifies note signatures made by one key, identified by (name, key_id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """``signature`` excludes the 4-byte key ID; ``message`` is the note text."""
        ...


@runtime_checkable
class Signer(Protocol):
    """Signs note texts with one key, identified by (name, key_id)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes:
        """Signature bytes (without the 4-byte key ID) over the note text."""
        ...


class Ed25519Verifier:
    """Ed25519 (signature type 0x01) note verifier."""

    sig_type = SIG_TYPE_ED25519

    def __init__(self, name: str, public_key: bytes | Ed25519PublicKey) -> None:
        check_key_name(name)
        if isinstance(public_key, Ed25519PublicKey):
            raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            raw = bytes(public_key)
        if len(raw) != 32:
            raise _err("khoá công khai Ed25519 phải dài 32 byte", "Ed25519 public key must be 32 bytes")
        self._name = name
        self._raw = raw
        self._key = Ed25519PublicKey.from_public_bytes(raw)
        self._key_id = key_id(name, self.sig_type, raw)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._raw

    @property
    def vkey(self) -> str:
        """``name+keyid+base64(type || public key)``."""
        return f"{self._name}+{self._key_id:08x}+{_b64(bytes([self.sig_type]) + self._raw)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519Verifier:
        name, kid, sig_type, key = _split_vkey(vkey)
        if sig_type != cls.sig_type or len(key) != 32:
            raise _err(
                f"khoá xác minh không phải kiểu {cls.sig_type:#04x}/Ed25519",
                f"verifier key is not of type {cls.sig_type:#04x} with a 32-byte Ed25519 key",
            )
        verifier = cls(name, key)
        if verifier.key_id != kid:
            raise _err("mã khoá trong khoá xác minh không khớp", "key ID in verifier key does not match the key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Ed25519Signer:
    """Ed25519 (signature type 0x01) note signer."""

    sig_type = SIG_TYPE_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey | bytes) -> None:
        check_key_name(name)
        if isinstance(private_key, Ed25519PrivateKey):
            key = private_key
        else:
            if len(private_key) != 32:
                raise _err("hạt giống Ed25519 phải dài 32 byte", "Ed25519 seed must be 32 bytes")
            key = Ed25519PrivateKey.from_private_bytes(bytes(private_key))
        self._name = name
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id(name, self.sig_type, self._public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self._name, self._public)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    @property
    def skey(self) -> str:
        """golang.org/x/mod/sumdb/note private key: ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)``."""
        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"PRIVATE+KEY+{self._name}+{self._key_id:08x}+{_b64(bytes([self.sig_type]) + seed)}"

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        """Parse golang's ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)`` format."""
        prefix = "PRIVATE+KEY+"
        if not skey.startswith(prefix):
            raise _err("khoá bí mật phải bắt đầu bằng PRIVATE+KEY+", "private key must start with PRIVATE+KEY+")
        name, kid, sig_type, seed = _split_vkey(skey[len(prefix) :])
        if sig_type != cls.sig_type or len(seed) != 32:
            raise _err("khoá bí mật không phải Ed25519", "private key is not an Ed25519 seed")
        signer = cls(name, seed)
        if signer.key_id != kid:
            raise _err("mã khoá trong khoá bí mật không khớp", "key ID in private key does not match the key")
        return signer

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


def _split_vkey(vkey: str) -> tuple[str, int, int, bytes]:
    """Split ``name+hex8+base64(type||key)``; returns (name, key_id, type, key material)."""
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise _err(f"khoá xác minh sai định dạng: {vkey!r}", f"malformed verifier key: {vkey!r}")
    name, hex_id, key_b64 = parts
    check_key_name(name)
    try:
        key = b64decode_strict(key_b64)
    except ValueError as exc:
        raise _err("khoá xác minh có base64 sai", f"verifier key has bad base64: {exc}") from exc
    if len(key) < 2:
        raise _err("khoá xác minh quá ngắn", "verifier key material is too short")
    return name, int(hex_id, 16), key[0], key[1:]


def parse_vkey(vkey: str) -> Ed25519Verifier:
    """Parse an Ed25519 (type 0x01) verifier key; raises :class:`NoteError` if malformed."""
    return Ed25519Verifier.from_vkey(vkey)


def generate_ed25519_key(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair as (``PRIVATE+KEY+…`` signer key, vkey)."""
    signer = Ed25519Signer(name, Ed25519PrivateKey.generate())
    return signer.skey, signer.vkey


# --------------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def to_line(self) -> str:
        """``— <name> <base64(key ID || signature)>\\n``."""
        return format_signature_line(self.name, self.key_id, self.signature)


def format_signature_line(name: str, kid: int, signature: bytes) -> str:
    check_key_name(name)
    return f"{_SIG_PREFIX}{name} {_b64(kid.to_bytes(4, 'big') + signature)}\n"


@dataclass(frozen=True)
class Note:
    """A syntactically valid signed note (signatures not verified)."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        """Serialise: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """The result of :func:`open_note`: the text, the verified and the ignored signatures."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def parse_note(note: str | bytes, *, max_signatures: int = DEFAULT_MAX_SIGNATURES) -> Note:
    """Parse a signed note without verifying it; raises :class:`NoteError` if malformed."""
    if isinstance(note, bytes | bytearray | memoryview):
        try:
            msg = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _err("không phải UTF-8 hợp lệ", "not valid UTF-8") from exc
    elif isinstance(note, str):
        msg = note
        try:
            msg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _err("không phải UTF-8 hợp lệ", "not valid UTF-8") from exc
    else:
        raise TypeError("note must be str or bytes")
    if _CONTROL.search(msg):
        raise _err("chứa ký tự điều khiển ASCII", "contains ASCII control characters other than newline")
    split = msg.rfind("\n\n")
    if split < 0:
        raise _err("thiếu dòng trống trước các chữ ký", "no blank line before the signatures")
    text, sig_block = msg[: split + 1], msg[split + 2 :]
    if not sig_block or not sig_block.endswith("\n"):
        raise _err("thiếu chữ ký hoặc không kết thúc bằng xuống dòng", "no signatures or missing final newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > max_signatures:
        raise _err(f"quá {max_signatures} chữ ký", f"more than {max_signatures} signatures")
    sigs: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise _err(f"dòng chữ ký sai định dạng: {line!r}", f"malformed signature line: {line!r}")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep:
            raise _err(f"dòng chữ ký sai định dạng: {line!r}", f"malformed signature line: {line!r}")
        check_key_name(name)
        try:
            raw = b64decode_strict(b64)
        except ValueError as exc:
            raise _err("chữ ký có base64 sai", f"signature has bad base64: {exc}") from exc
        if len(raw) < 5:
            raise _err("chữ ký quá ngắn", "signature is too short")
        sigs.append(NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return Note(text, tuple(sigs))


def open_note(
    note: str | bytes, verifiers: Iterable[Verifier], *, max_signatures: int = DEFAULT_MAX_SIGNATURES
) -> VerifiedNote:
    """Parse ``note`` and verify it with the known ``verifiers``.

    Signatures from unknown (name, key ID) pairs are ignored; any signature from a known key that
    fails to verify rejects the note; at least one known signature must verify. Raises
    :class:`NoteError`.
    """
    known: dict[tuple[str, int], Verifier] = {}
    for known_verifier in verifiers:
        known[(known_verifier.name, known_verifier.key_id)] = known_verifier
    parsed = parse_note(note, max_signatures=max_signatures)
    message = parsed.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in parsed.signatures:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if not v.verify(message, sig.signature):
            raise NoteError(
                f"Chữ ký của khoá đã biết {sig.name}+{sig.key_id:08x} không hợp lệ",
                f"Signature by known key {sig.name}+{sig.key_id:08x} does not verify",
            )
        if sig not in verified:
            verified.append(sig)
    if not verified:
        raise NoteError(
            "Ghi chú không có chữ ký hợp lệ nào của khoá tin cậy",
            "Note has no valid signature from a trusted key",
        )
    return VerifiedNote(parsed.text, tuple(verified), tuple(unverified))


def sign_note(text: str, signers: Sequence[Signer] | Signer, *, existing: Iterable[NoteSignature] = ()) -> str:
    """Sign ``text`` with each signer; ``existing`` signature lines are kept first."""
    check_note_text(text)
    if not isinstance(signers, Sequence):
        signers = [signers]
    if not signers and not existing:
        raise ValueError("at least one signer is required")
    message = text.encode("utf-8")
    sigs = list(existing)
    for s in signers:
        sigs.append(NoteSignature(s.name, s.key_id, s.sign(message)))
    return Note(text, tuple(sigs)).to_text()
