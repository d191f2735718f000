"""pyHanko's reference walks for difference analysis, with the same results, faster.

Difference analysis asks, for every object a later revision overwrites, by which paths the signed revision reached
it from the trailer. pyHanko answers by walking the whole object graph of the signed revision once and recording
the path to every indirect reference it meets. The walk calls itself for every value in the document, numbers and
names included, and builds the value's path before finding that it holds nothing: a transcript's font ``/Widths``
alone is 670 such calls per revision. It also checks, for every dictionary key, whether the key is the structure
tree's ``/K``, by comparing the path first.

:func:`fast_load_reverse_xref_cache` is pyHanko 0.38's method (``pdf_utils/reader.py``) with these two changes
only: a value that is not a reference, dictionary or array is skipped before its path is built (pyHanko's walk
returns at once for such values), the key is compared before the path, and the references on the current path
(the cycle check) are a tuple rather than a linked list walked by a generator. The page-tree and structure-tree
special cases, the cycle check and the resulting paths are pyHanko's, copied as they are. Installed by
:func:`verifier.pdf_speedups.install` for the pyHanko versions it lists; a test compares both walks on every
revision of the shared corpus.

The walk reads each object as pyHanko's does, through the revision's resolver, except that an object the file has
not changed since the revision is read from the reader's shared cache (:func:`_walk_resolver`) instead of being
copied for the revision first: the copy has the same contents, and is made later only if a rule reads the object.
For a transcript, that is about 200 copies fewer per verification (the fonts of three revisions, mostly).

:func:`fast_collect_dependencies` is pyHanko 0.38's ``collect_dependencies`` (finding the objects a revision adds
that nothing reaches) with the same two changes: values that hold no reference are skipped before the call, and
objects are read as the walk reads them. A test compares both on every object of every revision of the corpus.

:func:`once_per_revision_find_orphans` keeps pyHanko's answer to which of a revision's new objects nothing
reaches: it depends on the revision only, and difference analysis asks again for each older signature.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils import reader as pdf_reader

__all__ = [
    "fast_collect_dependencies",
    "fast_load_reverse_xref_cache",
    "once_per_revision_find_orphans",
    "original_collect_dependencies",
    "original_load_reverse_xref_cache",
]

original_load_reverse_xref_cache = pdf_reader.HistoricalResolver._load_reverse_xref_cache
original_collect_dependencies = pdf_reader.HistoricalResolver.collect_dependencies
_CONTAINERS = (generic.IndirectObject, generic.DictionaryObject, generic.ArrayObject)


def fast_load_reverse_xref_cache(self: Any) -> None:
    if self._indirect_object_access_cache is not None:
        return
    walk = _UsageWalk(self)
    walk.walk(self.trailer_view, misc.ConsList.empty(), (), False)
    self._indirect_object_access_cache = {
        ref: {pdf_reader.RawPdfPath(*reversed(list(p))) for p in paths} for ref, paths in walk.collected.items()
    }


class _UsageWalk:
    """One walk of a revision (:func:`fast_load_reverse_xref_cache`). A class rather than an inner function that
    calls itself: such a function is a reference cycle, which would keep it, the paths it found and, through its
    resolver, the whole reader until the garbage collector runs (about 1,500 objects per verification)."""

    __slots__ = ("collected", "page_tree_nodes", "resolve", "root_path", "struct_tree_nodes")

    def __init__(self, revision: Any) -> None:
        self.page_tree_nodes = _page_tree_nodes(revision)
        self.struct_tree_nodes = _struct_tree_nodes(revision)
        self.collected: defaultdict[generic.Reference, set[Any]] = defaultdict(set)
        self.root_path = misc.ConsList.sing("/Root")
        self.resolve = _walk_resolver(revision)

    def walk(self, obj: Any, cur_path: Any, seen_in_path: tuple[generic.Reference, ...], is_struct_tree: bool) -> None:
        if isinstance(obj, generic.IndirectObject):
            obj_ref = obj.reference
            if obj_ref in seen_in_path:
                return
            self.collected[obj_ref].add(cur_path)
            seen_in_path = (*seen_in_path, obj_ref)
            obj = self.resolve(obj_ref)
            # only enter a page tree node via its canonical path through the tree (pyHanko's comment explains why)
            if self.page_tree_nodes.get(obj_ref, cur_path) != cur_path:
                return
            if not is_struct_tree and obj_ref in self.struct_tree_nodes:
                return
        if isinstance(obj, generic.DictionaryObject):
            for k, v in obj.items():
                if k == "/Parent" or (is_struct_tree and k == "/P") or not isinstance(v, _CONTAINERS):
                    continue
                self.walk(
                    v,
                    cur_path.cons(k),
                    seen_in_path,
                    is_struct_tree
                    or (k == "/K" and cur_path.head == "/StructTreeRoot" and cur_path.tail == self.root_path),
                )
        elif isinstance(obj, generic.ArrayObject):
            for ix, v in enumerate(obj):
                if isinstance(v, _CONTAINERS):
                    self.walk(v, cur_path.cons(ix), seen_in_path, is_struct_tree)


def fast_collect_dependencies(self: Any, obj: Any, since_revision: int | None = None) -> set[generic.Reference]:
    """pyHanko 0.38's ``HistoricalResolver.collect_dependencies``: every reference ``obj`` leads to, not entering
    objects older than ``since_revision``. As pyHanko's, with the two changes of the walk above: a value that
    holds no reference is skipped before the call, and objects are read with :func:`_walk_resolver`."""
    found: set[generic.Reference] = set()
    _collect(obj, found, since_revision, self.reader.xrefs.get_introducing_revision, _walk_resolver(self))
    return found


def _collect(value: Any, found: set[Any], since_revision: int | None, introduced_in: Any, resolve: Any) -> None:
    """:func:`fast_collect_dependencies`' recursion (a module function: see :class:`_UsageWalk` on inner ones)."""
    if isinstance(value, generic.IndirectObject):
        ref = value.reference
        if ref in found:
            return
        if since_revision is not None and introduced_in(ref) < since_revision:
            return  # pyHanko: an older object holds no newer reference
        found.add(ref)
        value = resolve(ref)
    if isinstance(value, generic.DictionaryObject):
        values: Any = value.values()
    elif isinstance(value, generic.ArrayObject):
        values = value
    else:
        return
    for item in values:
        if isinstance(item, _CONTAINERS):
            _collect(item, found, since_revision, introduced_in, resolve)


