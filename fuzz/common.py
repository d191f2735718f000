"""Shared pieces of the fuzz harnesses: where things are, the atheris runner, the replay used by the
regression tests, and the small XLSX wrapper the spreadsheet harnesses put fuzzed sheets into.

Run a harness (what ``scripts/fuzz.sh`` does)::

    .venv/bin/python -m fuzz.common HARNESS [libFuzzer flags] [corpus dirs]

A harness module defines ``test_one_input(data: bytes) -> None``. It returns normally for every input,
including inputs the library refuses with its own documented errors; anything else it raises is a
finding (a crash for libFuzzer). The runner imports the harness module inside
``atheris.instrument_imports`` so that the code under test is instrumented for coverage, and gives
libFuzzer a per-input time budget (``-timeout``, :data:`TIME_BUDGET_S`) unless one is passed.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
FUZZ_DIR = REPO / "fuzz"
CORPUS_DIR = FUZZ_DIR / "corpus"
REGRESSIONS_DIR = FUZZ_DIR / "regressions"
CRASHES_DIR = FUZZ_DIR / "crashes"
DEV_KEYS = REPO / "keys" / "dev"

TIME_BUDGET_S = 10
"""Per-input time budget, seconds: libFuzzer's ``-timeout`` and the regression replay's bound."""
RSS_LIMIT_MB = 2048


@dataclass(frozen=True)
class Harness:
    name: str
    module: str
    instrument: tuple[str, ...]
    """Top-level packages whose code is instrumented for coverage feedback."""
    max_len: int
    """libFuzzer ``-max_len``: the largest input it generates (seeds may be larger)."""


HARNESSES: dict[str, Harness] = {
    h.name: h
    for h in (
        Harness("pdf", "fuzz.harness_pdf", ("verifier", "pyhanko", "pyhanko_certvalidator", "asn1crypto"), 1024 * 1024),
        Harness("qr", "fuzz.harness_qr", ("verifier", "cbor2", "base45"), 4096),
        Harness("import", "fuzz.harness_import", ("credential_service", "openpyxl"), 256 * 1024),
        Harness("note", "fuzz.harness_note", ("verifier",), 8192),
        Harness("register", "fuzz.harness_register", ("credential_service", "openpyxl"), 256 * 1024),
    )
}


class Finding(AssertionError):
    """An input made the code under test break one of its own promises (not an exception it raised)."""


def quiet_logging() -> None:
    """pyHanko logs expected validation failures with full tracebacks; keep the fuzzer's output readable."""
    logging.disable(logging.CRITICAL)


def load(name: str) -> Callable[[bytes], None]:
    """The ``test_one_input`` of harness ``name`` (imported normally, without instrumentation)."""
    module = importlib.import_module(HARNESSES[name].module)
    return cast(Callable[[bytes], None], module.test_one_input)


@contextmanager
def _logging_quieted() -> Iterator[None]:
    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(before)


def replay(name: str, data: bytes) -> float:
    """Run one input through harness ``name`` as the fuzzer does; returns the seconds it took.

    Raises whatever the harness raises (a finding) and :class:`Finding` when the input takes longer
    than the per-input budget.
    """
    test_one_input = load(name)
    with _logging_quieted():
        started = time.perf_counter()
        test_one_input(data)
        elapsed = time.perf_counter() - started
    if elapsed > TIME_BUDGET_S:
        raise Finding(f"harness {name}: one input took {elapsed:.1f} s (budget {TIME_BUDGET_S} s)")
    return elapsed


# --------------------------------------------------------------------------------------------------
# a minimal XLSX package around fuzzed worksheet XML

_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Cell styles the fuzzed sheets may use with s="N": 0 general, 1 dd/mm/yyyy, 2 built-in date,
# 3 time, 4 date and time, 5 text ("@"), 6 one decimal.
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{_MAIN}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="0.0"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="7">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""

SHEET_SEPARATOR = b"\x0c"
"""Separates the parts of a multi-part input (two CSV files, two worksheets): a form feed."""


