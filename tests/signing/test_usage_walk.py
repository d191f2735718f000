"""The fast reverse-reference walk and dependency collection (:mod:`verifier.pdf_usage_walk`) find exactly pyHanko's
answers, errors included."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from verifier.pdf_usage_walk import (
    fast_collect_dependencies,
    fast_load_reverse_xref_cache,
    original_collect_dependencies,
    original_load_reverse_xref_cache,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "pdf-signatures"
CORPUS_PDFS = sorted(CORPUS.rglob("*.pdf"))


def _reader(data: bytes) -> PdfFileReader:
    """A reader of ``data``, decrypted with the empty user password if the file is encrypted."""
    reader = PdfFileReader(BytesIO(data), strict=False)
    if reader.encrypted:
        reader.decrypt("")
    return reader


def _walk(data: bytes, revision: int, walk: Any) -> Any:
    """The usages map ``walk`` builds for ``revision`` (as a list, to compare the order too), or the error it raised."""
    resolver = _reader(data).get_historical_resolver(revision)
    try:
        walk(resolver)
    except Exception as e:  # the error is the result being compared
        return (type(e), str(e))
    return list(resolver._indirect_object_access_cache.items())


def _dependencies(data: bytes, revision: int, collect: Any) -> list[Any]:
    """What ``collect`` finds from the trailer and from each object the revision writes, with and without
    ``since_revision`` (or the error it raised), read through a fresh reader each time."""
    resolver = _reader(data).get_historical_resolver(revision)
    starts = [
        resolver.trailer_view,
        *(
            generic.IndirectObject(r.idnum, r.generation, resolver)
            for r in sorted(resolver.explicit_refs_in_revision(), key=lambda r: (r.idnum, r.generation))
        ),
    ]
    out: list[Any] = []
    for start in starts:
        for since in (None, revision):
            try:
                out.append(collect(resolver, start, since))
            except Exception as e:  # the error is the result being compared
                out.append((type(e), str(e)))
    return out


def _assert_same_walks(data: bytes) -> int:
    revisions = _reader(data).xrefs.total_revisions
    for revision in range(revisions):
        fast = _walk(data, revision, fast_load_reverse_xref_cache)
        assert fast == _walk(data, revision, original_load_reverse_xref_cache), f"revision {revision}"
        fast_deps = _dependencies(data, revision, fast_collect_dependencies)
        assert fast_deps == _dependencies(data, revision, original_collect_dependencies), f"revision {revision}"
    return revisions


def test_the_shared_corpus_is_there() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    assert len(CORPUS_PDFS) >= 30


@pytest.mark.parametrize("path", CORPUS_PDFS, ids=lambda p: p.name[:60])
def test_every_revision_of_every_corpus_pdf_gets_pyhankos_paths(path: Path) -> None:
    try:
        PdfFileReader(BytesIO(path.read_bytes()), strict=False)
    except Exception:  # a file pyHanko cannot open has no revisions to walk
        pytest.skip("pyHanko cannot open it")
    _assert_same_walks(path.read_bytes())


def test_every_revision_of_a_signed_transcript_gets_pyhankos_paths(signed_steps: dict[str, bytes]) -> None:
    assert _assert_same_walks(signed_steps["sealed"]) >= 4
    resolver = PdfFileReader(BytesIO(signed_steps["sealed"])).get_historical_resolver(2)
    fast_load_reverse_xref_cache(resolver)
    assert len(resolver._indirect_object_access_cache) >= 10  # the walk found the document's objects


def _document(build: Any) -> bytes:
    """A one-page document whose catalogue ``build(writer, root)`` adds to."""
    w = PdfFileWriter()
    resources = w.add_object(generic.DictionaryObject({generic.NameObject("/ProcSet"): generic.ArrayObject()}))
    page = {generic.NameObject("/Type"): generic.NameObject("/Page"), generic.NameObject("/Resources"): resources}
    w.insert_page(generic.DictionaryObject(page))
    build(w, w.root)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def _struct_tree(w: PdfFileWriter, root: generic.DictionaryObject) -> None:
    """A structure tree whose elements point elsewhere with /P, and a /ParentTree of references into it."""
    tree = generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/StructTreeRoot")})
    tree_ref = w.add_object(tree)
    kids = generic.ArrayObject()
    for i in range(3):
        elem = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/StructElem"),
                generic.NameObject("/S"): generic.NameObject("/P"),
                generic.NameObject("/P"): kids.raw_get(i - 1) if i else tree_ref,  # a sibling: only /P leads there
                generic.NameObject("/K"): generic.NumberObject(i),
            }
        )
        kids.append(w.add_object(elem))
    tree[generic.NameObject("/K")] = kids
    tree[generic.NameObject("/ParentTree")] = generic.DictionaryObject({generic.NameObject("/Nums"): kids})
    root[generic.NameObject("/StructTreeRoot")] = tree_ref


def _cycles_and_links(w: PdfFileWriter, root: generic.DictionaryObject) -> None:
    """An object that contains itself, and a link into the page tree from outside it."""
    loop = generic.DictionaryObject()
    loop_ref = w.add_object(loop)
    loop[generic.NameObject("/Self")] = loop_ref
    loop[generic.NameObject("/Page")] = root["/Pages"]["/Kids"].raw_get(0)
    loop[generic.NameObject("/Numbers")] = generic.ArrayObject([generic.NumberObject(n) for n in range(700)])
    root[generic.NameObject("/Loop")] = loop_ref


def _circular_page_tree(w: PdfFileWriter, root: generic.DictionaryObject) -> None:
    """A page tree that lists the same page twice: pyHanko's "circular reference" error."""
    kids = root["/Pages"]["/Kids"]
    kids.append(kids.raw_get(0))


