"""Time is injected: nothing reads the wall clock outside ``verifier/clock.py``; the clock's own rules."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from credential_service.platform.clock import VN_TZ, FixedClock, SystemClock, as_utc, vn_date

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("credential_service", "signing", "verifier")
THE_CLOCK = ROOT / "verifier" / "clock.py"
# (module or class, attribute): the calls that read the wall clock
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}


def _dotted(node: ast.expr) -> list[str]:
    """``datetime.datetime.now`` -> ["datetime", "datetime", "now"]; [] for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return []


def _imported_names(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Local names bound by ``from time import time`` / ``from datetime import date as d`` …"""
    out: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
            for alias in node.names:
                out[alias.asname or alias.name] = (node.module, alias.name)
    return out


def wall_clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        parts = _dotted(node.func)
        if not parts:
            continue
        if len(parts) == 1:
            # ``from time import time; time()``
            module, name = imported.get(parts[0], ("", ""))
            hit = module == "time" and name in ("time", "time_ns")
        else:
            owner = parts[-2]
            if len(parts) == 2 and owner in imported:
                owner = imported[owner][1]  # ``from datetime import datetime as dt; dt.now()``
            hit = (owner, parts[-1]) in WALL_CLOCK
        if hit:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {'.'.join(parts)}()")
    return found


def test_nothing_reads_the_wall_clock_outside_the_clock() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path != THE_CLOCK:
                found.extend(wall_clock_reads(path))
    assert not found, "read the time from a Clock (verifier/clock.py), not the wall clock:\n" + "\n".join(found)


def test_the_checker_finds_the_forms_it_forbids(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import datetime as d0\nimport time\nfrom datetime import date, datetime\nfrom time import time as t\n"
        "datetime.now()\ndate.today()\nd0.datetime.utcnow()\ntime.time()\ntime.time_ns()\nt()\n"
        "datetime.today()\ntime.monotonic()\ntime.perf_counter()\ndatetime.fromisoformat('2026-01-01')\n",
        encoding="utf-8",
    )
    lines = [int(hit.split(":")[1]) for hit in wall_clock_reads(source, tmp_path)]
    assert lines == [5, 6, 7, 8, 9, 10, 11]


# -- the clock -------------------------------------------------------------------------------------


def test_vn_date_is_the_calendar_date_in_vietnam() -> None:
    assert vn_date(datetime(2026, 12, 2, 18, 30, tzinfo=UTC)) == date(2026, 12, 3)
    assert vn_date(datetime(2026, 12, 2, 16, 59, 59, tzinfo=UTC)) == date(2026, 12, 2)
    assert vn_date(datetime(2026, 12, 3, 0, 30, tzinfo=VN_TZ)) == date(2026, 12, 3)
    assert vn_date(datetime(2026, 12, 2, 17, 0)) == date(2026, 12, 3)  # naive: read as UTC


def test_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(datetime(2026, 12, 2, 18, 30, tzinfo=UTC))
    assert clock.now() == datetime(2026, 12, 2, 18, 30, tzinfo=UTC) and clock.now().tzinfo is UTC
    assert clock.today() == date(2026, 12, 3)
    clock.advance(timedelta(hours=6))
    assert clock.now() == datetime(2026, 12, 3, 0, 30, tzinfo=UTC) and clock.today() == date(2026, 12, 3)
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=7))))
    assert clock.now() == datetime(2027, 1, 1, 2, 0, tzinfo=UTC) and clock.now().tzinfo is UTC
    assert clock.today() == date(2027, 1, 1)


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 12, 2, 18, 30))
    clock = FixedClock(datetime(2026, 12, 2, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 12, 3))
    assert clock.now() == datetime(2026, 12, 2, tzinfo=UTC)


def test_system_clock_is_aware_utc_and_today_is_vietnamese() -> None:
    clock = SystemClock()
    before = clock.now()
    today = clock.today()
    after = clock.now()
    assert before.tzinfo is UTC and before <= after
    assert today in (vn_date(before), vn_date(after))


def test_as_utc() -> None:
    assert as_utc(datetime(2026, 1, 1, 7, 0, tzinfo=VN_TZ)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert as_utc(datetime(2026, 1, 1)).tzinfo is UTC


# -- the database column type ----------------------------------------------------------------------


def test_utc_datetime_column_reads_back_aware_utc_and_refuses_naive(tmp_path: Path) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
    from sqlalchemy.exc import StatementError

    from credential_service.platform.db import UTCDateTime

    meta = MetaData()
    t = Table("t", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    engine = create_engine(f"sqlite:///{tmp_path}/t.db")
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, at=datetime(2026, 12, 3, 1, 30, tzinfo=VN_TZ)))
        conn.execute(insert(t).values(id=2, at=None))
        with pytest.raises(StatementError) as e:
            conn.execute(insert(t).values(id=3, at=datetime(2026, 12, 3)))
        assert isinstance(e.value.orig, ValueError)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(t.c.id, t.c.at)).all())
    assert rows[1] == datetime(2026, 12, 2, 18, 30, tzinfo=UTC) and rows[1].tzinfo is UTC
    assert rows[2] is None
    engine.dispose()
