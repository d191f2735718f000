"""What a caller needs from a PDF besides its signatures, read with the same guarded reader.

:func:`verifier.pdf.examine_pdf` parses an uploaded file once, in the worker thread and under the
deadline of :mod:`verifier.pdf_guards`, with the decode limits of :func:`verifier.pdf_signatures.open_reader`.
While the reader is open it also collects, through :func:`collect_contents`:

* named attachments (the ``EmbeddedFiles`` name tree), each decoded with a cap of
  :attr:`ContentRequest.max_attachment_size` bytes: a decompression bomb stops at the cap, not in
  memory. The walk of the name tree is iterative and bounded (:data:`MAX_TREE_NODES`, :data:`MAX_TREE_DEPTH`);
* the first page's geometry (``MediaBox``, ``CropBox``, ``Rotate``, ``UserUnit``, inherited values
  included) and the pixels of the images it draws (image XObjects in its resources, in nested
  forms, patterns and annotation appearances). :func:`verifier.qr_image.read_qr_from_pdf` refuses to
  render a page that is too large or draws too many pixels, before any renderer runs.

Nothing here raises for a hostile file: what cannot be read is reported in ``problem`` fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

__all__ = [
    "MAX_TREE_DEPTH",
    "MAX_TREE_NODES",
    "Attachment",
    "ContentRequest",
    "PageInfo",
    "PdfContents",
    "collect_contents",
]

MAX_TREE_NODES = 2_000
"""Nodes visited at most in one walk (name tree; page tree; resources of the first page)."""
MAX_TREE_DEPTH = 32
"""Levels followed at most in one walk."""
MAX_ANNOTATIONS = 500
"""Annotations of the first page looked at, at most (their appearances are rendered too)."""


@dataclass(frozen=True)
class ContentRequest:
    """What :func:`verifier.pdf.examine_pdf` should collect while the PDF is open."""

    attachments: tuple[str, ...] = ()
    """Names (in the ``EmbeddedFiles`` name tree) of the attachments to return."""
    max_attachment_size: int = 256 * 1024
    """Decoded bytes allowed per attachment; a larger one is returned without data."""
    max_attachments: int = 4
    """Matching attachments returned at most (one more is reported, to tell "several" apart)."""
    first_page: bool = False
    """Read the first page's geometry and image pixels (:class:`PageInfo`)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes | None
    """The decoded contents; ``None`` when they could not be read within the limits."""
    problem: str | None = None


@dataclass(frozen=True)
class PageInfo:
    """The first page as a renderer will see it. Sizes in points, ``UserUnit`` applied."""

    media: tuple[float, float] | None
    """Width and height of the ``MediaBox`` (``None`` when missing or malformed)."""
    crop: tuple[float, float] | None
    """Width and height of the ``CropBox`` (the ``MediaBox`` when there is none)."""
    rotate: int = 0
    user_unit: float = 1.0
    image_pixels: int = 0
    """Width × height summed over every image the page draws (as far as :attr:`complete`)."""
    complete: bool = True
    """False when a walk hit :data:`MAX_TREE_NODES` or :data:`MAX_TREE_DEPTH` (the page is not examined fully)."""
    problem: str | None = None


@dataclass
class PdfContents:
    attachments: list[Attachment] = field(default_factory=list)
    first_page: PageInfo | None = None
    problems: list[str] = field(default_factory=list)


def collect_contents(reader: Any, request: ContentRequest) -> PdfContents:
    """Collect what ``request`` asks for from an open (guarded) pyHanko reader. Never raises ``Exception``."""
    contents = PdfContents()
    if request.attachments:
        try:
            _attachments(reader, request, contents)
        except Exception as e:  # a hostile structure (RecursionError and MemoryError included)
            contents.problems.append(f"attachments: {type(e).__name__}: {str(e)[:200]}")
    if request.first_page:
        try:
            contents.first_page = _first_page(reader)
        except Exception as e:
            contents.first_page = PageInfo(None, None, complete=False, problem=f"{type(e).__name__}: {str(e)[:200]}")
    return contents


# --------------------------------------------------------------------------------------------------
# pyHanko object helpers (dictionary values come back resolved)


def _get(obj: Any, key: str) -> Any:
    from pyhanko.pdf_utils import generic

    if not isinstance(obj, generic.DictionaryObject):
        return None
    try:
        return obj[key]
    except KeyError:
        return None


def _number(value: Any) -> float | None:
    from pyhanko.pdf_utils import generic

    if not isinstance(value, generic.NumberObject | generic.FloatObject):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _box(value: Any) -> tuple[float, float] | None:
    from pyhanko.pdf_utils import generic

    if not isinstance(value, generic.ArrayObject) or len(value) != 4:
        return None
    numbers = [_number(v.get_object()) for v in value]
    if any(n is None for n in numbers):
        return None
    x1, y1, x2, y2 = (n for n in numbers if n is not None)
    return abs(x2 - x1), abs(y2 - y1)


# --------------------------------------------------------------------------------------------------
# attachments