def xlsx_from_sheets(sheets: Sequence[tuple[str, bytes]]) -> bytes:
    """An XLSX package (stored, not deflated) with the given ``(sheet name, worksheet XML)`` pairs.

    The fuzzer mutates worksheet XML directly, which it cannot do inside a deflated ZIP member whose
    CRC is checked on reading; the package around it is always well formed.
    """
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
        for i in range(1, len(sheets) + 1)
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_list = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, 1))
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheet_list}</sheets></workbook>'
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        z.writestr("xl/styles.xml", _STYLES)
        for i, (_, xml) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return out.getvalue()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def worksheet_xml(rows: Sequence[Sequence[Any]]) -> bytes:
    """Worksheet XML for ``rows`` (a seed for the fuzzed-sheet inputs).

    Cells are written by type: ``str`` as inline strings, ``bool`` as booleans, ``int``/``float`` as
    numbers, ``None`` left out; a ``(value, style)`` pair gives a number with one of the styles of
    :func:`xlsx_from_sheets` (e.g. ``(36526, 1)`` is 01/01/2000 as a date cell); a ``("#N/A", "e")``
    pair is an error cell.
    """
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(rows, 1):
        out.append(f'<row r="{r}">')
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if value is None:
                continue
            if isinstance(value, tuple):
                v, kind = value
                if kind == "e":
                    out.append(f'<c r="{ref}" t="e"><v>{_xml_escape(str(v))}</v></c>')
                else:
                    out.append(f'<c r="{ref}" s="{kind}"><v>{v}</v></c>')
            elif isinstance(value, bool):
                out.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{_xml_escape(str(value))}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")


# --------------------------------------------------------------------------------------------------
# known findings


@dataclass(frozen=True)
class KnownFinding:
    """A finding that is reported but not fixed yet (its code belongs to someone else's change).

    Its regression input is replayed as an expected failure (``xfail(strict=True)``): the test
    starts failing once the bug is fixed, and then the entry goes. Long fuzz runs skip inputs that
    fail the same way (``FUZZ_SKIP_KNOWN=0`` to stop on them too), so that they can find the next bug.
    """

    harness: str
    regression: str
    """File name under ``fuzz/regressions/<harness>/``."""
    exception: str
    """Type name of the exception raised."""
    where: str
    """``path:function`` of the innermost frame in the project's code (see :func:`signature`)."""
    reason: str


KNOWN_FINDINGS: tuple[KnownFinding, ...] = ()


def _is_project_file(filename: str) -> bool:
    """The project's own code: under the repository, not the fuzz harnesses, not an installed package."""
    path = os.path.abspath(filename)
    return (
        path.startswith(str(REPO) + os.sep)
        and not path.startswith(str(FUZZ_DIR) + os.sep)
        and not path.startswith(os.path.abspath(sys.prefix) + os.sep)
        and f"{os.sep}site-packages{os.sep}" not in path
    )


def signature(exc: BaseException) -> tuple[str, str]:
    """``(exception type, "path:function")`` of a finding: its innermost frame in the project's code.

    A :class:`Finding` raised by a harness about another exception (its ``__cause__``) is described by
    that exception.
    """
    if isinstance(exc, Finding) and exc.__cause__ is not None:
        exc = exc.__cause__
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _is_project_file(f.filename)]
    if not ours:
        return type(exc).__name__, "?"
    last = ours[-1]
    return type(exc).__name__, f"{Path(last.filename).relative_to(REPO).as_posix()}:{last.name}"


def known_finding(harness: str, exc: BaseException) -> KnownFinding | None:
    kind, where = signature(exc)
    return next((k for k in KNOWN_FINDINGS if k.harness == harness and k.exception == kind and k.where == where), None)


def _skip_file_signatures() -> set[tuple[str, str]]:
    """Signatures listed in ``$FUZZ_SKIP_FILE`` (``type<TAB>path:function`` lines): the findings a long
    run of ``scripts/fuzz.sh`` has already made, so that it restarts past them."""
    path = os.environ.get("FUZZ_SKIP_FILE")
    if not path or not os.path.isfile(path):
        return set()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {(kind, where) for kind, _, where in (line.partition("\t") for line in lines) if where}


