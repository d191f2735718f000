"""The issuer's trust list (``sogoc-trust-list/1``), read by third-party verifiers.

The issuer publishes it at ``/.well-known/sogoc-trust-list`` as a C2SP signed note whose text is one
line of RFC 8785 JSON, signed by its current log key. A verifier keeps a copy (that copy is its pin) and
reads from it:

* ``log_keys``: the log's verifier keys (every key of the history: old checkpoints stay verifiable); they
  sign the checkpoints and the status statements (:mod:`verifier.status_note`);
* ``issuers``: the **allow-list** of issuer addresses (``url``, ``ledger_origin``) whose public ledger a
  verifier may ask online (:mod:`verifier.online`); an address read from a QR code that is not listed is
  never contacted;
* ``witnesses``: the witnesses' cosignature keys; when any are listed, a checkpoint counts only with at
  least ``witness_quorum`` (default 1) valid cosignatures from them.

:meth:`TrustList.from_note` verifies the note with ``pinned`` vkeys when given (``--log-key``); without
them, with the log keys the list itself names: then the note only proves it was not corrupted, and the
trust comes from where you got the file. ``/.well-known/sogoc-trust-list.json`` (``{"list", "note"}``) is
accepted too (only its ``note`` is read).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from verifier.checkpoint import Ed25519CosignatureVerifier
from verifier.errors import VerifierError
from verifier.note import Ed25519Verifier, open_note, parse_note

__all__ = ["Issuer", "TrustList", "TrustListError", "normalize_issuer_url"]

TRUST_LIST_FORMAT = "sogoc-trust-list/1"
MAX_TRUST_LIST_BYTES = 1024 * 1024


class TrustListError(VerifierError):
    """The trust list cannot be read or verified."""

    code = "trust_list_invalid"


def _bad(vi: str, en: str) -> TrustListError:
    return TrustListError(f"Danh sách tin cậy không hợp lệ: {vi}", f"Invalid trust list: {en}")


def normalize_issuer_url(url: str) -> str | None:
    """``scheme://host[:port]`` lower-cased, with the default port dropped; ``None`` if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


@dataclass(frozen=True)
class Issuer:
    """An issuer on the allow-list: its public address and its ledger's origin."""

    url: str
    ledger_origin: str


@dataclass(frozen=True)
class TrustList:
    issuer_name: str
    ledger_origin: str
    log_keys: tuple[Ed25519Verifier, ...]
    issuers: tuple[Issuer, ...]
    witnesses: tuple[Ed25519CosignatureVerifier, ...] = ()
    witness_quorum: int = 0

    @classmethod
    def from_note(cls, note: str, pinned: Sequence[str] = ()) -> TrustList:
        try:
            text = parse_note(note).text
            doc = json.loads(text)
        except (VerifierError, ValueError) as e:
            raise _bad("không phải ghi chú ký số chứa JSON", f"not a signed note holding JSON ({e})") from e
        if not isinstance(doc, dict) or doc.get("format") != TRUST_LIST_FORMAT:
            raise _bad(f"không phải {TRUST_LIST_FORMAT}", f"not a {TRUST_LIST_FORMAT}")
        try:
            log_keys = tuple(Ed25519Verifier.from_vkey(str(k["vkey"])) for k in doc.get("log_keys", []))
            keys = [Ed25519Verifier.from_vkey(v) for v in pinned] if pinned else list(log_keys)
            open_note(note, keys)
        except (VerifierError, KeyError, TypeError) as e:
            vi, en = (e.vi, e.en) if isinstance(e, VerifierError) else ("khóa sổ cái", "log keys")
            raise _bad(
                f"chữ ký không kiểm tra được bằng khóa đã ghim ({vi})", f"not signed by a pinned key ({en})"
            ) from e
        origin = str(doc.get("ledger_origin") or "")
        issuers = []
        for item in doc.get("issuers", []):
            url = normalize_issuer_url(str(item.get("url", ""))) if isinstance(item, dict) else None
            if url is None:
                raise _bad(f"địa chỉ đơn vị cấp {item!r}", f"issuer address {item!r}")
            issuers.append(Issuer(url, str(item.get("ledger_origin") or origin)))
        try:
            witnesses = tuple(
                cast(Ed25519CosignatureVerifier, Ed25519CosignatureVerifier.from_vkey(str(v)))
                for v in doc.get("witnesses", [])
            )
        except VerifierError as e:
            raise _bad(f"khóa nhân chứng ({e.vi})", f"witness key ({e.en})") from e
        quorum = doc.get("witness_quorum", 1 if witnesses else 0)
        if isinstance(quorum, bool) or not isinstance(quorum, int) or not 0 <= quorum <= len(witnesses):
            raise _bad("witness_quorum", "witness_quorum")
        return cls(str(doc.get("issuer") or ""), origin, log_keys, tuple(issuers), witnesses, quorum)

    @classmethod
    def load(cls, path: str | Path, pinned: Sequence[str] = ()) -> TrustList:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_TRUST_LIST_BYTES:
                raise _bad("quá lớn", "too large")
            raw = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise TrustListError(
                f"Không đọc được danh sách tin cậy {p}: {e}.",
                f"Cannot read the trust list {p}: {e}.",
                code="trust_list_unreadable",
            ) from e
        if "\n\n\u2014 " not in raw:  # not a signed note: the .json form {"list": …, "note": …}
            try:
                doc: Any = json.loads(raw)
                raw = str(doc["note"])
            except (ValueError, KeyError, TypeError) as e:
                raise _bad("tệp JSON không có trường note", "the JSON file has no note") from e
        return cls.from_note(raw, pinned)

    def issuer_for(self, url: str) -> Issuer | None:
        """The allow-listed issuer at ``url`` (any path on it), or ``None``: never contact an unlisted one."""
        base = normalize_issuer_url(url)
        return next((i for i in self.issuers if i.url == base), None) if base else None
