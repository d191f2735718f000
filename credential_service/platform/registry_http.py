"""One POST of JSON to a national registry over HTTP, with a timeout per attempt and bounded retries: the shared
transport of the population registry's adapters (``holders/population_registry.py`` for identity,
``admissions/residence_registry.py`` for residence).

Network errors and 5xx answers are tried again after ``backoff``, 2 × ``backoff``, …; after the last attempt the
caller's ``unavailable(detail)`` error is raised (a bilingual 503). A 4xx is a configuration error and is not
retried. Log lines carry the attempt number and the HTTP status or error type, never the body (personal data).
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from credential_service.platform.errors import ConfigurationError, Message, ServiceUnavailable

log = logging.getLogger(__name__)


def post_with_retries(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
    unavailable: Callable[[str], ServiceUnavailable],
    none_on: int | None = None,
    label: str = "population registry",
) -> bytes | None:
    """The answer's body; ``None`` when the registry answers ``none_on`` (e.g. 404: not found)."""
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * (2 ** (attempt - 1)))
        req = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return bytes(resp.read())
        except urllib.error.HTTPError as e:
            if none_on is not None and e.code == none_on:
                return None
            last = f"HTTP {e.code}"
            if e.code < 500:
                raise ConfigurationError(
                    Message(f"CSDL dân cư từ chối yêu cầu ({last}).", f"The population registry refused ({last}).")
                ) from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            last = type(e).__name__ if not isinstance(e, urllib.error.URLError) else f"URLError {e.reason}"
        log.warning("%s attempt %d failed: %s", label, attempt + 1, last)  # never an ID number
    raise unavailable(last)
