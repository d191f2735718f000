"""The allocation's JSON, byte for byte the same on every run: keys sorted, no insignificant whitespace
choices left to a library version, text as UTF-8, and every decimal written with exactly two places as a JSON
number (``24.50``), never through a binary float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from credential_service.admissions.values import en_number, paused_gc


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


def _reference(value: Any, indent: int) -> bytes:
    """The writer that defines the format (one value at a time); :func:`dumps` gives the same bytes faster."""
    out: list[str] = []
    _write(value, out, " " * indent, 0)
    return "".join(out).encode("utf-8")


_LEAVES = frozenset({str, int, bool, type(None), Decimal})
_MARK = "\x00"  # around a Decimal's text; json writes it "\\u0000", and no other text may hold one


def _plain(value: Any) -> bool:
    """Only dicts with text keys, lists, tuples and the leaves above, each container met once (a tree): then the
    library's encoder writes what :func:`_write` writes, apart from the Decimals."""
    stack, seen = [value], set()
    while stack:
        v = stack.pop()
        kind = type(v)
        if kind is dict or kind is list or kind is tuple:
            if id(v) in seen:
                return False
            seen.add(id(v))
            if kind is dict:
                for key in v:
                    if type(key) is not str:
                        return False
                stack.extend(v.values())
            else:
                stack.extend(v)
        elif kind not in _LEAVES:
            return False
    return True


def dumps(value: Any, *, indent: int = 0) -> bytes:
    """``value`` (dicts, lists, text, whole numbers, booleans, None, Decimals) as canonical UTF-8 JSON.

    Fast path: the standard library's encoder (in C for compact output) with each Decimal written as a marked
    string, the marks then removed. It is taken only for plain data in which no text holds a NUL or the text
    ``\\u0000``, so the result is byte for byte :func:`_reference`'s (tests/admissions compare them)."""
    with paused_gc():
        return _dumps(value, indent)


def _dumps(value: Any, indent: int) -> bytes:
    if not _plain(value):
        return _reference(value, indent)
    decimals = 0

    def mark(d: Any) -> str:
        nonlocal decimals
        decimals += 1
        return _MARK + en_number(d) + _MARK

    text = json.dumps(
        value,
        default=mark,
        ensure_ascii=False,
        sort_keys=True,
        indent=indent or None,
        separators=(",", ": ") if indent else (",", ":"),
    )
    if text.count("\\u0000") != 2 * decimals:  # a text held a NUL or "\\u0000": write it the slow way
        return _reference(value, indent)
    return text.replace('"\\u0000', "").replace('\\u0000"', "").encode("utf-8")
