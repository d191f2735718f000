"""The fast JSON writer gives the reference writer's bytes on every kind of input, including the ones it hands
back to the reference (a NUL or the text "\\u0000" in a string, a float, a key that is not text, a container met
twice), and the written figures are the same with the number cache warm or cold."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from credential_service.admissions import values
from credential_service.admissions.result_json import _reference, dumps

D = Decimal
TEXTS = ["", "a", "Toán", 'q"uote', "back\\slash", "\x00", "a\x0024.50\x00", "\\u0000", '"\\u0000', "\u2028", "😀"]
LEAVES: list[Any] = [None, True, False, 0, -7, 10**20, D("24.5"), D("24.50"), D("-0"), D("0"), D("1.005"), D("9.999")]


def _random(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth > 3 or pick < 0.4:
        return rng.choice(LEAVES + TEXTS)
    if pick < 0.7:
        return {rng.choice(TEXTS) + str(i): _random(rng, depth + 1) for i in range(rng.randint(0, 4))}
    return [_random(rng, depth + 1) for _ in range(rng.randint(0, 4))]


@pytest.mark.parametrize("indent", [0, 2])
def test_random_documents_are_written_as_the_reference_writes_them(indent: int) -> None:
    rng = random.Random(15)
    for _ in range(400):
        value = _random(rng, 0)
        assert dumps(value, indent=indent) == _reference(value, indent)


def test_the_cases_the_fast_path_hands_back() -> None:
    shared = [D("1.5")]
    for value in (
        {"a": "x\x00y", "n": D("2")},
        {"a": "\\u0000", "n": D("2")},
        {"a": "\x0024.50\x00"},
        [shared, shared],
        (D("3"), "t"),
    ):
        assert dumps(value) == _reference(value, 0)
    for bad in ({"x": 1.5}, {1: "one"}, {"s": {1, 2}}):
        with pytest.raises(TypeError):
            dumps(bad)


def test_figures_do_not_depend_on_the_number_cache() -> None:
    data = {"t": [D("24.5"), D("24.50"), D("-0"), D("0.00"), D("0.005"), D("-0.004")]}
    warm = dumps(data)
    values._EN.clear()
    values._VI.clear()
    assert dumps(data) == warm == b'{"t":[24.50,24.50,-0.00,0.00,0.01,-0.00]}'
    assert values.vi_number(D("-0")) == "-0,00" and values.vi_number(D("0")) == "0,00"
