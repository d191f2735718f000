"""DEV/TEST ONLY: the runtime state of the ``sogoc-dev`` issuing CA, kept per database.

The dev CA issues certificates at runtime (``sogoc keys issue|renew``, ``devca:<label>`` signers) and
revokes them (``sogoc keys revoke``, the API). Its state — the keys and certificates it issued and their
revocations — lives **with the database it serves**: :func:`dev_ca_state_dir` derives a directory from the
database URL (beside an SQLite file, ``<file>.devca``; else under :data:`DEV_CA_STATE_DIR`). A fresh
database starts with a fresh dev CA state, whatever another database revoked.

The OCSP responder and CRLs of the dev PKI server answer every process on one port, and an OCSP request
does not say which database asked. Design: revocation *state* is per database, and the server looks it up
per request in the scopes the requesting processes registered (:data:`DEV_CA_SCOPES_DIR`, one small file per
state directory, written when a :class:`DevCaRegistry` records something):

* certificates the dev CA issues at runtime get random 159-bit serial numbers, so a serial belongs to the
  one database that issued it: looking it up in every registered scope finds only that database's status,
  and a revocation there can never touch another database's certificates;
* the committed certificates of ``keys/dev/certomancer.yml`` (sequential serials, shared by every
  database, used by ``sogoc demo``) are answered from the configuration alone: a revocation of one of them
  through the API is recorded in that database's signer registry (``signer_certificates.revoked_at``,
  refused there before signing) and is **not** published to the shared OCSP/CRL. Publishing it was what
  let one revocation break ``sogoc demo`` for every later database in the checkout.

A per-request lookup keeps the server stateless: whichever process serves the port (see
``signing/devpki.py``, which hands the server over when its owner exits) gives the same answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from verifier.clock import SystemClock

__all__ = [
    "DEV_CA_SCOPES_DIR",
    "DEV_CA_STATE_DIR",
    "DevCaRegistry",
    "DevCaScopes",
    "DevCaStatus",
    "dev_ca_state_dir",
    "install_runtime_revocation",
]

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Dev CA state of databases that are not SQLite files (one subdirectory per database URL).
DEV_CA_STATE_DIR = Path(os.environ.get("SOGOC_DEV_CA_DIR") or REPO_ROOT / "var" / "devca")
# The scopes (dev CA state directories) the dev PKI server consults: one file per directory, naming it.
DEV_CA_SCOPES_DIR = Path(
    os.environ.get("SOGOC_DEV_CA_SCOPES") or Path(tempfile.gettempdir()) / f"sogoc-devca-{os.getuid()}" / "scopes"
)


def dev_ca_state_dir(database_url: str, root: Path | None = None) -> Path:
    """The dev CA state directory of one database.

    An SQLite file ``x.db``: ``x.db.devca`` beside it (it lives and goes with the database). Any other
    database: ``<root>/<driver>-<name>-<hash>`` (the hash of the URL without its password).
    """
    root = root if root is not None else DEV_CA_STATE_DIR
    url = database_url.strip()
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:" and not path.startswith("file::memory:"):
            db = Path(path).resolve()
            return db.with_name(db.name + ".devca")
    public = re.sub(r"://([^:/@]*):[^@/]*@", r"://\1@", url)
    driver = re.sub(r"[^a-z0-9]+", "-", url.split(":", 1)[0].lower()).strip("-") or "db"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", public.rsplit("/", 1)[-1].split("?", 1)[0])[:40].strip("-.") or "memory"
    return root / f"{driver}-{name}-{hashlib.sha256(public.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class DevCaStatus:
    serial: int
    subject: str
    issued_at: datetime
    revoked_at: datetime | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "serial": format(self.serial, "x"),
            "subject": self.subject,
            "issued_at": self.issued_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DevCaStatus:
        return cls(
            serial=int(d["serial"], 16),
            subject=str(d["subject"]),
            issued_at=datetime.fromisoformat(d["issued_at"]),
            revoked_at=datetime.fromisoformat(d["revoked_at"]) if d.get("revoked_at") else None,
            reason=d.get("reason"),
        )


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class DevCaRegistry:
    """DEV/TEST ONLY: the dev issuing CA's certificates and revocations of one database (one directory).

    Files are written atomically (temp file + rename), one per serial, so concurrent processes never corrupt
    each other. Recording anything registers the directory in :data:`DEV_CA_SCOPES_DIR`, where the dev PKI
    server finds it.
    """

    def __init__(self, root: str | os.PathLike[str], *, scopes_dir: Path | None = None, register: bool = True) -> None:
        self.root = Path(root)
        self.scopes_dir = scopes_dir if scopes_dir is not None else DEV_CA_SCOPES_DIR
        if register and (self.root / "status").is_dir():
            self.register()  # the registration may be gone (a cleaned temp dir) while the state stays

    def register(self) -> None:
        """Make this scope known to the dev PKI server (idempotent)."""
        resolved = str(self.root.resolve())
        entry = self.scopes_dir / hashlib.sha256(resolved.encode()).hexdigest()[:32]
        if not entry.exists():
            _write_atomic(entry, resolved)

    def _path(self, serial: int) -> Path:
        return self.root / "status" / f"{serial:x}.json"

    def _write(self, status: DevCaStatus) -> None:
        _write_atomic(self._path(status.serial), json.dumps(status.to_dict(), ensure_ascii=False))
        self.register()

    def record_issued(self, serial: int, subject: str, issued_at: datetime) -> DevCaStatus:
        status = DevCaStatus(serial, subject, issued_at)
        self._write(status)
        return status

    def revoke(self, serial: int, at: datetime, reason: str = "unspecified", subject: str = "") -> DevCaStatus:
        old = self.lookup(serial)
        status = DevCaStatus(serial, old.subject if old else subject, old.issued_at if old else at, at, reason)
        self._write(status)
        return status

    def lookup(self, serial: int) -> DevCaStatus | None:
        try:
            raw = self._path(serial).read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            return DevCaStatus.from_dict(json.loads(raw))
        except (ValueError, KeyError):
            logger.warning("dev CA: unreadable status file for serial %x", serial)
            return None

    def revocations(self) -> Iterator[DevCaStatus]:
        folder = self.root / "status"
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.json")):
            with contextlib.suppress(ValueError):
                status = self.lookup(int(path.stem, 16))
                if status is not None and status.revoked_at is not None:
                    yield status


class DevCaScopes:
    """The dev PKI server's view: the status of a runtime serial in whichever registered scope issued it."""

    def __init__(self, scopes_dir: Path | None = None) -> None:
        self.scopes_dir = scopes_dir if scopes_dir is not None else DEV_CA_SCOPES_DIR
        self._cache: tuple[int, list[Path]] | None = None
        self._lock = threading.Lock()

    def roots(self) -> list[Path]:
        """The registered state directories (re-read when an entry is added; entries of deleted ones dropped)."""
        try:
            stamp = self.scopes_dir.stat().st_mtime_ns
        except OSError:
            return []
        with self._lock:
            if self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]
            roots: list[Path] = []
            for entry in sorted(self.scopes_dir.iterdir()):
                if entry.name.endswith(".tmp"):
                    continue
                with contextlib.suppress(OSError):
                    root = Path(entry.read_text(encoding="utf-8").strip())
                    if root.is_dir():
                        roots.append(root)
                    else:
                        entry.unlink()
            self._cache = (stamp, roots)
            return roots

    def lookup(self, serial: int) -> DevCaStatus | None:
        for root in self.roots():
            status = DevCaRegistry(root, scopes_dir=self.scopes_dir, register=False).lookup(serial)
            if status is not None:
                return status
        return None

    def revocations(self) -> Iterator[DevCaStatus]:
        seen: set[int] = set()
        for root in self.roots():
            for status in DevCaRegistry(root, scopes_dir=self.scopes_dir, register=False).revocations():
                if status.serial not in seen:
                    seen.add(status.serial)
                    yield status


