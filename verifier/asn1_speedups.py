"""Memoised asn1crypto computations, with identical results.

Path building compares X.509 names after RFC 4518 string preparation (asn1crypto's ``_ldap_string_prep``), about
270 times per three-signature transcript, each time on freshly parsed certificates, so asn1crypto's per-object
cache never hits. The preparation is a pure function of the string: :func:`install` memoises it (a bounded dict),
which saves about 6 ms per verification.

Certificate names: path building compares names with asn1crypto's ``Name.__eq__`` (about 60 times per
verification, each preparing every attribute of both names again) and keys them by ``Name.hashable`` (about 350
times, 17 µs each), both computed afresh on every call. :func:`install` memoises both by the Names' DER.

Object identifiers: asn1crypto turns an OID's DER bytes into its dotted string once per parsed object, about 650
times per three-signature transcript (every certificate, CRL, OCSP answer and CMS attribute is parsed afresh). The
string is a pure function of the bytes, so :func:`install` memoises it by them (a bounded dict): about 20 ms less
per verification on a loaded 2-core machine.

Parsed certificates, CRLs and OCSP answers: asn1crypto parses lazily and keeps what it parsed on the object, but
every verification parses the same school's certificates (GVCN, principal, seal, CA, TSA) and the same CRL afresh
from the CMS and the DSS, and then parses their names, extensions and keys again field by field. :func:`interned`
hands back, for the same type and DER, the object parsed before: every transcript of a school shares them. A kept
object is a fresh twin parsed in full (``.native`` succeeded) when a second verification sees its DER, before anyone
else sees it, so a value that fails to parse is never kept, a one-off verification pays nothing for it, and the
verification threads that share it only read it (asn1crypto's later caches on it, such as hashes and key
identifiers, are single assignments of the same value). The stores are bounded (512 objects and 8 MiB of DER
each; an object over 256 KiB is never kept), so files uploaded by strangers cannot make a verifier hold more. In
the benchmark (transcripts of one class, verified in turn) this saves about a fifth of a verification.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from asn1crypto import core, x509

__all__ = [
    "install",
    "install_pyhanko_hooks",
    "interned",
    "interning_extract_certificate_info",
    "memoised_dotted",
    "memoised_ldap_string_prep",
    "memoised_name_eq",
    "memoised_name_hashable",
    "new_verification",
    "once_per_signed_data_extract_certs_for_validation",
]

_MEMO_MAX = 4096
_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def _remembered(memo: dict[_Key, _Value], key: _Key, compute: Callable[[], _Value]) -> _Value:
    """``memo[key]``, computed and kept if missing (a full memo is emptied first; errors are not kept)."""
    value = memo.get(key)
    if value is None:
        value = compute()
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[key] = value
    return value


_ORIGINAL_NAME_HASHABLE = x509.Name.hashable
_HASHABLE: dict[bytes, str] = {}


def _name_der(name: Any) -> bytes:
    """The Name's DER: kept with the Name when it is inside a kept object (:func:`interned`), which nothing changes.

    ``dump()`` walks every attribute of the name to see whether one changed, each time: about 150 times per
    verification, on the names of the same few kept certificates, CRLs and OCSP answers."""
    der = name.__dict__.get("_sogoc_der")
    return der if der is not None else name.dump()  # type: ignore[no-any-return]


def _memoised_name_hashable(self: Any) -> str:
    """asn1crypto's ``Name.hashable`` (what path building compares names by), memoised by the Name's DER."""
    return _remembered(_HASHABLE, _name_der(self), lambda: str(_ORIGINAL_NAME_HASHABLE.fget(self)))


memoised_name_hashable = property(_memoised_name_hashable)

_ORIGINAL_NAME_EQ = x509.Name.__eq__
_NAME_EQ: dict[tuple[bytes, bytes], bool] = {}


def memoised_name_eq(self: Any, other: object) -> bool:
    """asn1crypto's ``Name.__eq__`` (RFC 5280 comparison), memoised by the two Names' DER."""
    if not isinstance(other, x509.Name):
        return False
    return _remembered(_NAME_EQ, (_name_der(self), _name_der(other)), lambda: bool(_ORIGINAL_NAME_EQ(self, other)))


_ORIGINAL_PREP = x509.NameTypeAndValue._ldap_string_prep
_PREPPED: dict[str, str] = {}


def memoised_ldap_string_prep(self: Any, string: str) -> str:
    """asn1crypto's RFC 4518 preparation, memoised by the string (it depends on nothing else)."""
    return _remembered(_PREPPED, string, lambda: _ORIGINAL_PREP(self, string))


_ORIGINAL_DOTTED = core.ObjectIdentifier.dotted
_DOTTED: dict[bytes, str] = {}
_DOTTED_MAX = 4096


def _memoised_dotted(self: Any) -> str:
    """asn1crypto's ``ObjectIdentifier.dotted``, memoised by the DER contents (it depends on nothing else)."""
    if self._dotted is None:
        contents = self.contents
        dotted = _DOTTED.get(contents) if contents is not None else None
        if dotted is None:
            dotted = _ORIGINAL_DOTTED.fget(self)
            if contents is not None:
                if len(_DOTTED) >= _DOTTED_MAX:
                    _DOTTED.clear()
                _DOTTED[contents] = dotted
        self._dotted = dotted
    return str(self._dotted)


memoised_dotted = property(_memoised_dotted)


_Parsed = TypeVar("_Parsed", bound=core.Asn1Value)
_KEPT_MAX = 512  # objects in each store
_KEPT_MAX_BYTES = 8 << 20  # DER bytes in each store: kept objects are parsed in full, several times their DER
_KEPT_MAX_DER = 256 << 10  # a larger object (a big CRL) is parsed each time rather than kept