def skipping_known(harness: str, test_one_input: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """``test_one_input`` that treats the :data:`KNOWN_FINDINGS` of ``harness`` (and the findings listed
    in ``$FUZZ_SKIP_FILE``) as fine."""
    skip = _skip_file_signatures()

    def run(data: bytes) -> None:
        try:
            test_one_input(data)
        except Exception as e:
            if known_finding(harness, e) is None and signature(e) not in skip:
                raise

    return run


def print_signature(name: str, path: str) -> int:
    """``python -m fuzz.common --signature HARNESS FILE``: how ``FILE`` fails (``type<TAB>where``), if it does."""
    try:
        replay(name, Path(path).read_bytes())
    except Exception as e:
        kind, where = signature(e)
        print(f"{kind}\t{where}")
        return 1
    return 0


# --------------------------------------------------------------------------------------------------
# the runner


def _python_path() -> str:
    """``PYTHONPATH`` with the repository first, so that ``fuzz`` imports from anywhere."""
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(REPO)]
    return os.pathsep.join([str(REPO), *rest])


def run_as_script(name: str) -> None:
    """``python fuzz/harness_X.py [flags]``: start ``python -m fuzz.common X [flags]`` instead.

    A harness run as a script has already imported the code under test before atheris could
    instrument it, so the run starts over in a fresh interpreter.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = _python_path()
    os.execve(sys.executable, [sys.executable, "-m", "fuzz.common", name, *sys.argv[1:]], env)


def _has_flag(args: Sequence[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def _seed_corpus_read_only(args: list[str]) -> list[str]:
    """libFuzzer writes new inputs into the first corpus directory: never into ``fuzz/corpus/``."""
    dirs = [a for a in args if not a.startswith("-") and os.path.isdir(a)]
    if dirs and Path(dirs[0]).resolve().is_relative_to(CORPUS_DIR.resolve()):
        scratch = tempfile.mkdtemp(prefix="sogoc-fuzz-")
        print(f"INFO: {dirs[0]} is a seed corpus, read only: new inputs go to {scratch}", file=sys.stderr)
        i = args.index(dirs[0])
        return [*args[:i], scratch, *args[i:]]
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) == 4 and args[1] == "--signature" and args[2] in HARNESSES:
        sys.exit(print_signature(args[2], args[3]))
    if len(args) < 2 or args[1] not in HARNESSES:
        sys.exit(f"usage: python -m fuzz.common {{{','.join(HARNESSES)}}} [libFuzzer flags] [corpus dirs]")
    harness = HARNESSES[args[1]]
    rest = args[2:]
    defaults = {
        "-timeout": str(TIME_BUDGET_S),
        "-rss_limit_mb": str(RSS_LIMIT_MB),
        "-max_len": str(harness.max_len),
    }
    flags = [f"{flag}={value}" for flag, value in defaults.items() if not _has_flag(rest, flag)]
    rest = _seed_corpus_read_only(rest)

    import atheris

    quiet_logging()
    with atheris.instrument_imports(include=list(harness.instrument)):
        module = importlib.import_module(harness.module)
    test_one_input: Callable[[bytes], None] = module.test_one_input
    if os.environ.get("FUZZ_SKIP_KNOWN", "1") != "0":
        test_one_input = skipping_known(harness.name, test_one_input)
    # libFuzzer runs argv[0] again to minimise a crash (-minimize_crash) or in -fork mode: give it the
    # harness script, which starts this runner over (needs the venv's python3 first on PATH).
    script = str(FUZZ_DIR / f"harness_{harness.name}.py")
    os.environ["PYTHONPATH"] = _python_path()
    atheris.Setup([script, *flags, *rest], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    # Run the imported module's main, not this ``__main__`` copy: the harnesses raise and match the
    # classes of ``fuzz.common`` (Finding, KNOWN_FINDINGS), not of ``__main__``.
    from fuzz.common import main as _main

    _main()
