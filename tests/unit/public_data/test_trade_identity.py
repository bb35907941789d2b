"""Our fill ids: equal descriptions agree, equal fills get ordinals, a resumed walk keeps counting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.adapters.polymarket.trade_identity import (
    Carry,
    FillIdentities,
    fill_key,
    unwrap_cursor,
    wrap_cursor,
)

TX = "0x" + "ab" * 32


def _key(size: str = "10", price: str = "0.5", timestamp: int = 1_786_000_000, **kw: str) -> str:
    fields = {"wallet": "0x" + "11" * 20, "tx_hash": TX, "token_id": "123", "side": "BUY"} | kw
    return fill_key(size=Decimal(size), price=Decimal(price), timestamp=timestamp, **fields)


def test_the_description_is_canonical() -> None:
    assert _key(size="250") == _key(size="250.0") == _key(size="2.5E+2")
    assert _key(wallet="0x" + "AA" * 20) == _key(wallet="0x" + "aa" * 20)
    assert _key(side="buy") == _key(side="BUY")
    assert _key(size="250") != _key(size="250.01")
    assert _key(price="0.5") != _key(price="0.51")
    assert _key(timestamp=1) != _key(timestamp=2)


def test_equal_fills_get_distinct_ids_in_order() -> None:
    ids = FillIdentities()
    a = [ids.id_for(_key(), 5) for _ in range(3)]
    again = FillIdentities()
    assert len(set(a)) == 3
    assert [again.id_for(_key(), 5) for _ in range(3)] == a


@settings(deadline=None, max_examples=100)
@given(
    rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40),
    page=st.integers(1, 10),
)
def test_a_walk_cut_into_pages_and_resumed_gives_the_ids_of_one_walk(rows: list[tuple[int, int]], page: int) -> None:
    # rows in feed order: newest first, equal timestamps together (the API orders by time)
    ordered = sorted(rows, key=lambda r: -r[1])
    keyed = [(_key(size=str(1 + kind), timestamp=ts), ts) for kind, ts in ordered]
    whole = FillIdentities()
    expected = [whole.id_for(k, ts) for k, ts in keyed]

    got: list[str] = []
    cursor: str | None = None
    for start in range(0, len(keyed), page):
        _, carry = unwrap_cursor(cursor)
        ids = FillIdentities(carry)  # a fresh process resuming from the stored cursor
        got.extend(ids.id_for(k, ts) for k, ts in keyed[start : start + page])
        cursor = wrap_cursor("server-cursor", ids.carry())

    assert got == expected


def test_cursors_round_trip_and_foreign_ones_carry_nothing() -> None:
    carry = Carry(42, {"k1": 2})
    server, back = unwrap_cursor(wrap_cursor("abc", carry))
    assert (server, back) == ("abc", carry)
    assert unwrap_cursor("raw-server-cursor") == ("raw-server-cursor", Carry())
    assert unwrap_cursor(None) == (None, Carry())
    assert wrap_cursor(None, carry) is None
    with pytest.raises(ValueError, match="not a cursor"):
        unwrap_cursor("oc1.not-base64-json")
