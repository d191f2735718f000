"""The population-registry port for admissions by residence: a child's residence (nơi cư trú) and date of birth,
read from the national population database, never typed into the form.

The holders' port (``holders/population_registry.py``) only answers match / mismatch on identity fields; grade 1
and 6 admissions need two facts from the record itself (domain brief §4.1: "child PIN, DOB, residence from the
population DB"), so this port asks for exactly those two and nothing else (data minimisation, PDPL 91/2025). It
is asked once for a whole list (city scale), and every child asked about goes to their access log (the
service does that).

* :class:`DevResidenceRegistry` — DEV ONLY: answers from a mapping of synthetic children
  (:func:`dev_children`, the container's default).
* :class:`HttpResidenceRegistry` — production, through the provincial data-sharing platform, modelled on the
  holders' ``HttpPopulationRegistry``: ``POST {url}`` with ``{"personal_ids": [...], "fields": ["residence",
  "date_of_birth"]}`` (at most ``batch`` IDs a request), answer ``{"people": {"<ID>": {"residence": "…",
  "date_of_birth": "YYYY-MM-DD"}}}`` with an unknown ID absent; a timeout per attempt, retries with backoff on
  connection errors, timeouts and 5xx, then a bilingual 503 (:class:`ServiceUnavailable`); a 4xx is a
  configuration error. No personal ID or fact is ever logged (only the attempt and the HTTP status).

The container picks the adapter from the settings (``residence_registry_url``), as it does the holders' one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from credential_service.platform.errors import ConfigurationError, Message, ServiceUnavailable
from credential_service.platform.registry_http import post_with_retries

log = logging.getLogger(__name__)
FIELDS = ("residence", "date_of_birth")  # exactly these two, nothing else of the record (minimum data)
MAX_RESIDENCE = 200


@dataclass(frozen=True)
class ResidenceFacts:
    residence: str  # the residence area as the registry codes it (e.g. the ward's name or code)
    date_of_birth: date

    def __repr__(self) -> str:  # personal data: never in a log line
        return "ResidenceFacts(***)"


class ResidenceRegistry(Protocol):
    def residence_facts(self, personal_ids: Sequence[str]) -> Mapping[str, ResidenceFacts]:
        """The facts of each personal ID the registry knows; an unknown ID is absent from the answer."""
        ...


class DevResidenceRegistry:
    """DEV ONLY: synthetic children (personal ID → residence and date of birth)."""

    def __init__(self, children: Mapping[str, ResidenceFacts]) -> None:
        self.children = dict(children)
        self.asked: list[str] = []

    def residence_facts(self, personal_ids: Sequence[str]) -> Mapping[str, ResidenceFacts]:
        self.asked.extend(personal_ids)
        return {pin: self.children[pin] for pin in personal_ids if pin in self.children}


def dev_children() -> dict[str, ResidenceFacts]:
    """DEV ONLY: 40 synthetic children (personal IDs 031220000001–031220000040, born in 2020, of grade-1 age in
    2026; and 031215000001–031215000040, born in 2015, of grade-6 age in 2026) in four wards of Hải Phòng."""
    wards = ("Phường Lê Chân", "Phường Ngô Quyền", "Phường Gia Viên", "Phường Hồng Bàng")
    out = {}
    for year, prefix in ((2020, "031220"), (2015, "031215")):
        for i in range(1, 41):
            out[f"{prefix}{i:06d}"] = ResidenceFacts(wards[i % len(wards)], date(year, 1 + i % 12, 1 + i % 28))
    return out


def _unavailable(detail: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        Message(
            "Không kết nối được CSDL quốc gia về dân cư; chưa đọc được nơi cư trú và ngày sinh. Vui lòng thử lại sau.",
            "The national population database cannot be reached; residence and date of birth could not be read. "
            "Try again later.",
        ),
        hint=Message(f"Chi tiết kỹ thuật: {detail}", f"Technical detail: {detail}"),
        retry_after=30,
    )


class HttpResidenceRegistry:
    """Production adapter over HTTP (JSON): batches of IDs, a timeout per attempt, bounded retries, then 503."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.2,
        batch: int = 500,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(
                Message(f"Địa chỉ CSDL dân cư không hợp lệ: {url}", f"Invalid population registry URL: {url}")
            )
        if batch < 1:
            raise ConfigurationError(Message("Cỡ lô phải ≥ 1", "The batch size must be at least 1"))
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.batch = batch
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        self._sleep = sleep

    def residence_facts(self, personal_ids: Sequence[str]) -> Mapping[str, ResidenceFacts]:
        out: dict[str, ResidenceFacts] = {}
        for start in range(0, len(personal_ids), self.batch):
            chunk = list(personal_ids[start : start + self.batch])
            out.update(self._ask(chunk))
        return out

    def _ask(self, chunk: list[str]) -> dict[str, ResidenceFacts]:
        body = json.dumps({"personal_ids": chunk, "fields": list(FIELDS)}).encode("utf-8")
        raw = post_with_retries(
            self.url, body, headers=self.headers, timeout=self.timeout, retries=self.retries, backoff=self.backoff,
            sleep=self._sleep, unavailable=_unavailable, label="residence registry",
        )  # fmt: skip
        assert raw is not None  # no status is read as "none" here
        return _answer(raw, set(chunk))


def _answer(raw: bytes, asked: set[str]) -> dict[str, ResidenceFacts]:
    """The facts of the IDs asked about; an answer about an ID not asked, or with a bad field, is refused whole."""
    try:
        people: Any = json.loads(raw)["people"]
        if not isinstance(people, dict) or not set(people) <= asked:
            raise ValueError("people")
        out = {}
        for pin, facts in people.items():
            residence = facts["residence"]
            if not isinstance(residence, str) or not 0 < len(residence) <= MAX_RESIDENCE:
                raise ValueError("residence")
            out[pin] = ResidenceFacts(residence, date.fromisoformat(facts["date_of_birth"]))
    except (ValueError, KeyError, TypeError) as e:
        raise _unavailable("malformed answer") from e
    return out


def residence_registry_for(url: str | None, *, timeout: float = 3.0, production: bool = False) -> ResidenceRegistry:
    """The HTTP adapter when a URL is set; else the DEV adapter with synthetic children, refused in production
    (synthetic residences must never decide a real child's school)."""
    if url:
        return HttpResidenceRegistry(url, timeout=timeout)
    if production:
        raise ConfigurationError(
            Message(
                "Chưa cấu hình CSDL dân cư cho tuyển sinh theo địa bàn (SOGOC_RESIDENCE_REGISTRY_URL).",
                "The population registry for residence admissions is not configured (SOGOC_RESIDENCE_REGISTRY_URL).",
            )
        )
    return DevResidenceRegistry(dev_children())
