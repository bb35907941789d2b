"""Tunables: bounds on every one, the kill switch ON unless released, a typo never loosens anything."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from omegacopy.config import merge_tunables, tunable_pattern
from omegacopy.domain.models import Tunables


def test_the_built_in_default_keeps_the_kill_switch_on() -> None:
    assert Tunables().kill_switch is True


@pytest.mark.parametrize("typo", ["ture", "flase", "False", "0", "no", "off", " ", "", "yes"])
def test_a_kill_switch_typo_keeps_the_last_good_value(typo: str) -> None:
    merged, errors = merge_tunables({"kill_switch": typo}, Tunables())
    assert merged.kill_switch is True and "kill_switch" in errors
    released, _ = merge_tunables({"kill_switch": "false"}, Tunables())
    assert released.kill_switch is False
    still, errors = merge_tunables({"kill_switch": typo}, released)
    assert still.kill_switch is False and "kill_switch" in errors  # the last good value, not the default


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("iceberg_slice_usd", "0.000001"),
        ("iceberg_slice_usd", "0.01"),
        ("iceberg_slice_usd", "0.1"),
        ("iceberg_max_slices", "0"),
        ("iceberg_max_slices", "100000"),
        ("max_position_usd", "50000000"),
        ("max_order_usd", "0"),
        ("min_order_usd", "0"),
        ("daily_loss_limit_pct", "0"),
        ("drawdown_limit_pct", "150"),
        ("price_collar", "1"),
        ("staleness_limit_s", "86400"),
        ("intent_max_age_s", "86400"),
        ("owrr_threshold_yes", "101"),
        ("max_total_exposure_usd", "1e9"),
        ("min_owrr_confidence", "HIGH"),
        ("max_order_usd", "NaN"),
        ("max_order_usd", "Infinity"),
        ("max_order_usd", "-5"),
        ("max_order_usd", "10.1234567"),
    ],
)
def test_out_of_bounds_values_are_refused_and_the_last_good_kept(name: str, text: str) -> None:
    before = Tunables(kill_switch=False)
    merged, errors = merge_tunables({name: text}, before)
    assert name in errors
    assert getattr(merged, name) == getattr(before, name)
    assert len(text) < 3 or text not in errors[name]  # the refusal never quotes the value


def test_every_numeric_tunable_is_bounded_on_both_sides_in_the_model() -> None:
    for name, field in Tunables.model_fields.items():
        if field.annotation in (int, Decimal):
            kinds = {type(m).__name__ for m in field.metadata}
            assert kinds & {"Ge", "Gt"} and "Le" in kinds, name
        assert field.description, name
        assert tunable_pattern(name).startswith("^") and tunable_pattern(name).endswith("$")


def test_the_model_itself_refuses_what_ssm_would() -> None:
    with pytest.raises(ValidationError):
        Tunables(iceberg_slice_usd=Decimal("0.01"))
    with pytest.raises(ValidationError):
        Tunables(max_order_usd=Decimal("NaN"))
    with pytest.raises(ValidationError):
        Tunables(surprise=1)  # type: ignore[call-arg]
