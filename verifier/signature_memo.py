"""Signature checks that succeeded, remembered, with identical results.

Each verification of a transcript checks about 18 raw signatures (pyhanko-certvalidator's ``_validate_raw``): the
signers' CMS signatures and timestamp tokens, but also each certificate's signature on its path, the OCSP answers
and the CRL in the document's DSS. The last ones are the same bytes in every transcript a school issues: of the 18,
14 were checked, with the same inputs, by the verification of another transcript of the same class. Each costs
about 70 µs (loading the public key, then an RSA verification).

A raw signature check is a pure function of its inputs: the signature, the signed bytes, the public key, the
signature algorithm, and the two fields of the validation context. :func:`remembered_validate_raw` keeps a digest
of those inputs once pyhanko-certvalidator's own check has *succeeded* for them, and answers the same inputs again
without redoing it. A failure is never kept, so it is raised again by the original check, with its own error. The
digest is SHA-256 over all the inputs, each prefixed by its length, so two different inputs never share one; the
memo is bounded (a full memo is emptied), so a stream of strangers' files cannot make a verifier hold more.

The check that a signature's signing-certificate attribute names the signer's certificate (pyHanko's
``_check_signing_certificate``) is done twice per signature and timestamp token: when the certificates are
extracted, then again in the integrity check, on a fresh copy of the signed attributes that it parses again (about
120 µs each time; 4 of them per transcript). :func:`remembered_check_signing_certificate` remembers, the same way,
the certificate and signed attributes it accepted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pyhanko.sign.validation import generic_cms
from pyhanko_certvalidator import sig_validate
from pyhanko_certvalidator.version import __version__ as CERTVALIDATOR_VERSION

__all__ = ["SUPPORTED_CERTVALIDATOR", "install", "remembered_check_signing_certificate", "remembered_validate_raw"]

_MEMO_MAX = 4096
_CHECKED: set[bytes] = set()
_SIGNING_CERTIFICATES: set[bytes] = set()


_ORIGINAL_VALIDATE_RAW = sig_validate._validate_raw


def _digest(*parts: bytes) -> bytes:
    """SHA-256 over ``parts``, each prefixed by its length."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def _inputs_digest(signature: bytes, signed_data: bytes, public_key_info: Any, algorithm: Any, context: Any) -> bytes:
    return _digest(
        bytes(signature),
        bytes(signed_data),
        public_key_info.dump(),
        algorithm.dump(),
        repr((context.contextual_md_algorithm, bool(context.prehashed))).encode(),
    )


def _remember(memo: set[bytes], key: bytes) -> None:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo.add(key)


def remembered_validate_raw(
    signature: bytes,
    signed_data: bytes,
    public_key_info: Any,
    signature_algorithm: Any,
    context: Any = None,
) -> None:
    """pyhanko-certvalidator's ``_validate_raw`` (raises on a bad signature), not redone for inputs it accepted."""
    context = sig_validate.DEFAULT_VALIDATION_CONTEXT if context is None else context
    key = _inputs_digest(signature, signed_data, public_key_info, signature_algorithm, context)
    if key in _CHECKED:
        return
    _ORIGINAL_VALIDATE_RAW(signature, signed_data, public_key_info, signature_algorithm, context)
    _remember(_CHECKED, key)


_ORIGINAL_CHECK_SIGNING_CERTIFICATE = generic_cms._check_signing_certificate


def remembered_check_signing_certificate(cert: Any, signed_attrs: Any) -> None:
    """pyHanko's ``_check_signing_certificate`` (raises when the attribute does not name ``cert``), not redone for
    a certificate and signed attributes it accepted. The attributes are keyed by their content octets, which the
    tagged original and its untagged copy share; the whole check reads nothing else."""
    contents = getattr(signed_attrs, "contents", None)
    if not isinstance(contents, bytes):  # no attributes (None): nothing to key on, and nothing to save
        _ORIGINAL_CHECK_SIGNING_CERTIFICATE(cert, signed_attrs)
        return
    key = _digest(cert.dump(), contents)
    if key in _SIGNING_CERTIFICATES:
        return
    _ORIGINAL_CHECK_SIGNING_CERTIFICATE(cert, signed_attrs)
    _remember(_SIGNING_CERTIFICATES, key)


SUPPORTED_CERTVALIDATOR = frozenset({"0.33.0"})


def install() -> bool:
    """Remember pyhanko-certvalidator's successful raw signature checks and pyHanko's signing-certificate checks, if
    pyhanko-certvalidator is a version this was checked against (:func:`verifier.pdf_speedups.install` checks
    pyHanko's): its ``DefaultSignatureValidator`` looks ``_validate_raw`` up in its module on every call."""
    if CERTVALIDATOR_VERSION not in SUPPORTED_CERTVALIDATOR:
        return False
    sig_validate._validate_raw = remembered_validate_raw
    # pyHanko's extract_certs_for_validation and validate_sig_integrity look it up in their module on every call
    generic_cms._check_signing_certificate = remembered_check_signing_certificate
    return True
