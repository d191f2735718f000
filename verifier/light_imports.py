"""A lighter start for ``sogoc-verify`` (issue #17: the whole process in ≤ 0.5 s).

``import pyhanko.sign.validation`` first runs ``pyhanko/sign/__init__.py``, which imports the signers, the
timestamp clients and aiohttp: about 300 ms a verifier never uses. :func:`bare_pyhanko_sign` registers
``pyhanko.sign`` as a bare package (its submodules importable, its ``__init__`` not run) before anything imports
it. Submodules load as usual when something needs them, so the verdicts are the same; only the names that
``__init__`` re-exports (``pyhanko.sign.PdfSigner``…) are missing, and the verifier never uses them. Call it
first thing in a verify-only process, never in the service (which signs).
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["bare_pyhanko_sign"]


def bare_pyhanko_sign() -> bool:
    """Register a bare ``pyhanko.sign``; False when it was imported already (nothing to gain) or is absent."""
    if "pyhanko.sign" in sys.modules:
        return False
    import pyhanko

    spec = importlib.util.find_spec("pyhanko.sign")
    if spec is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["pyhanko.sign"] = package
    pyhanko.sign = package  # type: ignore[attr-defined]
    return True
