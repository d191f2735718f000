"""C2SP tlog-checkpoint (v1.0.0) and Ed25519 tlog-cosignature (v1, signature type 0x04).

A checkpoint is the text of a signed note::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 root hash>
    [<extension line>...]

:func:`sign_checkpoint` signs it as a note (the log key name SHOULD equal the origin);
:func:`open_checkpoint` verifies the note with the log's verifier keys and checks the origin.

A cosignature (https://c2sp.org/tlog-cosignature) is a note signature whose bytes are
``key ID(4) || u64 big-endian timestamp || Ed25519 signature(64)`` over::

    cosignature/v1
    time <timestamp>
    <checkpoint note text>

with key ID ``SHA-256(name || "\\n" || 0x04 || public key)[:4]``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.clock import SystemClock
from verifier.errors import CheckpointError, NoteError
from verifier.merkle import EMPTY_ROOT, HASH_SIZE
from verifier.note import (
    Ed25519Signer,
    Ed25519Verifier,
    NoteSignature,
    Signer,
    Verifier,
    b64decode_strict,
    open_note,
    parse_note,
    sign_note,
)

__all__ = [
    "COSIGNATURE_V1_HEADER",
    "SIG_TYPE_COSIGNATURE_ED25519",
    "Checkpoint",
    "Ed25519CosignatureSigner",
    "Ed25519CosignatureVerifier",
    "cosign_checkpoint",
    "cosignature_message",
    "cosignature_timestamp",
    "open_checkpoint",
    "sign_checkpoint",
    "verify_cosignatures",
]

SIG_TYPE_COSIGNATURE_ED25519 = 0x04
COSIGNATURE_V1_HEADER = "cosignature/v1\n"
_MAX_SIZE = (1 << 64) - 1
_MAX_SIZE_DIGITS = len(str(_MAX_SIZE))
_MAX_TIMESTAMP = (1 << 63) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f]")


def _err(vi: str, en: str) -> CheckpointError:
    return CheckpointError("Checkpoint không hợp lệ: " + vi, "Invalid checkpoint: " + en)


def _is_utf8(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8 (a ``str`` with lone surrogates cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or _CONTROL.search(self.origin):
            raise _err("dòng nguồn gốc rỗng hoặc chứa ký tự điều khiển", "origin is empty or has control chars")
        if not _is_utf8(self.origin):
            raise _err("dòng nguồn gốc không phải UTF-8 hợp lệ", "origin is not valid UTF-8")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= _MAX_SIZE:
            raise _err("kích thước cây không hợp lệ", "tree size must be an int in [0, 2^64)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise _err("mã băm gốc phải dài 32 byte", "root hash must be 32 bytes")
        if self.size == 0 and self.root_hash != EMPTY_ROOT:
            raise _err('cây rỗng phải có mã băm SHA-256("")', 'an empty tree must have root SHA-256("")')
        for line in self.extensions:
            if not isinstance(line, str) or not line or _CONTROL.search(line):
                raise _err("dòng mở rộng rỗng hoặc chứa ký tự điều khiển", "extension line empty or has controls")
            if not _is_utf8(line):
                raise _err("dòng mở rộng không phải UTF-8 hợp lệ", "extension line is not valid UTF-8")

    def to_note_text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in ``\\n``."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note *text* (not the signed note); raises :class:`CheckpointError`."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise _err("văn bản phải kết thúc bằng xuống dòng", "text must end with a newline")
        if not _is_utf8(text):
            raise _err("văn bản không phải UTF-8 hợp lệ", "text is not valid UTF-8")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _err("cần ít nhất ba dòng", "at least three lines are required")
        if any(not line for line in lines):
            raise _err("có dòng rỗng", "empty line in checkpoint text")
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line):
            raise _err(f"kích thước cây không hợp lệ: {size_line!r}", f"bad tree size line: {size_line!r}")
        # Count the digits first: int() refuses more than 4300 of them with a ValueError.
        if len(size_line) > _MAX_SIZE_DIGITS or int(size_line) > _MAX_SIZE:
            raise _err("kích thước cây quá lớn", "tree size does not fit in 64 bits")
        size = int(size_line)
        try:
            root = b64decode_strict(root_line)
        except ValueError as exc:
            raise _err("mã băm gốc có base64 sai", f"bad root hash base64: {exc}") from exc
        return cls(origin, size, root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: Signer | Sequence[Signer]) -> str:
    """The signed note of ``cp`` (one signature line per signer)."""
    return sign_note(cp.to_note_text(), signer)


def open_checkpoint(note_text: str | bytes, verifiers: Iterable[Verifier], origin: str) -> Checkpoint:
    """Verify a signed checkpoint with the log's ``verifiers`` and check its ``origin``.

    Raises :class:`NoteError` if no trusted signature verifies and :class:`CheckpointError` if the
    text is not a checkpoint for ``origin``.
    """
    opened = open_note(note_text, verifiers)
    cp = Checkpoint.parse(opened.text)
    if cp.origin != origin:
        raise _err(
            f"nguồn gốc {cp.origin!r} khác với {origin!r} được mong đợi",
            f"origin {cp.origin!r} is not the expected {origin!r}",
        )
    return cp


# --------------------------------------------------------------------------------------------------
# tlog-cosignature v1, Ed25519 (type 0x04)


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """``cosignature/v1\\ntime <timestamp>\\n<checkpoint text>`` as bytes."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise _err("dấu thời gian không hợp lệ", "timestamp must be in [0, 2^63)")
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosignature_timestamp(signature: NoteSignature | bytes) -> int:
    """The timestamp of a cosignature (signature bytes after the key ID)."""
    raw = signature.signature if isinstance(signature, NoteSignature) else signature
    if len(raw) < 8:
        raise _err("chữ ký đồng ký quá ngắn", "cosignature too short")
    return int.from_bytes(raw[:8], "big")


