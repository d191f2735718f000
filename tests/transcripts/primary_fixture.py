"""Test data for the primary-year tests: issue #14's grade-3 input (a uniquely named helper module, like
``hocba_fixture``)."""

from __future__ import annotations

import copy
from typing import Any

ISSUE_EXAMPLE: dict[str, Any] = {
    "grade": 3,
    "subjects": {
        "Tiếng Việt": {"hk1": {"level": "T", "test": 9}, "year": {"level": "T", "test": 10}},
        "Đạo đức": {"hk1": {"level": "H"}, "year": {"level": "T"}},
    },
    "qualities": {"Yêu nước": "Tốt", "Nhân ái": "Tốt", "Chăm chỉ": "Đạt", "Trung thực": "Tốt", "Trách nhiệm": "Tốt"},
    "competences": {
        "Tự chủ và tự học": "Tốt",
        "Giao tiếp và hợp tác": "Tốt",
        "Giải quyết vấn đề và sáng tạo": "Tốt",
        "Ngôn ngữ": "Tốt",
        "Tính toán": "Tốt",
    },
}


def example(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ISSUE_EXAMPLE)
    data.update(changes)
    return data
