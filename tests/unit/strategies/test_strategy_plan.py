"""`apply`'s plan: the diff between stored strategies and the file, and only that."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from omegacopy.app.strategy_plan import PlanError, plan_apply, render_plan
from omegacopy.strategy_settings import StoredStrategy, StrategySpec

A = "0x" + "a1" * 20
B = "0x" + "b2" * 20


def spec(**changes: Any) -> StrategySpec:
    values: dict[str, Any] = {
        "id": "s1",
        "name": "S1",
        "wallet": "w1",
        "balance_usd": "5000",
        "max_position_size_usd": "400",
        "max_positions": 8,
        "risk_per_trade_percent": "2",
        "categories": ["politics"],
        "leaders": [A],
    }
    return StrategySpec.model_validate({**values, **changes})


def stored(s: StrategySpec, *, cash: str | None = None, paused: str | None = None, **over: Any) -> StoredStrategy:
    values: dict[str, Any] = {
        "strategy_id": s.id,
        "name": s.display_name,
        "wallet_id": s.wallet,
        "enabled": s.enabled,
        "paused_reason": paused,
        "settings": s.settings(),
        "settings_error": None,
        "leaders": s.leaders,
        "cash_usd": Decimal(cash) if cash is not None else s.balance_usd,
        "capital_usd": s.balance_usd,
    }
    values.update(over)
    return StoredStrategy(**values)


def test_a_new_strategy_is_created_with_its_leaders() -> None:
    plan = plan_apply([spec()], {}, wallets={"w1"})
    (change,) = plan.changes
    assert change.action == "create" and change.follow == (A,)
    assert render_plan(plan)[0].startswith("+ create s1 (S1): wallet w1, enabled, mode paper, categories [politics]")


def test_what_is_already_so_plans_nothing() -> None:
    s = spec()
    plan = plan_apply([s], {"s1": stored(s, cash="4100.5")}, wallets={"w1"})
    assert plan.empty and plan.unchanged == ("s1",)  # the cash moved by trading is not a difference


def test_changed_settings_and_leaders_are_the_diff() -> None:
    before = spec()
    plan = plan_apply([spec(max_positions=10, leaders=[B])], {"s1": stored(before)}, wallets={"w1"})
    (change,) = plan.changes
    assert [(f.name, f.old, f.new) for f in change.fields] == [("max_positions", 8, 10)]
    assert change.follow == (B,) and change.unfollow == (A,)
    assert render_plan(plan) == ["~ update s1", "    max_positions: 8 → 10", f"    + leader {B}", f"    - leader {A}"]


def test_a_new_capital_moves_the_cash_by_the_difference() -> None:
    plan = plan_apply([spec(balance_usd="6000")], {"s1": stored(spec(), cash="4200")}, wallets={"w1"})
    (change,) = plan.changes
    assert change.cash_delta == Decimal("1000")
    assert "    balance_usd: 5000 → 6000 (cash +1000)" in render_plan(plan)


def test_a_withdrawal_larger_than_the_cash_is_refused() -> None:
    with pytest.raises(PlanError, match="cash it does not have"):
        plan_apply([spec(balance_usd="1000")], {"s1": stored(spec(), cash="3000")}, wallets={"w1"})


def test_a_missing_wallet_is_named_with_how_to_import_it() -> None:
    with pytest.raises(PlanError, match=r"wallet w9 does not exist \(import it first: omegacopy wallet import"):
        plan_apply([spec(wallet="w9")], {}, wallets={"w1"})


def test_a_pause_is_never_lifted_and_says_how() -> None:
    s = spec()
    plan = plan_apply([s], {"s1": stored(s, paused="daily loss limit")}, wallets={"w1"})
    assert plan.empty
    assert plan.notes == ("s1 is paused (daily loss limit); apply does not resume it: omegacopy strategy resume s1",)


def test_others_are_left_alone_or_disabled_with_prune() -> None:
    other = spec(id="s2")
    current = {"s2": stored(other)}
    assert plan_apply([], current, wallets={"w1"}).unmanaged == ("s2",)
    (change,) = plan_apply([], current, wallets={"w1"}, prune=True).changes
    assert change.action == "disable" and change.strategy_id == "s2"
    assert plan_apply([], {"s2": stored(other, enabled=False)}, wallets={"w1"}, prune=True).empty


def test_an_invalid_stored_row_is_replaced_whole() -> None:
    s = spec()
    broken = stored(s, settings=None, settings_error="categories: must name at least one category")
    (change,) = plan_apply([s], {"s1": broken}, wallets={"w1"}).changes
    assert change.fields[0].name == "settings" and "invalid" in change.fields[0].old


def test_a_live_strategy_is_not_turned_to_paper_by_a_file_that_omits_mode() -> None:
    live = stored(spec(mode="live"))
    with pytest.raises(PlanError, match=r"it is live and the file does not say `mode`; say `mode: live` to keep it"):
        plan_apply([spec()], {"s1": live}, wallets={"w1"})
    # said, either way, it is planned as usual
    assert plan_apply([spec(mode="live")], {"s1": live}, wallets={"w1"}).empty
    (change,) = plan_apply([spec(mode="paper")], {"s1": live}, wallets={"w1"}).changes
    assert change.mode_change is not None and (change.mode_change.old, change.mode_change.new) == ("live", "paper")
    # a paper strategy and a file that omits mode agree: nothing to say
    assert plan_apply([spec()], {"s1": stored(spec())}, wallets={"w1"}).empty
