"""Leader discovery and the leader card, on an in-memory public API (the CLI runs them against the
emulator over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omegacopy.app.leaders import card_json, discover, leader_card
from omegacopy.domain.public_data import (
    HolderPosition,
    LeaderboardEntry,
    MarketRecord,
    OutcomeToken,
    PositionStatus,
    PublicPosition,
    Resolution,
)
from tests.support.fake_public_data import FakePublicData

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _market(n: int, category: str, winner: int | None) -> MarketRecord:
    cid = f"0x{n:064x}"
    res = None if winner is None else Resolution((Decimal(winner == 0), Decimal(winner == 1)), NOW - timedelta(days=3))
    outcomes = (OutcomeToken(0, "Up", f"{n}0"), OutcomeToken(1, "Down", f"{n}1"))
    return MarketRecord(cid, f"Q{n}", category, outcomes, False, Decimal("0.01"), res is not None, res, slug=f"m{n}")


def _closed(wallet: str, m: MarketRecord, pnl: str) -> PublicPosition:
    z = Decimal("0")
    return PublicPosition(wallet, m.condition_id, m.outcomes[0].token_id, 0, PositionStatus.CLOSED, z, Decimal("0.5"),
                          Decimal("10"), Decimal(pnl), z, z, NOW - timedelta(days=3))  # fmt: skip


def world() -> FakePublicData:
    data = FakePublicData(page_size=5)
    markets = [_market(i, "sports" if i % 3 else "politics", i % 2) for i in range(1, 31)]
    live = _market(99, "sports", None)
    data.markets_by_id = {m.condition_id: m for m in [*markets, live]}
    sports = [m for m in markets if m.category == "sports"]
    # a: 12 sports bets, 10 won +$20, 2 lost -$10 -> omega 10; b: 12 bets, 6 x +10 / 6 x -10 -> 1
    # c: only 3 resolved bets (below the minimum); d: found only as a holder, omega 4
    for i, m in enumerate(sports[:12]):
        data.positions.append(_closed("0x" + "a" * 40, m, "20" if i < 10 else "-10"))
        data.positions.append(_closed("0x" + "b" * 40, m, "10" if i % 2 else "-10"))
        data.positions.append(_closed("0x" + "d" * 40, m, "40" if i < 8 else "-20"))
    for m in sports[:3]:
        data.positions.append(_closed("0x" + "c" * 40, m, "99"))
    data.board = [LeaderboardEntry(i + 1, w, Decimal("100"), Decimal("1000"), f"n{i}")
                  for i, w in enumerate(["0x" + "B" * 40, "0x" + "a" * 40, "0x" + "c" * 40])]  # fmt: skip
    data.holders_by_market[live.condition_id] = [
        HolderPosition(live.condition_id, live.outcomes[0].token_id, 0, "0x" + "d" * 40, Decimal("5"), Decimal("0.5"))
    ]
    return data


def test_discover_ranks_by_our_omega_in_the_category() -> None:
    ranked = discover(world(), category="sports", min_resolved=10, limit=10, now=NOW)
    assert [c.card.wallet for c in ranked] == ["0x" + "a" * 40, "0x" + "d" * 40, "0x" + "b" * 40]
    top = ranked[0].card.category("sports")
    assert top is not None
    assert (top.omega_net, top.resolved_bets, top.realized_pnl_usd) == (Decimal("10.0000"), 12, Decimal("180"))
    assert top.win_rate == Decimal(10) / Decimal(12)
    assert ranked[1].sources == ("holders:m99",)  # found as a holder of a busy market only


def test_discover_honours_the_limit_and_the_minimum() -> None:
    ranked = discover(world(), category="sports", min_resolved=13, limit=10, now=NOW)
    assert ranked == []
    assert len(discover(world(), category="sports", min_resolved=0, limit=2, now=NOW)) == 2


def test_a_card_per_category_in_the_json_contract() -> None:
    card = leader_card(world(), "0x" + "A" * 40, now=NOW)
    out = card_json(card)
    assert out["wallet"] == "0x" + "a" * 40
    assert out["categories"] == {
        "sports": {
            "omega_net": 10.0,
            "resolved_bets": 12,
            "gains_usd": 200.0,
            "losses_usd": 20.0,
            "realized_pnl_usd": 180.0,
        },
    }


def test_a_wallet_with_nothing_resolved_has_null_omega() -> None:
    data = world()
    live = data.markets_by_id["0x" + f"{99:064x}"]
    data.positions.append(PublicPosition("0x" + "e" * 40, live.condition_id, live.outcomes[0].token_id, 0,
                                         PositionStatus.OPEN, Decimal("5"), Decimal("0.5"), Decimal("5"),
                                         Decimal("0"), Decimal("0"), Decimal("0"), NOW))  # fmt: skip
    out = card_json(leader_card(data, "0x" + "e" * 40, now=NOW))
    assert out["categories"] == {
        "sports": {"omega_net": None, "resolved_bets": 0, "gains_usd": 0.0, "losses_usd": 0.0, "realized_pnl_usd": 0.0}
    }


def test_markets_are_looked_up_once_across_candidates() -> None:
    data = world()
    discover(data, category="sports", min_resolved=10, limit=10, now=NOW)
    assert data.calls["markets"] <= 3  # one top-markets call, then the shared markets of all candidates