def test_an_encrypted_document_gets_pyhankos_paths_and_dependencies() -> None:
    """The walk reads an encrypted file's objects through the revision, decrypted, as pyHanko's does."""

    def secret_info(w: PdfFileWriter, root: generic.DictionaryObject) -> None:
        info = generic.DictionaryObject({generic.NameObject("/Next"): generic.ArrayObject([root.raw_get("/Pages")])})
        root[generic.NameObject("/Secret")] = w.add_object(info)
        w.encrypt("owner", "")

    first = _document(secret_info)
    update = IncrementalPdfFileWriter(BytesIO(first))
    update.encrypt("owner")
    extra = generic.ArrayObject([update.root.raw_get("/Secret"), generic.TextStringObject("thêm")])
    update.root[generic.NameObject("/Extra")] = update.add_object(extra)
    update.update_root()
    out = BytesIO()
    update.write(out)
    assert _reader(out.getvalue()).encrypted
    assert _assert_same_walks(out.getvalue()) == 2
    resolver = _reader(out.getvalue()).get_historical_resolver(1)
    fast_load_reverse_xref_cache(resolver)
    assert len(resolver._indirect_object_access_cache) >= 4  # the walk went through the decrypted objects


@pytest.mark.parametrize("build", [_struct_tree, _cycles_and_links, _circular_page_tree])
def test_structure_trees_cycles_page_links_and_broken_trees_get_pyhankos_answer(build: Any) -> None:
    _assert_same_walks(_document(build))


def test_orphans_are_pyhankos_and_found_once_per_revision(
    signed_steps: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from verifier import pdf_usage_walk

    original = pdf_usage_walk._ORIGINAL_FIND_ORPHANS
    calls: list[int] = []

    def counted(hist_rev: Any) -> Any:
        calls.append(hist_rev.revision)
        return original(hist_rev)

    monkeypatch.setattr(pdf_usage_walk, "_ORIGINAL_FIND_ORPHANS", counted)
    for data in (signed_steps["sealed"], *(p.read_bytes() for p in CORPUS_PDFS[:12])):
        try:
            reader = PdfFileReader(BytesIO(data), strict=False)
            revisions = range(1, reader.xrefs.total_revisions)
        except Exception:  # a file pyHanko cannot open
            continue
        for revision in revisions:
            resolver = reader.get_historical_resolver(revision)
            try:
                expected = original(PdfFileReader(BytesIO(data), strict=False).get_historical_resolver(revision))
            except Exception as e:  # the same error, and it is not kept
                for _ in range(2):
                    with pytest.raises(type(e)):
                        pdf_usage_walk.once_per_revision_find_orphans(resolver)
                continue
            calls.clear()
            first = pdf_usage_walk.once_per_revision_find_orphans(resolver)
            first.add(generic.Reference(999_999, 0))  # a caller's changes stay its own
            again = pdf_usage_walk.once_per_revision_find_orphans(resolver)
            assert again == expected and calls == [revision]


def test_the_walk_and_the_dependency_collection_leave_no_reference_cycle(signed_steps: dict[str, bytes]) -> None:
    """Their recursive inner functions referred to themselves. Left so, each call's function, its cells and
    everything they held (the paths found, the revision's resolver and through it the whole reader) waited for the
    garbage collector, about 1,500 objects per verification. Only this module's garbage is looked at: another
    thread (a verification's worker past its deadline, say) may leave its own meanwhile."""
    import gc
    import types

    from verifier import pdf_usage_walk

    data = signed_steps["sealed"]
    reader = _reader(data)  # kept alive here: only what the walks themselves leave can be garbage
    resolvers = [reader.get_historical_resolver(r) for r in range(1, reader.xrefs.total_revisions)]
    fast_load_reverse_xref_cache(reader.get_historical_resolver(0))  # imports and first reads out of the way
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # the collector keeps what it finds, to be looked at
    try:
        for resolver in resolvers:
            fast_load_reverse_xref_cache(resolver)
            fast_collect_dependencies(resolver, resolver.trailer_view)
            fast_collect_dependencies(resolver, resolver.trailer_view, resolver.revision)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, types.FunctionType) and o.__module__ == pdf_usage_walk.__name__]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert all(r._indirect_object_access_cache for r in resolvers)
    assert left == []
