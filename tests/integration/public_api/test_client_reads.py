"""The public-data client against the emulator over HTTP: paging, identity, validation, merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.adapters.polymarket import PolymarketPublicData
from omegacopy.devstack.public_api import PublicApiEmulator
from omegacopy.domain.models import TradeAction
from omegacopy.domain.public_data import PositionStatus, PublicTrade
from tests.integration.public_api.conftest import ClientFactory
from tests.support.public_api import condition_id, token_id, tx_hash

LEADER = "0x" + "5a" * 20
MIXED_CASE_LEADER = "0x" + "aB" * 20


def _walk(client: PolymarketPublicData, wallet: str, start: datetime | None = None) -> list[PublicTrade]:
    return [t for page in client.wallet_trades(wallet, start=start) for t in page.rows]


def _market(api: PublicApiEmulator, *names: str, **kw: Any) -> tuple[str, list[str]]:
    cid = condition_id()
    tokens = [token_id() for _ in names or ("Yes", "No")]
    api.publish_market(cid, outcomes=list(zip(names or ("Yes", "No"), tokens, strict=True)), **kw)
    return cid, tokens


def test_a_walk_follows_the_cursor_to_the_end_of_the_window(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, _ = _market(api)
    now = int(api.clock.now())
    for i in range(7):
        api.publish_trade(LEADER, cid, size=10 + i, timestamp=now - 60 * i)
    api.publish_trade(LEADER, cid, size=99, timestamp=now - 3600)  # before the window
    client = make_client(page_size=2)

    pages = list(client.wallet_trades(LEADER, start=datetime.fromtimestamp(now - 600, UTC)))

    assert [len(p.rows) for p in pages] == [2, 2, 2, 1]
    assert [p.next_cursor is None for p in pages] == [False, False, False, True]
    assert sorted(t.shares for p in pages for t in p.rows) == [Decimal(10 + i) for i in range(7)]
    assert api.requests("/v2/trades") == 4
    # the whole history when asked for it (start=1)
    assert len(_walk(client, LEADER, start=None)) == 8


def test_maker_fills_are_read_too(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    cid, _ = _market(api)
    api.publish_trade(LEADER, cid, size=5, maker=True)
    api.publish_trade(LEADER, cid, size=6, maker=False)
    assert sorted(t.shares for t in _walk(client, LEADER)) == [Decimal(5), Decimal(6)]


def test_ids_are_equal_across_page_sizes_and_readers(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, _ = _market(api)
    now = int(api.clock.now())
    tx = tx_hash()
    for i in range(5):
        api.publish_trade(LEADER, cid, size=1 + i, timestamp=now - i)
    for _ in range(3):  # three equal fills of one transaction
        api.publish_trade(LEADER, cid, size=4, price="0.25", timestamp=now - 2, tx_hash=tx)

    by_page = {size: [t.trade_id for t in _walk(make_client(page_size=size), LEADER)] for size in (1, 2, 3, 1000)}
    market_read = make_client().wallet_market_trades(LEADER, cid).rows

    assert len({tuple(sorted(ids)) for ids in by_page.values()}) == 1
    assert sorted(t.trade_id for t in market_read) == sorted(by_page[1000])
    equal = [t for t in market_read if t.tx_hash == tx]
    assert len(equal) == 3 and len({t.trade_id for t in equal}) == 3


def test_a_resumed_walk_numbers_equal_fills_as_one_walk_does(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    cid, _ = _market(api)
    now = int(api.clock.now())
    tx = tx_hash()
    for _ in range(4):  # a page seam falls between them at page size 3
        api.publish_trade(LEADER, cid, size=4, price="0.25", timestamp=now, tx_hash=tx)
    api.publish_trade(LEADER, cid, size=9, timestamp=now - 5)
    whole = sorted(t.trade_id for t in _walk(make_client(), LEADER))
    api.inject_rows("/v2/trades", [{"side": "BUY"}])  # a broken row ends the first page

    client = make_client(page_size=3)
    first = next(iter(client.wallet_trades(LEADER, start=None)))
    assert first.next_cursor is not None and len(first.invalid) == 1
    rest = [
        t for p in make_client(page_size=3).wallet_trades(LEADER, start=None, cursor=first.next_cursor) for t in p.rows
    ]

    assert sorted(t.trade_id for t in [*first.rows, *rest]) == whole
    assert len(set(whole)) == 5


def test_outcomes_keep_their_names_and_addresses_are_lower_cased(
    api: PublicApiEmulator, client: PolymarketPublicData
) -> None:
    cid, tokens = _market(api, "Up", "Down")
    api.publish_trade(MIXED_CASE_LEADER, cid, outcome_index=1, side="sell", size="12.5", price="0.61")

    [trade] = _walk(client, MIXED_CASE_LEADER.upper().replace("0X", "0x"))

    assert trade.wallet == MIXED_CASE_LEADER.lower()
    assert (trade.outcome_index, trade.outcome, trade.token_id) == (1, "Down", tokens[1])
    assert (trade.action, trade.shares, trade.price) == (TradeAction.SELL, Decimal("12.5"), Decimal("0.61"))
    assert trade.condition_id == cid.lower()


def test_malformed_rows_become_invalid_records_and_the_good_rows_stay(
    api: PublicApiEmulator, client: PolymarketPublicData
) -> None:
    cid, _ = _market(api)
    now = int(api.clock.now())
    good = api.publish_trade(LEADER, cid, size=3)
    bad_rows = [
        {**good, "token_id": 1.2e76, "transaction_hash": tx_hash()},  # a token id that lost digits
        {**good, "price": "1.5", "transaction_hash": tx_hash()},
        {**good, "size": -1, "transaction_hash": tx_hash()},
        {**good, "side": "HOLD", "transaction_hash": tx_hash()},
        {**good, "outcome_index": 999, "transaction_hash": tx_hash()},
        {**good, "timestamp": now + 3600, "transaction_hash": tx_hash()},  # beyond now + skew
        {**good, "proxy_wallet": "0x1234", "transaction_hash": tx_hash()},
        "not an object",
    ]
    api.inject_rows("/v2/trades", bad_rows)

    [page] = list(client.wallet_trades(LEADER, start=None))

    assert [t.shares for t in page.rows] == [Decimal(3)]
    assert len(page.invalid) == len(bad_rows)
    reasons = " | ".join(r.reason for r in page.invalid)
    for field in ("token_id", "price", "size", "side", "outcome_index", "timestamp", "proxy_wallet", "not an object"):
        assert field in reasons
    assert all(r.source == "data_api.trades" for r in page.invalid)
    assert len({r.key for r in page.invalid}) == len(bad_rows)
    # the same broken rows read again get the same keys (the monitor records each once)
    api.inject_rows("/v2/trades", bad_rows)
    [again] = list(client.wallet_trades(LEADER, start=None))
    assert sorted(r.key for r in again.invalid) == sorted(r.key for r in page.invalid)


def test_the_future_skew_is_a_setting(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, _ = _market(api)
    api.publish_trade(LEADER, cid, timestamp=int(api.clock.now()) + 120)
    assert len(_walk(make_client(future_skew_s=300), LEADER)) == 1
    strict = next(iter(make_client(future_skew_s=60).wallet_trades(LEADER, start=None)))
    assert strict.rows == () and "future" in strict.invalid[0].reason


def test_a_row_served_twice_in_overlapping_reads_keeps_its_id(
    api: PublicApiEmulator, client: PolymarketPublicData
) -> None:
    cid, _ = _market(api)
    api.publish_trade(LEADER, cid, size=3)
    first = _walk(client, LEADER)
    api.publish_trade(LEADER, cid, size=4)
    second = _walk(client, LEADER)
    assert {t.trade_id for t in first} < {t.trade_id for t in second}


def test_markets_open_and_closed_by_condition_id(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    open_cid, open_tokens = _market(api, "Lakers", "Celtics", tags=["Sports", "NBA"], tick_size="0.001")
    closed_cid, _ = _market(api, "Yes", "No", category="Politics", neg_risk=True)
    api.resolve_market(closed_cid, winner=1)
    disputed_cid, _ = _market(api)
    api.resolve_market(disputed_cid, winner=0, uma_status="disputed")
    missing = condition_id()

    page = client.markets([open_cid, closed_cid.upper().replace("0X", "0x"), disputed_cid, missing, open_cid])

    got = {m.condition_id: m for m in page.rows}
    assert set(got) == {open_cid, closed_cid, disputed_cid}
    lakers = got[open_cid]
    assert [(o.index, o.name, o.token_id) for o in lakers.outcomes] == [
        (0, "Lakers", open_tokens[0]),
        (1, "Celtics", open_tokens[1]),
    ]
    assert (lakers.category, lakers.tick_size, lakers.closed, lakers.resolution) == (
        "sports",
        Decimal("0.001"),
        False,
        None,
    )
    resolved = got[closed_cid]
    assert (resolved.category, resolved.neg_risk, resolved.closed) == ("politics", True, True)
    assert resolved.resolution is not None and resolved.resolution.winning_index == 1
    assert resolved.resolution.resolved_at is not None
    assert got[disputed_cid].closed and got[disputed_cid].resolution is None
    assert [(r.key, r.source) for r in page.invalid] == [(missing, "gamma.markets")]


def test_a_broken_market_is_an_invalid_record(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    cid, _ = _market(api)
    broken = condition_id()
    api.inject_rows("/markets/keyset", [{"conditionId": broken, "outcomes": '["Yes", "No"]', "clobTokenIds": '["1"]'}])
    page = client.markets([cid])
    assert [m.condition_id for m in page.rows] == [cid]
    assert [r.key for r in page.invalid] == [broken] and "pair by index" in page.invalid[0].reason


def test_holders_are_merged_by_token_with_their_entry_prices(
    api: PublicApiEmulator, client: PolymarketPublicData
) -> None:
    cid, tokens = _market(api)
    wallets = ["0x" + f"{i:02x}" * 20 for i in range(1, 5)]
    api.publish_position(wallets[0], cid, outcome_index=0, size=500, avg_price="0.31")
    api.publish_position(wallets[1], cid, outcome_index=0, size=200, avg_price="0.42")
    api.publish_position(wallets[2], cid, outcome_index=1, size=300, avg_price="0.55")
    api.publish_position(wallets[3], cid, outcome_index=1, size=0, avg_price="0.5")  # sold out: not a holder
    api.publish_position(wallets[3], cid, outcome_index=0, size=50, avg_price="0.2", status="CLOSED")

    page = client.holders(cid)

    assert sorted((h.token_id, h.wallet, h.shares, h.avg_price, h.outcome_index) for h in page.rows) == sorted(
        [
            (tokens[0], wallets[0], Decimal(500), Decimal("0.31"), 0),
            (tokens[0], wallets[1], Decimal(200), Decimal("0.42"), 0),
            (tokens[1], wallets[2], Decimal(300), Decimal("0.55"), 1),
        ]
    )
    assert page.invalid == () and page.next_cursor is None


def test_a_seam_duplicate_in_holders_is_merged(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    from omegacopy.devstack.public_api import Fault

    cid, _ = _market(api)
    for i in range(150):  # two pages of 100 per token
        api.publish_position("0x" + f"{i + 1:040x}", cid, outcome_index=0, size=1000 - i)
    api.faults.set(Fault.DUPLICATE, count=1, paths=["/v2/holders"])

    page = make_client(holder_pages=5).holders(cid)

    assert len(page.rows) == 150 and len({h.wallet for h in page.rows}) == 150
    assert api.faults.fired(Fault.DUPLICATE) == 1


def test_positions_by_status_page_by_page(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    from omegacopy.devstack.public_api import Fault

    cid, tokens = _market(api)
    other, other_tokens = _market(api)
    api.publish_position(LEADER, cid, outcome_index=0, size=10, avg_price="0.2", status="CLOSED", realized_pnl=-7)
    api.publish_position(LEADER, other, outcome_index=1, size=0, avg_price="0.6", status="CLOSED", realized_pnl=40)
    api.publish_position(LEADER, cid, outcome_index=1, size=5, avg_price="0.3")
    api.faults.set(Fault.DUPLICATE, count=1, paths=["/v2/positions"])

    closed = [p for page in make_client(page_size=1).wallet_positions(LEADER, PositionStatus.CLOSED) for p in page.rows]
    open_ = [p for page in make_client().wallet_positions(LEADER, PositionStatus.OPEN) for p in page.rows]

    assert sorted((p.token_id, p.realized_pnl) for p in closed) == sorted(
        [(tokens[0], Decimal(-7)), (other_tokens[1], Decimal(40))]
    )
    assert all(p.status is PositionStatus.CLOSED for p in closed)
    assert [(p.token_id, p.size, p.avg_price) for p in open_] == [(tokens[1], Decimal(5), Decimal("0.3"))]


def test_the_leaderboard_by_pnl(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    wallets = ["0x" + f"{i:02x}" * 20 for i in range(1, 6)]
    api.publish_leaderboard("politics", "month", [(w, 100 * i, 1000 + i, f"t{i}") for i, w in enumerate(wallets)])

    page = make_client().leaderboard(category="Politics", period="month", limit=3)

    assert [(e.rank, e.wallet, e.pnl) for e in page.rows] == [
        (1, wallets[4], Decimal(400)),
        (2, wallets[3], Decimal(300)),
        (3, wallets[2], Decimal(200)),
    ]
    assert make_client().leaderboard(category="sports", period="all", limit=10).rows == ()


def test_start_filters_by_the_fill_time(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    cid, _ = _market(api)
    now = datetime.fromtimestamp(int(api.clock.now()), UTC)
    api.publish_trade(LEADER, cid, timestamp=int((now - timedelta(days=2)).timestamp()))
    api.publish_trade(LEADER, cid, timestamp=int((now - timedelta(hours=1)).timestamp()))
    assert len(_walk(client, LEADER, start=now - timedelta(days=1))) == 1
    assert len(_walk(client, LEADER, start=now - timedelta(days=3))) == 2