def _revoked_info(status: DevCaStatus) -> Any:
    from asn1crypto import crl, ocsp

    info = {"revocation_time": status.revoked_at, "revocation_reason": crl.CRLReason(status.reason or "unspecified")}
    return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))


class _ScopedRevInfo:
    """Wraps certomancer's OCSP revocation interface: the committed certificates are answered from the
    configuration; any other serial from the scope that issued it at runtime."""

    def __init__(self, inner: Any, scopes: DevCaScopes) -> None:
        self.inner = inner
        self.scopes = scopes

    def get_issuer_cert(self) -> Any:
        return self.inner.get_issuer_cert()

    def check_revocation_status(self, cid: Any, at_time: datetime) -> tuple[Any, list[Any]]:
        from asn1crypto import ocsp

        try:
            known: tuple[Any, list[Any]] = self.inner.check_revocation_status(cid, at_time)
            return known
        except Exception:
            status = self.scopes.lookup(int(cid["serial_number"].native))
            if status is None:
                raise  # neither configured nor issued at runtime: certomancer's "unknown"
        if status.revoked_at is not None and status.revoked_at <= at_time:
            return _revoked_info(status), []
        return ocsp.CertStatus("good"), []


def install_runtime_revocation(arch: Any, scopes: DevCaScopes, issuer: str = "issuing") -> None:
    """Make the arch's OCSP responders and CRLs for ``issuer`` answer for runtime-issued serials too."""
    from asn1crypto import crl, x509

    services = arch.service_registry
    summon = services.summon_responder

    def summon_responder(label: Any, at_time: Any = None) -> Any:
        responder = summon(label, at_time)
        responder.revinfo_interface = _ScopedRevInfo(responder.revinfo_interface, scopes)
        return responder

    services.summon_responder = summon_responder
    revoked_at_time = arch.get_revoked_certs_at_time
    configured: set[int] = set()

    def get_revoked_certs_at_time(at_time: datetime, crl_info: Any) -> Iterator[Any]:
        yield from revoked_at_time(at_time, crl_info)
        if str(crl_info.for_issuer) != issuer:
            return
        if not configured:
            for label, specs in arch.enumerate_certs_by_issuer():
                if str(label) == issuer:
                    configured.update(arch.get_cert(spec.label).serial_number for spec in specs)
        # certomancer dates a CRL at the start of its simulated update period; a runtime revocation is
        # published at once (the CRL lists it although its thisUpdate is earlier), like a CA that
        # re-issues its CRL on every revocation.
        now = SystemClock().now()
        for status in scopes.revocations():
            if status.serial in configured or status.revoked_at is None or status.revoked_at > max(at_time, now):
                continue
            yield crl.RevokedCertificate(
                {
                    "user_certificate": status.serial,
                    "revocation_date": x509.Time(name="utc_time", value=status.revoked_at),
                    "crl_entry_extensions": [
                        {"extn_id": "crl_reason", "critical": False, "extn_value": status.reason or "unspecified"}
                    ],
                }
            )

    arch.get_revoked_certs_at_time = get_revoked_certs_at_time
