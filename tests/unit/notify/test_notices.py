"""What people are told: alarms, fills and the daily summary as notices."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from omegacopy.domain.notifications import (
    AlarmChange,
    DailySummary,
    FillEvent,
    LeaderDay,
    Level,
    StrategyDay,
    alarm_notice,
    fill_notice,
    summary_notice,
    top_leaders,
)

D = Decimal
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def alarm(state: str = "ALARM", old: str = "OK") -> AlarmChange:
    return AlarmChange("omegacopy-prod-tick-failures", "The wallet monitor failed 3 ticks. Runbook - TickFailures.",
                       state, old, "Threshold Crossed: 3 datapoints", AT, "eu-west-1")  # fmt: skip


def test_an_alarm_firing_is_loud_and_says_what_and_where_to_look() -> None:
    n = alarm_notice(alarm(), stage="prod")
    assert (n.kind, n.level, n.title) == ("alarm", Level.ALERT, "omegacopy-prod-tick-failures firing")
    assert n.lines == ("The wallet monitor failed 3 ticks. Runbook - TickFailures.", "Threshold Crossed: 3 datapoints")
    assert dict(n.facts) == {"state": "OK → ALARM", "at": "2026-05-01 12:00 UTC", "stage": "prod",
                             "region": "eu-west-1"}  # fmt: skip


def test_an_alarm_clearing_is_resolved_and_each_transition_has_its_own_key() -> None:
    cleared = alarm_notice(alarm("OK", "ALARM"))
    assert (cleared.level, cleared.title) == (Level.RESOLVED, "omegacopy-prod-tick-failures cleared")
    assert cleared.key != alarm_notice(alarm()).key
    assert alarm_notice(alarm("INSUFFICIENT_DATA")).level is Level.INFO


def fill(side: str = "BUY", **changes: object) -> FillEvent:
    base: dict[str, object] = {
        "strategy_id": "s-politics", "intent_id": "8c1d…", "correlation_id": "c-1", "side": side,
        "token_id": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "condition_id": "0x" + "ab" * 32, "shares": D("96.50"), "price": D("0.62"), "usd": D("59.83"),
        "realized_pnl_usd": D("0"), "position_shares": D("96.5"), "is_exit": False, "trade_id": "t-1",
        "filled_at": AT,
    }  # fmt: skip
    return FillEvent(**{**base, **changes})  # type: ignore[arg-type]


def test_a_fill_says_who_bought_what_at_which_price() -> None:
    n = fill_notice(fill())
    assert (n.kind, n.level) == ("fill", Level.INFO)
    assert n.title == "s-politics bought 96.5 shares at 0.62 ($59.83)"
    facts = dict(n.facts)
    assert facts["token"] == "713210…2563" and facts["market"] == "0xabab…abab"
    assert "realized P&L" not in facts and n.key == "fill:t-1"


def test_a_sale_shows_its_realized_pnl_with_a_sign() -> None:
    n = fill_notice(fill("SELL", realized_pnl_usd=D("-12.345"), is_exit=True, position_shares=D("0")))
    assert n.title.startswith("s-politics sold 96.5 shares")
    assert dict(n.facts)["realized P&L"] == "−$12.34" and dict(n.facts)["position now"] == "0 shares"
    assert n.lines == ("Exit: the leader sold.",)


def test_top_leaders_rank_by_realized_pnl_then_copies_then_dollars() -> None:
    a = LeaderDay("0xa", 1, 0, D("10"), D("5"))
    b = LeaderDay("0xb", 9, 0, D("10"), D("5"))
    c = LeaderDay("0xc", 9, 0, D("20"), D("5"))
    d = LeaderDay("0xd", 50, 0, D("900"), D("-1"))
    assert [x.wallet for x in top_leaders([a, b, c, d])] == ["0xc", "0xb", "0xa", "0xd"]
    assert len(top_leaders([LeaderDay(f"0x{i}", i, 0, D(0), D(0)) for i in range(9)])) == 5


def test_the_summary_reports_pnl_copies_skips_by_reason_and_leaders() -> None:
    summary = DailySummary(
        start=datetime(2026, 4, 30, 7, tzinfo=UTC),
        end=datetime(2026, 5, 1, 7, tzinfo=UTC),
        strategies=(
            StrategyDay("s1", "Politics", "active", D("5000"), D("120.5"), D("-20.5"), 4, 10, 5),
            StrategyDay("s2", "Sports", "paused: daily loss limit", D("0"), D("-3"), D("0"), 1, 2, 1),
        ),
        skip_reasons=tuple((f"reason_{i}", 10 - i) for i in range(10)),
        leaders=(LeaderDay("0x" + "a1" * 20, 3, 7, D("300"), D("120.5")),),
        stage="prod",
    )
    n = summary_notice(summary)
    assert n.title == "Daily summary 2026-04-30 07:00 UTC → 2026-05-01 07:00 UTC (prod)"
    assert dict(n.facts) == {"realized P&L": "+$117.50", "unrealized P&L (now)": "−$20.50", "copies": "5",
                             "skips": "55"}  # fmt: skip
    assert n.lines[0] == (
        "Skips by reason: reason_0 10, reason_1 9, reason_2 8, reason_3 7, reason_4 6, reason_5 5, reason_6 4,"
        " reason_7 3, other 3"
    )
    assert "• Politics: +$100.00 (+2.00%), 4 copies, 10 skips, 5 fills" in n.lines
    assert "• Sports: −$3.00, 1 copies, 2 skips, 1 fills — paused: daily loss limit" in n.lines
    assert n.lines[-2:] == ("Top leaders:", "• 0xa1a1…a1a1: +$120.50 realized, 3 copies, 7 skips, $300.00 bought")


def test_an_empty_day_still_says_so() -> None:
    n = summary_notice(DailySummary(AT, AT, (), (), ()))
    assert dict(n.facts)["copies"] == "0" and n.lines == ("No strategy.",)


def test_a_paper_fill_says_so_and_a_live_one_stays_as_it_was() -> None:
    paper = fill_notice(dataclasses.replace(fill(), paper=True))
    assert paper.title == "[PAPER] s-politics bought 96.5 shares at 0.62 ($59.83)"
    assert paper.lines == ("Paper: filled against the live order book, no order was sent.",)
    assert not fill_notice(fill()).title.startswith("[")


def test_paper_pnl_stays_out_of_the_summarys_money() -> None:
    summary = DailySummary(
        start=datetime(2026, 4, 30, 7, tzinfo=UTC),
        end=datetime(2026, 5, 1, 7, tzinfo=UTC),
        strategies=(
            StrategyDay("s1", "Politics", "active", D("5000"), D("10"), D("-2"), 4, 10, 5),
            StrategyDay("s2", "Politics twin", "active", D("5000"), D("1000"), D("500"), 4, 10, 5, paper=True),
        ),
        skip_reasons=(),
        leaders=(),
    )
    n = summary_notice(summary)
    facts = dict(n.facts)
    assert facts["realized P&L"] == "+$10.00" and facts["unrealized P&L (now)"] == "−$2.00"
    assert facts["paper P&L (not money)"] == "+$1,500.00"
    assert "• Politics twin [paper]: +$1,500.00 (+30.00%), 4 copies, 10 skips, 5 fills" in n.lines
