"""The one validation model of a strategy's settings: the rules that replace the SQL traps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from omegacopy.domain.models import ConsensusMode, SizingMode
from omegacopy.strategy_settings import (
    ALL_CATEGORIES,
    StrategiesFile,
    StrategySettings,
    StrategySpec,
    describe_errors,
    normalize_address,
    settings_from_row,
)

CHECKSUMMED = "0x6C3aa45AC3f6C0BA5485ca040a7f86C65e88f4E4"
BASE: dict[str, Any] = {
    "balance_usd": "5000",
    "max_position_size_usd": "400",
    "max_positions": 8,
    "risk_per_trade_percent": "2",
    "categories": ["politics"],
}


def settings_with(**changes: Any) -> StrategySettings:
    return StrategySettings.model_validate({**BASE, **changes})


def refused(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings_with(**changes)
    return describe_errors(caught.value)


def test_an_empty_category_list_is_refused_with_the_way_out() -> None:
    message = refused(categories=[])
    assert "categories" in message and "'all'" in message and "copy nothing" in message
    assert "categories" in refused(categories=" , ")  # the CLI's comma form, empty after trimming


def test_all_means_every_category_and_cannot_be_mixed() -> None:
    assert settings_with(categories="all").all_categories
    assert settings_with(categories=["ALL"]).categories == ALL_CATEGORIES
    assert "cannot be combined" in refused(categories=["all", "politics"])
    config = settings_with(categories="all").to_config(strategy_id="s", name="s", wallet_id="w")
    assert config.all_categories and config.categories == frozenset()


def test_categories_are_lower_case_sorted_and_unique() -> None:
    s = settings_with(categories="Sports, politics,POLITICS")
    assert s.categories == ("politics", "sports")
    assert s.to_row()["categories"] == ["politics", "sports"] and s.to_row()["all_categories"] is False


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"owrr_threshold_no": 61}, "must not exceed owrr_threshold_yes"),
        ({"sizing_mode": "fixed"}, "fixed_size_usd > 0"),
        ({"sizing_mode": "proportional"}, "proportional_fraction > 0"),
        ({"risk_per_trade_percent": "0"}, "risk_per_trade_percent > 0"),
        ({"balance_usd": "-1"}, "balance_usd"),
        ({"balance_usd": True}, "not true/false"),
        ({"max_positions": 2.5}, "max_positions"),
        ({"max_position_size_usd": "0"}, "max_position_size_usd"),
        ({"slippage_ceiling": "1"}, "slippage_ceiling"),
        ({"slippage_ceiling": "0.0000001"}, "6 decimal places"),
        ({"risk_per_trade_percent": "1.23456"}, "decimal places"),
        ({"balance_usd": "NaN"}, "balance_usd"),
        ({"min_owrr_confidence": "certain"}, "min_owrr_confidence"),
        ({"order_style": "IOC"}, "order_style"),
        ({"stop_loss_pct": "100"}, "stop_loss_pct"),
        ({"markets_filter": ["0xabc"]}, "condition id"),
        ({"surprise": 1}, "surprise"),
        ({"sizing_mode": "kelly"}, "kelly_fraction > 0"),
        ({"sizing_mode": "kelly", "kelly_fraction": "1.000001"}, "kelly_fraction"),
        ({"sizing_mode": "kelly", "kelly_fraction": "-0.25"}, "kelly_fraction"),
        ({"sizing_mode": "kelly", "kelly_fraction": True}, "not true/false"),
        ({"sizing_mode": "martingale"}, "sizing_mode"),
        ({"consensus": "none"}, "consensus"),
    ],
)
def test_values_a_strategy_must_not_run_with_are_refused(changes: dict[str, Any], fragment: str) -> None:
    assert fragment in refused(**changes)


def test_boundaries_that_are_allowed() -> None:
    s = settings_with(owrr_threshold_no=60, owrr_threshold_yes=60, slippage_ceiling="0", stop_loss_pct="off",
                      take_profit_pct="none", max_positions=0, balance_usd="0.000001")  # fmt: skip
    assert s.stop_loss_pct is None and s.take_profit_pct is None and s.balance_usd == Decimal("0.000001")
    fixed = settings_with(sizing_mode="fixed", fixed_size_usd="50", risk_per_trade_percent="0")
    assert fixed.sizing_mode is SizingMode.FIXED


def test_the_modes_and_their_boundaries() -> None:
    kelly = settings_with(sizing_mode="kelly", kelly_fraction="1", risk_per_trade_percent="0", consensus="off")
    assert (kelly.sizing_mode, kelly.consensus) == (SizingMode.KELLY, ConsensusMode.OFF)
    assert kelly.kelly_fraction == Decimal(1)
    config = kelly.to_config(strategy_id="s", name="s", wallet_id="w")
    assert config.consensus is ConsensusMode.OFF and config.kelly_fraction == Decimal("1") and not config.needs_owrr
    assert kelly.to_row()["consensus"] == "off" and kelly.to_row()["sizing_mode"] == "kelly"
    assert settings_with(sizing_mode="kelly", kelly_fraction="0.000001").kelly_fraction == Decimal("0.000001")
    assert settings_with().consensus is ConsensusMode.OWRR  # the default keeps the gate
    # YAML 1.1 loads an unquoted `off` as false
    assert settings_with(consensus=False).consensus is ConsensusMode.OFF
    assert settings_with(consensus=True).consensus is ConsensusMode.OWRR


def test_owrr_written_before_owrr_scaled_is_read_as_owrr_scaled() -> None:
    old = settings_with(sizing_mode="owrr")
    assert old.sizing_mode is SizingMode.OWRR_SCALED
    assert old == settings_with(sizing_mode="owrr_scaled")  # apply sees no difference
    assert old.settings_values()["sizing_mode"] == "owrr_scaled"
    assert "owrr_scaled needs risk_per_trade_percent > 0" in refused(sizing_mode="owrr", risk_per_trade_percent="0")
    row = {**BASE, "sizing_mode": "owrr", "all_categories": False, "consensus": "owrr", "kelly_fraction": Decimal(0)}
    assert settings_from_row(row).sizing_mode is SizingMode.OWRR_SCALED


def test_addresses_in_any_case_are_one_lower_case_address() -> None:
    assert normalize_address(CHECKSUMMED) == CHECKSUMMED.lower()
    assert normalize_address(f"  {CHECKSUMMED.upper().replace('0X', '0x')} ") == CHECKSUMMED.lower()
    spec = StrategySpec.model_validate(
        {**BASE, "id": "s1", "wallet": "w1", "leaders": [CHECKSUMMED, CHECKSUMMED.lower()]}
    )
    assert spec.leaders == (CHECKSUMMED.lower(),)
    for bad in ("0x123", "6C3aa45AC3f6C0BA5485ca040a7f86C65e88f4E4", 0x6C3AA45AC3F6C0BA5485CA040A7F86C65E88F4E4):
        with pytest.raises(ValueError, match="address"):
            normalize_address(bad)


def test_spec_ids_and_wallets_are_checked_with_a_readable_message() -> None:
    with pytest.raises(ValidationError) as caught:
        StrategySpec.model_validate({**BASE, "id": "has space", "wallet": "w 1"})
    message = describe_errors(caught.value)
    assert "strategy id is 1-64 letters" in message and "wallet id" in message


def test_a_file_may_not_name_a_strategy_twice() -> None:
    entry = {**BASE, "id": "s1", "wallet": "w1"}
    with pytest.raises(ValidationError, match="appears twice"):
        StrategiesFile.model_validate({"strategies": [entry, entry]})


def test_a_stored_row_round_trips_through_the_model() -> None:
    s = settings_with(categories="all", markets_filter=["0x" + "Ab" * 32], stop_loss_pct="30")
    row = s.to_row()
    assert row["all_categories"] is True and row["categories"] == []
    assert settings_from_row(row) == s
    with pytest.raises(ValidationError, match="at least one category"):  # an empty list is not "all"
        settings_from_row({**row, "all_categories": False})


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    yes=st.integers(min_value=-5, max_value=105),
    no=st.integers(min_value=-5, max_value=105),
    balance=st.decimals(min_value=-10, max_value=10**6, allow_nan=False, allow_infinity=False, places=6),
)
def test_thresholds_and_balance_accept_exactly_the_valid_range(yes: int, no: int, balance: Decimal) -> None:
    valid = 0 <= no <= yes <= 100 and balance >= 0
    s: StrategySettings | None
    try:
        s = settings_with(owrr_threshold_yes=yes, owrr_threshold_no=no, balance_usd=balance)
    except ValidationError:
        s = None
    assert (s is not None) == valid
    assert s is None or s.balance_usd == balance


@settings(deadline=None, max_examples=200)
@given(names=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC ", min_size=1, max_size=12), max_size=5))
def test_categories_either_validate_to_a_non_empty_set_or_are_refused(names: list[str]) -> None:
    cleaned = {n.strip().lower() for n in names if n.strip()}
    assume("all" not in cleaned)
    s: StrategySettings | None
    try:
        s = settings_with(categories=names)
    except ValidationError:
        s = None
    assert (s is None) == (not cleaned)  # refused exactly when nothing is named
    assert s is None or s.categories == tuple(sorted(cleaned))


def test_a_row_seen_again_is_not_validated_again_but_a_bad_one_always_is() -> None:
    row = settings_with(categories=["crypto"], max_positions=7).to_row()
    assert settings_from_row(dict(row)) is settings_from_row(dict(row))
    broken = {**row, "owrr_threshold_no": 90}
    for _ in range(2):
        with pytest.raises(ValidationError, match="must not exceed"):
            settings_from_row(broken)
