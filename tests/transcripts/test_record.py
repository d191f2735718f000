"""The canonical record is RFC 8785 JSON: key order and spacing never change its hash."""

from __future__ import annotations

from credential_service.platform.canonical import canonical_json, sha256_hex


def test_canonical_json_sorts_keys_and_keeps_vietnamese_as_utf8() -> None:
    assert canonical_json({"b": 1, "a": "Hương"}) == '{"a":"Hương","b":1}'.encode()


def test_the_hash_does_not_depend_on_key_order() -> None:
    one = {"schema": "hocba/1", "student": {"full_name": "Nguyễn Thị Hương", "sex": "Nữ"}}
    two = {"student": {"sex": "Nữ", "full_name": "Nguyễn Thị Hương"}, "schema": "hocba/1"}
    assert sha256_hex(canonical_json(one)) == sha256_hex(canonical_json(two))
