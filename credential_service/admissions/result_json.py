"""The allocation's JSON, byte for byte the same on every run: keys sorted, no insignificant whitespace
choices left to a library version, text as UTF-8, and every decimal written with exactly two places as a JSON
number (``24.50``), never through a binary float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from credential_service.admissions.values import en_number


def _write(value: Any, out: list[str], indent: str, level: int) -> None:
    pad = "\n" + indent * (level + 1) if indent else ""
    end = "\n" + indent * level if indent else ""
    sep = ": " if indent else ":"
    if isinstance(value, Decimal):
        out.append(en_number(value))
    elif isinstance(value, bool) or value is None or isinstance(value, int | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        out.append("{")
        for i, key in enumerate(sorted(value)):
            if not isinstance(key, str):
                raise TypeError(f"JSON keys are text: {key!r}")
            out.append(("," if i else "") + pad + json.dumps(key, ensure_ascii=False) + sep)
            _write(value[key], out, indent, level + 1)
        out.append(end + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + pad)
            _write(item, out, indent, level + 1)
        out.append(end + "]")
    else:
        raise TypeError(f"not JSON data: {type(value).__name__}")


def dumps(value: Any, *, indent: int = 0) -> bytes:
    """``value`` (dicts, lists, text, whole numbers, booleans, None, Decimals) as canonical UTF-8 JSON."""
    out: list[str] = []
    _write(value, out, " " * indent, 0)
    return "".join(out).encode("utf-8")
