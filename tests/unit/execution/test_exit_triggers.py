"""Stop-loss / take-profit boundaries."""

from __future__ import annotations

from decimal import Decimal

from omegacopy.domain.exit_triggers import exit_trigger

D = Decimal


def trig(mark: str, sl: str | None = "20", tp: str | None = "50") -> str | None:
    t = exit_trigger(
        avg_entry=D("0.60"),
        mark=D(mark),
        stop_loss_pct=D(sl) if sl else None,
        take_profit_pct=D(tp) if tp else None,
        slippage=D("0.02"),
    )
    return t.kind if t else None


def test_stop_loss_fires_at_the_limit_not_above() -> None:
    assert trig("0.48") == "stop_loss"  # exactly 20 % down
    assert trig("0.4801") is None


def test_take_profit_fires_at_the_limit_not_below() -> None:
    assert trig("0.90") == "take_profit"  # exactly 50 % up
    assert trig("0.8999") is None


def test_off_when_not_configured() -> None:
    assert trig("0.10", sl=None) is None
    assert trig("0.99", tp=None) is None


def test_the_exit_is_marketable_within_the_slippage_ceiling() -> None:
    t = exit_trigger(avg_entry=D("0.60"), mark=D("0.45"), stop_loss_pct=D("20"), take_profit_pct=None,
                     slippage=D("0.02"))  # fmt: skip
    assert t is not None and t.worst_price == D("0.43")
    floor = exit_trigger(avg_entry=D("0.60"), mark=D("0.01"), stop_loss_pct=D("20"), take_profit_pct=None,
                         slippage=D("0.02"))  # fmt: skip
    assert floor is not None and floor.worst_price == D("0.01")  # never below the grid's floor
