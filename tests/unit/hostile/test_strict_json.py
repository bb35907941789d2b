"""strict_json: every outside JSON document is refused, in one line, for what parsers disagree on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omegacopy.strict_json import JsonInputError, loads


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"nested": {"k": 1, "k": 1}}', "duplicate key 'k'"),
        ("[NaN]", "NaN is not a number"),
        ('{"x": Infinity}', "Infinity is not a number"),
        ("[-Infinity]", "-Infinity is not a number"),
        ("[1e309]", "beyond the range of a float"),
        ("[-1e309]", "beyond the range of a float"),
        (f"[{2**300}]", "longer than 40 digits"),
        ("[" * 200_000 + "]" * 200_000, "nested deeper than 32"),
        ('{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}', "nested deeper"),
        ("{bad", "Expecting property name"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_refused_with_one_clear_line(text: str | bytes, why: str) -> None:
    with pytest.raises(JsonInputError) as refused:
        loads(text)
    message = str(refused.value)
    assert why in message and "\n" not in message
    assert message.startswith("Invalid JSON")


def test_a_key_that_could_hold_a_secret_is_not_quoted() -> None:
    key = "0x" + "ab" * 32
    with pytest.raises(JsonInputError) as refused:
        loads(f'{{"{key}": 1, "{key}": 2}}')
    assert key not in str(refused.value) and "ab" * 8 not in str(refused.value)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert loads('{"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"{{{"}', max_depth=2) == {
        "s": '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["{{{'
    }


def test_valid_documents_parse_as_json_does() -> None:
    assert loads('{"a": [1, 2.5, "x", null, true], "b": {"c": -3}}') == {
        "a": [1, 2.5, "x", None, True],
        "b": {"c": -3},
    }
    assert loads('{"price": 0.29}', decimal_floats=True) == {"price": Decimal("0.29")}
    assert loads(f"[{10**39}]") == [10**39]  # 40 digits is the limit, inclusive