class _Store:
    """A dict from (type, DER) that empties itself rather than hold more than ``_KEPT_MAX`` entries or
    ``_KEPT_MAX_BYTES`` of DER, so files from strangers cannot make a verifier keep more."""

    def __init__(self) -> None:
        self.entries: dict[tuple[type, bytes], Any] = {}
        self.der_bytes = 0

    def put(self, key: tuple[type, bytes], value: Any) -> None:
        if key not in self.entries:  # a key already there takes no more room: nothing to empty for it
            if len(self.entries) >= _KEPT_MAX or self.der_bytes + len(key[1]) > _KEPT_MAX_BYTES:
                self.clear()
            self.der_bytes += len(key[1])
        self.entries[key] = value

    def discard(self, key: tuple[type, bytes]) -> None:
        if self.entries.pop(key, None) is not None:
            self.der_bytes -= len(key[1])

    def clear(self) -> None:
        self.entries.clear()
        self.der_bytes = 0


_KEPT = _Store()  # (type, DER) -> the fully parsed object
_SEEN = _Store()  # (type, DER) seen but not kept yet -> the verification that saw it
_verifications = itertools.count(1)
_current = 0


def new_verification() -> None:
    """Called as each verification starts: a DER is kept once a later verification sees it again."""
    global _current
    _current = next(_verifications)


def interned(value: _Parsed) -> _Parsed:
    """The fully parsed object kept for ``value``'s type and DER, else ``value``.

    A DER is only noted by the first verification that sees it (a one-off verification, ``sogoc-verify FILE``,
    pays nothing for keeping). When another verification sees it again, a fresh twin is parsed in full and kept
    if that succeeds. Verifications in other threads only make that happen sooner."""
    der = value.dump()
    if len(der) > _KEPT_MAX_DER:
        return value
    key = (type(value), der)
    found = _KEPT.entries.get(key)
    if found is None:
        if _SEEN.entries.get(key, _current) == _current:
            _SEEN.put(key, _current)
            return value
        twin = type(value).load(der)
        try:
            twin.native  # noqa: B018 -- parse all of it now, so that only values that parse are kept
            _remember_name_ders(twin)
        except Exception:
            return value
        _KEPT.put(key, twin)
        _SEEN.discard(key)
        found = twin
    return found  # type: ignore[no-any-return]


def _remember_name_ders(value: core.Asn1Value) -> None:
    """Keep each Name's DER with the Name (see :func:`_name_der`), in a fully parsed object about to be kept."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, x509.Name):
            item._sogoc_der = item.dump()
        elif isinstance(item, core.Choice):
            stack.append(item._parsed)
        elif isinstance(item, core.Any | core.ParsableOctetString):
            stack.append(item._parsed[0] if item._parsed else None)
        elif isinstance(item, core.Sequence | core.SequenceOf):
            stack.extend(item.children or ())


def _original_extract_certificate_info() -> Any:
    from pyhanko.sign import general

    return general.extract_certificate_info


_ORIGINAL_EXTRACT = _original_extract_certificate_info()


def interning_extract_certificate_info(signed_data: Any) -> Any:
    """pyHanko's ``extract_certificate_info`` for validation, with the public-key certificates :func:`interned`."""
    from pyhanko.sign.general import SignedDataCerts

    info = _ORIGINAL_EXTRACT(signed_data)
    return SignedDataCerts(
        signer_cert=interned(info.signer_cert),
        other_certs=[interned(c) for c in info.other_certs],
        attribute_certs=info.attribute_certs,
    )


def _original_extract_certs_for_validation() -> Any:
    from pyhanko.sign.validation import generic_cms

    return generic_cms.extract_certs_for_validation


_ORIGINAL_EXTRACT_FOR_VALIDATION = _original_extract_certs_for_validation()


def once_per_signed_data_extract_certs_for_validation(signed_data: Any) -> Any:
    """pyHanko's ``extract_certs_for_validation``, computed once per ``SignedData`` object (a pure function of it).

    pyHanko asks twice for each signature (the embedded signature's certificate information, then the CMS
    validation), and never changes a SignedData it validates. The answer is kept on the parsed ``SignedData``
    itself, so it lives and dies with that one document's signature (asn1crypto's copies do not carry it); an
    error is not kept, and is raised again on the next call."""
    info = signed_data.__dict__.get("_sogoc_certs_for_validation")
    if info is None:
        info = _ORIGINAL_EXTRACT_FOR_VALIDATION(signed_data)
        signed_data._sogoc_certs_for_validation = info
    return info


def install() -> None:
    """Install the asn1crypto memos (they depend on asn1crypto only)."""
    x509.NameTypeAndValue._ldap_string_prep = memoised_ldap_string_prep
    core.ObjectIdentifier.dotted = memoised_dotted  # type: ignore[method-assign,assignment]
    x509.Name.hashable = memoised_name_hashable  # type: ignore[method-assign,assignment]
    x509.Name.__eq__ = memoised_name_eq  # type: ignore[method-assign,assignment]


def install_pyhanko_hooks() -> None:
    """Intern the certificates pyHanko's CMS validation extracts (checked against the pyHanko versions that
    :mod:`verifier.pdf_speedups` lists)."""
    from pyhanko.sign.validation import generic_cms

    generic_cms.extract_certificate_info = interning_extract_certificate_info
    generic_cms.extract_certs_for_validation = once_per_signed_data_extract_certs_for_validation
