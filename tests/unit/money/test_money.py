"""Money: named quantizers, one float rule, and rounding that no thread context can change."""

from __future__ import annotations

import decimal
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.money import (
    CENT,
    MICRO,
    PRICE_STEP,
    from_float,
    parse_amount,
    quantize,
    to_cents,
    to_micros,
    to_share_step,
)

D = Decimal


def test_quantizers_round_as_named() -> None:
    assert to_cents(D("1.005")) == D("1.00")  # banker's rounding by default
    assert to_cents(D("1.015")) == D("1.02")
    assert to_cents(D("1.001"), ROUND_CEILING) == D("1.01")
    assert to_share_step(D("96.779")) == D("96.77")  # shares: down, never more than there is
    assert to_micros(D("0.1234565")) == D("0.123456")
    assert quantize(D("0.50049"), PRICE_STEP, ROUND_DOWN) == D("0.5004")
    assert (D("0.01"), D("0.000001")) == (CENT, MICRO)


def test_a_callers_thread_context_does_not_change_a_rounded_amount() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert to_cents(D("12345.675")) == D("12345.68")
        assert to_share_step(D("9999.999")) == D("9999.99")


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_becomes_a_decimal_that_reads_back_as_the_same_float(value: float) -> None:
    assert float(from_float(value)) == value


def test_float_examples_and_refusals() -> None:
    assert from_float(0.55) == D("0.55")  # not 0.5500000000000000444…
    assert from_float(0.1 + 0.2) == D("0.30000000000000004")  # the double it is, no more
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="not a finite amount"):
            from_float(bad)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [("0.52", D("0.52")), (0.52, D("0.52")), (3, D("3")), (D("1.5"), D("1.5")), (" 7 ", D("7"))],
)
def test_parse_amount_reads_text_numbers_and_floats(raw: object, amount: Decimal) -> None:
    assert parse_amount(raw) == amount


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", True, None, [1], float("nan")])
def test_parse_amount_refuses_what_is_not_a_finite_amount(raw: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(raw)