def _walk_resolver(self: Any) -> Any:
    """What the walk reads a reference with: the revision's own copy of the object if it has one, else, for an
    object the file has not changed since this revision, the reader's shared object rather than a fresh copy.

    The revision's resolver (pyHanko's ``HistoricalResolver.get_object``) reads such an object from the same
    shared cache and copies it, only to point its references at the revision: the copy has the same keys, values
    and references, in the same order, so the walk finds the same paths. The copy is made later, if a rule reads
    the object through the revision. An encrypted file, an object changed after this revision and an object the
    cross-reference sections do not know go through the revision's resolver, as in pyHanko."""
    reader = self.reader
    if reader.encrypted:
        return self
    own, revision, last_change = self.cache, self.revision, reader.xrefs.get_last_change

    def resolve(ref: generic.Reference) -> Any:
        obj = own.get(ref)
        if obj is not None:
            return obj
        try:
            unchanged = last_change(ref) <= revision
        except KeyError:
            unchanged = False
        return reader.get_object(ref, transparent_decrypt=False) if unchanged else self(ref)

    return resolve


def once_per_revision_find_orphans(hist_rev: Any) -> set[generic.Reference]:
    """pyHanko 0.38's ``_find_orphans`` (``sign/diff_analysis/policies.py``), computed once per revision.

    It depends on the revision only, but difference analysis asks again for every older signature that the
    revision is compared with (the last revision of a transcript: twice). The answer is kept on the revision's
    resolver, which the reader itself keeps; each caller gets its own copy, and an error is not kept."""
    orphans = hist_rev.__dict__.get("_sogoc_orphans")
    if orphans is None:
        orphans = frozenset(_ORIGINAL_FIND_ORPHANS(hist_rev))
        hist_rev._sogoc_orphans = orphans
    return set(orphans)


def _original_find_orphans() -> Any:
    from pyhanko.sign.diff_analysis import policies

    return policies._find_orphans


_ORIGINAL_FIND_ORPHANS = _original_find_orphans()


def _page_tree_kids(pages_obj: Any, path: Any) -> Iterator[tuple[generic.Reference, Any]]:
    for ix, kid in enumerate(pages_obj["/Kids"]):
        kid_path = path.cons("/Kids").cons(ix)
        if isinstance(kid, generic.IndirectObject):
            yield kid.reference, kid_path
        kid = kid.get_object()
        if kid.get("/Type", None) == "/Pages":
            yield from _page_tree_kids(kid, kid_path)


def _page_tree_nodes(self: Any) -> dict[generic.Reference, Any]:
    pages_ref = self.root.raw_get("/Pages")
    pages_path = misc.ConsList.sing("/Root").cons("/Pages")
    nodes = {}
    if isinstance(pages_ref, generic.IndirectObject):
        nodes[pages_ref.reference] = pages_path
    for ref, path in _page_tree_kids(pages_ref.get_object(), pages_path):
        if ref in nodes:
            raise misc.PdfReadError("Circular reference in page tree in mapping stage")
        nodes[ref] = path
    return nodes


def _struct_elems(struct_elem: Any) -> Iterator[generic.Reference]:
    try:
        children = struct_elem["/K"]
    except KeyError:
        return
    # if there's only one child, /K need not be an array
    if not isinstance(children, generic.ArrayObject):
        children = (children,)
    for child in children:
        child_ref = None
        if isinstance(child, generic.IndirectObject):
            child_ref = child.reference
            child = child.get_object()
        # the /K entry can also refer to content items, which do not matter here
        if not isinstance(child, generic.DictionaryObject):
            continue
        try:
            if child["/Type"] != "/StructElem":
                continue
        except KeyError:
            pass  # /StructElem is the default
        if child_ref is not None:
            yield child_ref
        yield from _struct_elems(child)


def _struct_tree_nodes(self: Any) -> set[generic.Reference]:
    nodes: set[generic.Reference] = set()
    try:
        struct_tree_root = self.root.raw_get("/StructTreeRoot").get_object()
        for ref in _struct_elems(struct_tree_root):
            if ref in nodes:
                raise misc.PdfReadError("Circular reference in structure tree in mapping stage")
            nodes.add(ref)
    except KeyError:
        pass
    return nodes