class Ed25519CosignatureVerifier(Ed25519Verifier):
    """Verifies Ed25519 cosignatures (type 0x04) in the :class:`~verifier.note.Verifier` interface."""

    sig_type = SIG_TYPE_COSIGNATURE_ED25519

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        ts = int.from_bytes(signature[:8], "big")
        if ts > _MAX_TIMESTAMP:
            return False
        try:
            text = message.decode("utf-8")
            Checkpoint.parse(text)
        except (UnicodeDecodeError, CheckpointError):
            return False
        return super().verify(cosignature_message(text, ts), signature[8:])


def _system_seconds() -> float:
    return SystemClock().now().timestamp()


class Ed25519CosignatureSigner(Ed25519Signer):
    """Produces Ed25519 cosignatures (type 0x04): ``u64 timestamp || signature``.

    ``clock`` returns the current POSIX time in seconds (default: the wall clock of
    :class:`verifier.clock.SystemClock`).
    """

    sig_type = SIG_TYPE_COSIGNATURE_ED25519

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey | bytes,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(name, private_key)
        self._clock = clock or _system_seconds

    def sign(self, message: bytes) -> bytes:
        text = message.decode("utf-8")
        Checkpoint.parse(text)  # a cosigner only signs checkpoints
        ts = int(self._clock())
        return ts.to_bytes(8, "big") + super().sign(cosignature_message(text, ts))

    def verifier(self) -> Ed25519CosignatureVerifier:
        return Ed25519CosignatureVerifier(self.name, self.public_key)


def cosign_checkpoint(note_text: str, cosigner: Signer) -> str:
    """The cosignature line ``— <name> <base64>`` for a signed (or bare) checkpoint.

    The caller is responsible for having verified the log signature and consistency first.
    """
    try:
        text = parse_note(note_text).text
    except NoteError:
        text = note_text
    Checkpoint.parse(text)
    return NoteSignature(cosigner.name, cosigner.key_id, cosigner.sign(text.encode("utf-8"))).to_line()


def verify_cosignatures(note_text: str | bytes, cosigners: Iterable[Ed25519CosignatureVerifier]) -> dict[str, int]:
    """Valid cosignatures from known ``cosigners``, as ``{cosigner name: timestamp}``.

    Unknown signature lines (including the log's own) are ignored; a line from a known cosigner
    that fails to verify raises :class:`CheckpointError`. The log signature is *not* checked here:
    use :func:`open_checkpoint` for that.
    """
    note = parse_note(note_text)
    Checkpoint.parse(note.text)
    known = {(c.name, c.key_id): c for c in cosigners}
    message = note.text.encode("utf-8")
    out: dict[str, int] = {}
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, sig.signature):
            raise _err(f"đồng chữ ký của {sig.name} không hợp lệ", f"cosignature by {sig.name} does not verify")
        out[sig.name] = cosignature_timestamp(sig)
    return out
