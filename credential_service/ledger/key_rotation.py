"""Service keys and their rotation: the QR payload key and the ledger's log key; the signed trust list.

Rotation writes a new key where the settings point (``SOGOC_QR_KEY_PATH``, ``SOGOC_LEDGER_KEY_PATH``),
keeps the old private key in an ``archive/`` folder next to it (for the record, never used again) and
its public half in the published lists with its validity, and records the rotation in the ledger as a
``key-rotated`` entry committing to the rotation record (kept in ``service_keys``):

* **QR key**: the old key becomes ``retired`` with ``not_after`` = the rotation time, so it keeps
  verifying every payload it signed before (``verifier.qr``); the new key is ``active`` from then.
  The key list (``keys.json``) is rewritten; ``/.well-known/sogoc-keys.json`` serves it.
* **Log key**: the checkpoint that includes the ``key-rotated`` entry is signed by the old *and* the new
  key (a verifier that knows either follows the hand-over); later checkpoints by the new key. The log
  keys' history (``log-keys.json`` next to the key) lists each vkey with its validity.

The **trust list** (``sogoc-trust-list/1``) gathers the QR keys, the log keys, the issuers' public
addresses (the allow-list third-party verifiers ask, :mod:`verifier.trust_list`), the witnesses' keys and
the certificates declared compromised; it is published at ``/.well-known/sogoc-trust-list`` as a C2SP signed note
(RFC 8785 JSON on one line) signed by the current log key, so third parties can check it offline.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from sqlalchemy import select

from credential_service.ledger import service as ledger_service
from credential_service.ledger import storage as ledger
from credential_service.ledger.log_keys import load_log_signer, log_keys_path, log_verifiers, read_log_keys
from credential_service.ledger.tables import LedgerCheckpoint, ServiceKey
from credential_service.platform.canonical import sha256_hex
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, Message
from credential_service.platform.settings import Settings
from credential_service.signers.tables import SignerCertificate
from signing.qr_payload import QrSigningKey, generate_qr_key, load_qr_signing_key
from verifier.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from verifier.errors import VerifierError
from verifier.note import Ed25519Signer, Ed25519Verifier, generate_ed25519_key, open_note, sign_note
from verifier.qr import QrKey, QrKeyList

TRUST_LIST_FORMAT = "sogoc-trust-list/1"
LOG_KEYS_FORMAT = "sogoc-log-keys/1"


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None


def _write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    if mode is not None:
        tmp.chmod(mode)
    os.replace(tmp, path)


class KeyRotationService:
    def __init__(self, db: Database, settings: Settings, *, clock: Clock | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()

    def _second(self) -> datetime:
        """Now, in whole seconds (rotation times are kept to the second)."""
        return self.clock.now().replace(microsecond=0)

    def _record(self, session: Any, purpose: str, record: dict[str, Any], kid: str, at: datetime) -> int:
        """Append the ``key-rotated`` entry for ``record`` and return its sequence number."""
        raw = rfc8785.dumps(record)
        salt = secrets.token_hex(32)
        entry = ledger.append_many(
            session,
            [
                ledger.LeafEvent(
                    kind="key-rotated",
                    credential_id=f"key:{purpose}:{kid}"[:36],
                    record_sha256=sha256_hex(raw),
                    salt=salt,
                    pdf_sha256=None,
                    register_no=None,
                    amends_seq=None,
                    time=at,
                )
            ],
        )[0]
        session.add(
            ServiceKey(
                id=f"{purpose}:{kid}",
                purpose=purpose,
                kid=kid,
                public_key=record["new_public_key"],
                not_before=at,
                not_after=datetime.fromisoformat(record["new_not_after"].replace("Z", "+00:00"))
                if record.get("new_not_after")
                else None,
                status="active",
                record_json=raw.decode("utf-8"),
                salt=salt,
                ledger_seq=entry.seq,
                created_at=at,
            )
        )
        return entry.seq

    @staticmethod
    def _retire(session: Any, purpose: str, kid: str, public_key: str, at: datetime) -> None:
        row = session.get(ServiceKey, f"{purpose}:{kid}")
        if row is None:  # the key in use before the registry existed
            row = ServiceKey(
                id=f"{purpose}:{kid}", purpose=purpose, kid=kid, public_key=public_key,
                not_before=datetime(2020, 1, 1, tzinfo=UTC), record_json="{}", salt="", created_at=at,
            )  # fmt: skip
            session.add(row)
        row.status, row.not_after = "retired", at

    # -- QR payload key -------------------------------------------------------------------------
    def rotate_qr(self, *, at: datetime | None = None, valid_years: int = 5) -> dict[str, Any]:
        at = (at or self._second()).astimezone(UTC)
        key_path, list_path = self.settings.qr_key_path, self.settings.qr_key_list_path
        assert key_path is not None and list_path is not None
        old = QrSigningKey.from_pem(key_path.read_bytes())
        keys = QrKeyList.load(list_path)
        new, pem = generate_qr_key()
        new_entry = QrKey.from_public_key(
            new.private_key.public_key(), not_before=at, not_after=at + timedelta(days=365 * valid_years),
            issuer=keys.issuer,
        )  # fmt: skip
        entries = []
        for k in keys.keys:
            if k.kid == old.kid and k.status == "active":
                k = replace(k, status="retired", not_after=min(k.not_after or at, at))
            entries.append(k)
        entries.append(new_entry)
        doc = QrKeyList(tuple(entries), issuer=keys.issuer).to_dict()
        new_dict = new_entry.to_dict()
        record = {
            "format": "sogoc-key-rotation/1",
            "purpose": "qr",
            "at": _iso(at),
            "old_kid": old.kid.hex(),
            "new_kid": new.kid.hex(),
            "new_public_key": new_dict["public_key"],
            "new_not_after": new_dict["not_after"],
        }
        old_public = QrKey.from_public_key(old.private_key.public_key()).to_dict()["public_key"]
        with self.db.transaction() as session:
            self._retire(session, "qr", old.kid.hex(), old_public, at)
            seq = self._record(session, "qr", record, new.kid.hex(), at)
            ledger_service.publish_in_transaction(session, self.settings, at=self.clock.now())
            archive = key_path.parent / "archive" / f"qr-{old.kid.hex()}.key"
            _write_atomic(archive, key_path.read_bytes(), 0o600)
            _write_atomic(list_path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
            _write_atomic(key_path, pem, 0o600)
        load_qr_signing_key.cache_clear()
        return {**record, "ledger_seq": seq, "key_list": str(list_path), "archived": str(archive)}

    # -- ledger log key -------------------------------------------------------------------------
    def rotate_log(self, *, at: datetime | None = None) -> dict[str, Any]:
        at = (at or self._second()).astimezone(UTC)
        key_path = self.settings.ledger_key_path
        origin = self.settings.ledger_origin
        old = load_log_signer(key_path)
        history = read_log_keys(self.settings)
        skey, vkey = generate_ed25519_key(origin)
        new = Ed25519Signer.from_skey(skey)
        for k in history:
            if k["vkey"] == old.vkey and k.get("status") == "active":
                k["status"], k["not_after"] = "retired", _iso(at)
        history.append({"vkey": vkey, "key_id": f"{new.key_id:08x}", "not_before": _iso(at), "not_after": None,
                        "status": "active"})  # fmt: skip
        record = {
            "format": "sogoc-key-rotation/1",
            "purpose": "log",
            "at": _iso(at),
            "old_kid": f"{old.key_id:08x}",
            "new_kid": f"{new.key_id:08x}",
            "old_public_key": old.vkey,
            "new_public_key": vkey,
            "new_not_after": None,
        }
        with self.db.transaction() as session:
            self._retire(session, "log", f"{old.key_id:08x}", old.vkey, at)
            seq = self._record(session, "log", record, f"{new.key_id:08x}", at)
            # the hand-over checkpoint, signed by the old and the new key
            ledger.lock(session)
            size = ledger.tree_size(session)
            root = ledger.root_hash(session, size)
            note = sign_checkpoint(Checkpoint(origin, size, root), [old, new])
            session.add(LedgerCheckpoint(size=size, root_hash=root, note_text=note, created_at=at))
            session.flush()
            archive = key_path.parent / "archive" / f"log-{old.key_id:08x}.key"
            _write_atomic(archive, key_path.read_bytes(), 0o600)
            _write_atomic(
                log_keys_path(self.settings),
                (json.dumps({"format": LOG_KEYS_FORMAT, "origin": origin, "keys": history}, indent=2) + "\n").encode(),
            )
            _write_atomic(key_path, (skey + "\n").encode("ascii"), 0o600)
            _write_atomic(key_path.with_suffix(".vkey"), (vkey + "\n").encode("ascii"))
        ledger_service._publisher.cache_clear()  # the next checkpoint is signed with the new key
        return {**record, "ledger_seq": seq, "handover_checkpoint": note}

    # -- audit of the checkpoint signatures across rotations ------------------------------------
    def checkpoint_signatures(self) -> list[dict[str, Any]]:
        """Every stored checkpoint opened with the log key(s) valid when it was made; failures listed."""
        keys = log_verifiers(self.settings)
        bad = []
        with self.db.reader() as session:
            for row in session.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)).scalars():
                made = row.created_at
                # rotation times are kept in whole seconds: allow the second in which the key was retired
                valid = [
                    v
                    for v, nb, na in keys
                    if (nb is None or nb <= made) and (na is None or made < na + timedelta(seconds=1))
                ]
                try:
                    open_checkpoint(row.note_text, valid, self.settings.ledger_origin)
                except VerifierError as e:
                    bad.append({"size": row.size, "error": e.en})
        return bad

    # -- trust list ----------------------------------------------------------------------------
    def trust_list(self) -> dict[str, Any]:
        assert self.settings.qr_key_list_path is not None
        qr = QrKeyList.load(self.settings.qr_key_list_path).to_dict()
        with self.db.reader() as session:
            compromised = [
                {
                    "sha256": c.sha256,
                    "serial": c.serial_hex,
                    "subject": c.subject,
                    "issuer": c.issuer,
                    "compromised_at": _iso(c.compromised_at),
                    "revoked_at": _iso(c.revoked_at),
                }
                for c in session.execute(
                    select(SignerCertificate)
                    .where(SignerCertificate.compromised_at.is_not(None))
                    .order_by(SignerCertificate.sha256)
                ).scalars()
            ]
        return {
            "format": TRUST_LIST_FORMAT,
            "issuer": qr.get("issuer", ""),
            "issued_at": _iso(self._second()),
            "ledger_origin": self.settings.ledger_origin,
            "qr_keys": qr["keys"],
            "log_keys": read_log_keys(self.settings),
            # the issuers whose public ledger a verifier may ask (verifier.trust_list: an allow-list), and the
            # witnesses whose cosignatures a verifier requires on their checkpoints
            "issuers": [
                {"url": self.settings.public_base_url.rstrip("/"), "ledger_origin": self.settings.ledger_origin}
            ],
            "witnesses": [v.strip() for v in self.settings.ledger_witness_vkeys],
            "compromised_certificates": compromised,
        }

    def signed_trust_list(self) -> str:
        """The trust list as a signed note: canonical JSON on one line, signed by the current log key."""
        signer = load_log_signer(self.settings.ledger_key_path)
        text = rfc8785.dumps(self.trust_list()).decode("utf-8") + "\n"
        return sign_note(text, signer)


def open_trust_list(note: str, vkeys: list[str]) -> dict[str, Any]:
    """Verify a signed trust list with log key(s) you trust and return its content."""
    try:
        opened = open_note(note, [Ed25519Verifier.from_vkey(v) for v in vkeys])
    except VerifierError as e:
        raise ConfigurationError(
            Message(f"Danh sách tin cậy không hợp lệ: {e.vi}", f"Invalid trust list: {e.en}")
        ) from e
    doc = json.loads(opened.text)
    if doc.get("format") != TRUST_LIST_FORMAT:
        raise ConfigurationError(Message("Sai định dạng danh sách tin cậy.", "Not a sogoc trust list."))
    return dict(doc)


__all__ = [
    "KeyRotationService",
    "log_verifiers",
    "open_trust_list",
    "read_log_keys",
]