def _attachments(reader: Any, request: ContentRequest, contents: PdfContents) -> None:
    from pyhanko.pdf_utils import generic

    tree = _get(_get(reader.root, "/Names"), "/EmbeddedFiles")
    stack: list[tuple[Any, int]] = [(tree, 0)] if tree is not None else []
    seen: set[int] = set()
    visited = 0
    while stack and len(contents.attachments) <= request.max_attachments:
        node, depth = stack.pop()
        visited += 1
        if id(node) in seen or depth > MAX_TREE_DEPTH or visited > MAX_TREE_NODES:
            contents.problems.append("attachments: the name tree is cyclic, too deep or too large")
            return
        seen.add(id(node))
        names = _get(node, "/Names")
        if isinstance(names, generic.ArrayObject):
            for i in range(0, min(len(names), 2 * MAX_TREE_NODES) - 1, 2):
                name = names[i].get_object()
                if isinstance(name, generic.TextStringObject | generic.ByteStringObject) and (
                    str(name) in request.attachments
                ):
                    contents.attachments.append(_read_attachment(str(name), names[i + 1].get_object(), request))
                    if len(contents.attachments) > request.max_attachments:
                        return
        kids = _get(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            first = list(islice(kids, MAX_TREE_NODES))  # iterating an ArrayObject gives the raw references
            stack.extend((kid.get_object(), depth + 1) for kid in reversed(first))


def _read_attachment(name: str, spec: Any, request: ContentRequest) -> Attachment:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    ef = _get(spec, "/EF")
    stream = _get(ef, "/F")
    if stream is None:
        stream = _get(ef, "/UF")
    if not isinstance(stream, generic.StreamObject):
        return Attachment(name, None, "no embedded file stream")
    try:
        # Decode with a cap just above the allowed size: a bomb stops there (pyHanko's bounded
        # inflate asks zlib for at most cap + 1 bytes), and the document's decode budget still applies.
        data = stream.read_data(expected_size=request.max_attachment_size)
    except PdfDecodeLimitError:
        return Attachment(name, None, f"larger than {request.max_attachment_size} bytes once decoded")
    except Exception as e:
        return Attachment(name, None, f"{type(e).__name__}: {str(e)[:200]}")
    if len(data) > request.max_attachment_size:
        return Attachment(name, None, f"larger than {request.max_attachment_size} bytes once decoded")
    return Attachment(name, bytes(data))


# --------------------------------------------------------------------------------------------------
# the first page


def _first_page(reader: Any) -> PageInfo:
    from pyhanko.pdf_utils import generic

    node = _get(reader.root, "/Pages")
    inherited: dict[str, Any] = {}
    for _ in range(MAX_TREE_DEPTH):
        for key in ("/MediaBox", "/CropBox", "/Rotate", "/Resources"):
            value = _get(node, key)
            if value is not None:
                inherited[key] = value
        kids = _get(node, "/Kids")
        if not isinstance(kids, generic.ArrayObject):
            break
        if not kids:
            return PageInfo(None, None, complete=False, problem="the page tree has no page")
        node = kids[0].get_object()
    else:
        return PageInfo(None, None, complete=False, problem="the page tree is too deep")
    if not isinstance(node, generic.DictionaryObject):
        return PageInfo(None, None, complete=False, problem="the first page is not a dictionary")

    unit = _number(_get(node, "/UserUnit"))
    unit = unit if unit is not None and unit > 0 else 1.0
    media = _box(inherited.get("/MediaBox"))
    crop = _box(inherited.get("/CropBox")) or media
    rotate = _number(inherited.get("/Rotate"))
    pixels, complete = _image_pixels(node, inherited.get("/Resources"))
    return PageInfo(
        media=(media[0] * unit, media[1] * unit) if media else None,
        crop=(crop[0] * unit, crop[1] * unit) if crop else None,
        rotate=int(rotate) % 360 if rotate is not None and abs(rotate) < 1e6 else 0,
        user_unit=unit,
        image_pixels=pixels,
        complete=complete,
        problem=None if complete else "the page's resources are cyclic, too deep or too many",
    )


def _image_pixels(page: Any, resources: Any) -> tuple[int, bool]:
    """Pixels of every image the page can draw: its resources, nested forms and patterns, and the
    appearance streams of its annotations. Returns (pixels, complete)."""
    from pyhanko.pdf_utils import generic

    stack: list[tuple[Any, int]] = [(resources, 0)]
    annots = _get(page, "/Annots")
    if isinstance(annots, generic.ArrayObject):
        for annot in islice(annots, MAX_ANNOTATIONS):
            appearance = _get(_get(annot.get_object(), "/AP"), "/N")
            if isinstance(appearance, generic.StreamObject):
                stack.append((_get(appearance, "/Resources"), 1))
            elif isinstance(appearance, generic.DictionaryObject):
                for state in islice(appearance.values(), MAX_ANNOTATIONS):
                    stack.append((_get(state.get_object(), "/Resources"), 1))
    pixels = 0
    seen: set[int] = set()
    visited = 0
    while stack:
        res, depth = stack.pop()
        if not isinstance(res, generic.DictionaryObject) or id(res) in seen:
            continue
        seen.add(id(res))
        for kind in ("/XObject", "/Pattern"):
            entries = _get(res, kind)
            if not isinstance(entries, generic.DictionaryObject):
                continue
            for value in entries.values():
                visited += 1
                if visited > MAX_TREE_NODES or depth > MAX_TREE_DEPTH:
                    return pixels, False
                obj = value.get_object()
                if _get(obj, "/Subtype") == "/Image":
                    pixels += _image_size(obj) + _image_size(_get(obj, "/SMask"))
                else:  # a form XObject or a pattern: its own resources
                    stack.append((_get(obj, "/Resources"), depth + 1))
    return pixels, True


def _image_size(image: Any) -> int:
    width, height = _number(_get(image, "/Width")), _number(_get(image, "/Height"))
    if width is None or height is None:
        return 0
    return int(max(0.0, width) * max(0.0, height))
