"""The population-registry port: does the national population database confirm these identity fields?

The Sở is a state agency and may *verify* identity fields (PIN, name, date of birth, sex) against the
national population database for its education-management functions (Law on Identification 2023;
Decree 70/2024 Art. 17(1)(a)), through the provincial data-sharing platform. The port asks match /
mismatch per field — never "give me the record" (data minimisation, PDPL 91/2025).

* :class:`DevPopulationRegistry` — DEV ONLY: answers from the ``registry_citizens`` table of
  synthetic citizens.
* :class:`HttpPopulationRegistry` — production: ``POST {url}`` with the query as JSON, answer
  ``{"found": bool, "fields": {"full_name": "match"|"mismatch", ...}}``; a timeout per attempt,
  retries with backoff on connection errors, timeouts and 5xx, then a clear 503
  (:class:`ServiceUnavailable`). The personal ID number is never logged.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from sqlalchemy import select

from credential_service.holders.identity_rules import normalise_sex
from credential_service.holders.tables import RegistryCitizen
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, Message, ServiceUnavailable
from credential_service.platform.registry_http import post_with_retries

log = logging.getLogger(__name__)

FIELDS = ("full_name", "date_of_birth", "sex")
Verdict = Literal["match", "mismatch"]


@dataclass(frozen=True)
class RegistryQuery:
    pin: str
    full_name: str
    date_of_birth: date
    sex: str

    def __repr__(self) -> str:  # never print the number
        return "RegistryQuery(pin=***, …)"


@dataclass(frozen=True)
class RegistryAnswer:
    found: bool
    fields: dict[str, Verdict]

    @property
    def matches(self) -> bool:
        return self.found and all(v == "match" for v in self.fields.values())

    def to_dict(self) -> dict[str, object]:
        return {"found": self.found, "fields": dict(self.fields), "matches": self.matches}


class PopulationRegistry(Protocol):
    def verify(self, query: RegistryQuery) -> RegistryAnswer: ...


def name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def compare(query: RegistryQuery, full_name: str, date_of_birth: date, sex: str) -> dict[str, Verdict]:
    return {
        "full_name": "match" if name_key(query.full_name) == name_key(full_name) else "mismatch",
        "date_of_birth": "match" if query.date_of_birth == date_of_birth else "mismatch",
        "sex": "match" if normalise_sex(query.sex) == normalise_sex(sex) else "mismatch",
    }


class DevPopulationRegistry:
    """DEV ONLY: a table of synthetic citizens."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, citizens: Iterable[tuple[str, str, date, str]]) -> int:
        """Add synthetic citizens (pin, full name, date of birth, sex); existing numbers are kept."""
        n = 0
        with self.db.transaction() as session:
            for pin, full_name, dob, sex in citizens:
                if session.get(RegistryCitizen, pin) is None:
                    session.add(
                        RegistryCitizen(
                            pin=pin, full_name=full_name, date_of_birth=dob, sex=normalise_sex(sex), alive=1
                        )
                    )
                    n += 1
        return n

    def verify(self, query: RegistryQuery) -> RegistryAnswer:
        with self.db.reader() as session:
            row = session.execute(select(RegistryCitizen).where(RegistryCitizen.pin == query.pin)).scalar_one_or_none()
        if row is None:
            return RegistryAnswer(False, {})
        return RegistryAnswer(True, compare(query, row.full_name, row.date_of_birth, row.sex))


def _unavailable(detail: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        Message(
            "Không kết nối được CSDL quốc gia về dân cư; chưa xác minh được danh tính. Vui lòng thử lại sau.",
            "The national population database cannot be reached; identity could not be verified. Try again later.",
        ),
        hint=Message(f"Chi tiết kỹ thuật: {detail}", f"Technical detail: {detail}"),
        retry_after=30,
    )


class HttpPopulationRegistry:
    """Production adapter over HTTP (JSON). Timeouts per attempt, bounded retries, then 503."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.2,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(
                Message(f"Địa chỉ CSDL dân cư không hợp lệ: {url}", f"Invalid population registry URL: {url}")
            )
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        self._sleep = sleep

    def verify(self, query: RegistryQuery) -> RegistryAnswer:
        body = json.dumps(
            {
                "pin": query.pin,
                "full_name": query.full_name,
                "date_of_birth": query.date_of_birth.isoformat(),
                "sex": normalise_sex(query.sex),
            },
            ensure_ascii=False,
        ).encode("utf-8")
        raw = post_with_retries(
            self.url, body, headers=self.headers, timeout=self.timeout, retries=self.retries, backoff=self.backoff,
            sleep=self._sleep, unavailable=_unavailable, none_on=404,
        )  # fmt: skip
        return RegistryAnswer(False, {}) if raw is None else self._answer(raw)

    @staticmethod
    def _answer(raw: bytes) -> RegistryAnswer:
        try:
            doc = json.loads(raw)
            found = bool(doc["found"])
            fields = {k: v for k, v in dict(doc.get("fields") or {}).items() if k in FIELDS}
            if any(v not in ("match", "mismatch") for v in fields.values()):
                raise ValueError("verdict")
        except (ValueError, KeyError, TypeError) as e:
            raise _unavailable("malformed answer") from e
        return RegistryAnswer(found, fields)


def registry_for(db: Database, url: str | None, timeout: float = 3.0) -> PopulationRegistry:
    return HttpPopulationRegistry(url, timeout=timeout) if url else DevPopulationRegistry(db)
