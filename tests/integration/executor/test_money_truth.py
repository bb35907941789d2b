"""Money truth in the executor and the reconciler, one test per defect: replies mapped exactly,
intents that cannot trade end, capital held by resting orders, credentials that rotate, the kill
switch before a re-send, ExchangeV3 markets, fees and balances against the exchange."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.pg_balances import PgBalanceStore
from omegacopy.adapters.pg_executor_store import PgExecutorStore
from omegacopy.app.balance_check import check_balances
from omegacopy.app.execute_intent import ExchangeHaltedError, ExecutorDeps, execute_intent
from omegacopy.app.fees import book_fees
from omegacopy.app.reconcile import ReconcileSettings, reconcile
from omegacopy.domain.clob_models import PostResult
from omegacopy.ports import Exchange, Exchanges
from tests.integration.executor.conftest import CONDITION, NO, ExecutorWorld, direct_event
from tests.support.lambda_runtime import Invoke, fresh_container
from tests.support.telemetry import RecordingTelemetry

NOW_SETTLE = ReconcileSettings(grace_s=0)


def ctf_token(label: str) -> str:
    return str(int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") >> 2)


@pytest.fixture
def invoke(world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with fresh_container("executor", world.env, monkeypatch) as run:
        yield run


@dataclass
class SpoiledReplies:
    """The real exchange, except that each POST reply is rewritten by `spoil` (what a wrong or
    hostile reply looks like to the executor)."""

    inner: Exchanges
    spoil: Any

    def for_wallet(self, wallet_id: str) -> Exchange:
        inner, spoil = self.inner.for_wallet(wallet_id), self.spoil

        class Spoiled:
            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

            @property
            def api_key(self) -> str:
                return inner.api_key

            def post_order(self, body: bytes, *, order_hash: str) -> PostResult:
                result: PostResult = spoil(inner.post_order(body, order_hash=order_hash))
                return result

        return Spoiled()  # type: ignore[return-value]


def spoiled(world: ExecutorWorld, spoil: Any) -> ExecutorDeps:
    deps = world.deps()
    deps.exchanges = SpoiledReplies(deps.exchanges, spoil)
    return deps


def booked_rows(world: ExecutorWorld, intent_id: str) -> int:
    row = world.pg.execute("SELECT count(*) FROM strategy_trades WHERE intent_id = %s", (intent_id,)).fetchone()
    return int(row[0]) if row else 0


# --- exchange replies mapped exactly ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("making", "taking"),
    [("0", "0"), ("-58", "96.5"), ("58", "965")],
    ids=["matched-but-empty", "negative-making", "taking-10x-the-order"],
)
def test_an_impossible_fill_is_never_booked_and_reconciles_to_the_truth(
    world: ExecutorWorld, making: str, taking: str
) -> None:
    intent_id = world.intent(style="GTC", leader=Decimal("0.60"))  # crosses the 0.60 ask: matched at once
    lie = spoiled(world, lambda r: replace(r, making_amount=Decimal(making), taking_amount=Decimal(taking)))

    result = execute_intent(lie, intent_id, lambda: 20_000)

    row = world.row(intent_id)
    assert (result.state, row["reason_code"], row["filled_shares"]) == ("UNKNOWN", "impossible_fill", 0)
    assert booked_rows(world, intent_id) == 0 and world.position() is None
    # reconcile reads the order by hash: the exchange's own record is booked
    assert reconcile(world.deps(), NOW_SETTLE).outcomes["FILLED"] == 1
    (order,) = world.orders_for(intent_id)
    assert world.row(intent_id)["filled_shares"] == order.filled_shares > 0


def test_documented_statuses_finish_a_resting_order_on_a_resolved_market(world: ExecutorWorld) -> None:
    intent_id = world.intent(style="GTC", leader=Decimal("0.58"))  # rests under the 0.60 ask
    assert execute_intent(world.deps(), intent_id, lambda: 20_000).state == "ACCEPTED"

    world.exchange.resolve_market(CONDITION, NO)
    reconcile(world.deps(), NOW_SETTLE)

    row = world.row(intent_id)
    assert (row["state"], row["exchange_status"]) == ("CANCELLED", "canceled_market_resolved")


def test_post_only_mode_halts_until_the_time_the_exchange_gave(world: ExecutorWorld) -> None:
    intent_id = world.intent()
    world.exchange.enter_post_only_mode(90)
    deps = world.deps()

    with pytest.raises(ExchangeHaltedError, match="post_only_mode"):
        execute_intent(deps, intent_id, lambda: 20_000)

    assert world.row(intent_id)["state"] == "SUBMITTING"  # not refused: sent again later, the same order
    assert deps.halted_until is not None
    pause_s = (deps.halted_until - deps.clock.now()).total_seconds()
    assert 80 < pause_s <= 91  # the exchange's retry time, not the fixed 60 s pause
    assert world.exchange.ledger() == []


# --- intents that cannot trade end ------------------------------------------------------------------
def test_a_market_without_a_book_fails_the_intent_and_frees_its_group(world: ExecutorWorld, invoke: Invoke) -> None:
    gone_condition = "0x" + hashlib.sha256(b"resolved-market").hexdigest()
    gone_yes, gone_no = ctf_token("gone-yes"), ctf_token("gone-no")
    world.exchange.add_market(gone_condition, tokens=[gone_yes, gone_no])
    world.exchange.resolve_market(gone_condition, gone_yes)  # its book is gone: 404
    stuck = world.intent(token=gone_yes, condition=gone_condition)
    after = world.intent()

    reply = invoke(direct_event([(world.message(stuck), "w-follower"), (world.message(after), "w-follower")]))

    assert reply == {"batchItemFailures": []}  # nothing left for redelivery: the FIFO group flows on
    row = world.row(stuck)
    assert (row["state"], row["reason_code"]) == ("FAILED", "no_order_book")
    assert world.row(after)["state"] == "FILLED"
    assert world.orders_for(after) and world.exchange.requests["/order"] == 1


def test_an_exchange_v3_market_is_traded(world: ExecutorWorld) -> None:
    # a "Protocol V2" market: position ids, orders signed for ExchangeV3 (domain version 3)
    v3_condition = "0x" + hashlib.sha256(b"v3-market").hexdigest()
    bits = int.from_bytes(hashlib.sha256(b"v3").digest()[:17], "big")
    v3_yes, v3_no = str((1 << 248) | (bits << 104)), str((1 << 248) | (bits << 104) | 1)
    world.exchange.add_market(v3_condition, tokens=[v3_yes, v3_no], exchange_version=3)
    world.exchange.set_book(v3_yes, asks=[(Decimal("0.60"), Decimal("1000"))])
    intent_id = world.intent(token=v3_yes, condition=v3_condition)

    assert execute_intent(world.deps(), intent_id, lambda: 20_000).state == "FILLED"
    (order,) = world.orders_for(intent_id)
    assert order.token_id == v3_yes and order.status == "matched"


def test_the_kill_switch_keeps_a_signed_order_from_being_sent_again(world: ExecutorWorld) -> None:
    from tests.integration.executor.test_failures import CrashingExchanges, SimulatedCrash

    intent_id = world.intent()
    dying = world.deps()
    dying.exchanges = CrashingExchanges(dying.exchanges, crash_before_post=True)
    with pytest.raises(SimulatedCrash):
        execute_intent(dying, intent_id, lambda: 20_000)
    assert world.row(intent_id)["state"] == "SUBMITTING"  # signed and committed, never sent
    world.set_tunable("kill_switch", "true")

    redelivered = execute_intent(world.deps(), intent_id, lambda: 20_000)
    reconcile(world.deps(), NOW_SETTLE)

    assert redelivered.detail == "not_resent" and world.row(intent_id)["state"] == "SUBMITTING"
    assert world.exchange.requests["/order"] == 0 and world.exchange.ledger() == []


# --- capital, credentials ---------------------------------------------------------------------------
def test_resting_orders_hold_their_capital(world: ExecutorWorld) -> None:
    # two resting $600 BUYs against $1,000: the second is refused, not both accepted
    world.set_tunable("max_market_exposure_usd", "5000")
    first = world.intent(usd=Decimal("600"), style="GTC", leader=Decimal("0.58"))
    second = world.intent(usd=Decimal("600"), style="GTC", leader=Decimal("0.58"))

    assert execute_intent(world.deps(), first, lambda: 20_000).state == "ACCEPTED"
    refused = execute_intent(world.deps(), second, lambda: 20_000)

    assert (refused.state, world.row(second)["reason_code"]) == ("REJECTED", "insufficient_balance")
    assert len(world.exchange.ledger()) == 1


def test_a_fill_is_booked_even_when_it_takes_the_cash_below_zero(world: ExecutorWorld) -> None:
    # the exchange is the truth: what it filled is booked, and the balance check reports the gap
    from omegacopy.devstack.paper import FaultMode

    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    assert execute_intent(world.deps(), intent_id, lambda: 20_000).state == "UNKNOWN"
    world.pg.execute("UPDATE strategy_settings SET balance_usd = 1 WHERE strategy_id = 's-exec'")

    assert reconcile(world.deps(), NOW_SETTLE).outcomes["FILLED"] == 1
    assert world.balance() < 0 and world.row(intent_id)["filled_usd"] > 1


def test_rotated_credentials_are_picked_up_after_a_401(world: ExecutorWorld, invoke: Invoke) -> None:
    first = world.intent()
    assert invoke(direct_event([(world.message(first), "w-follower")])) == {"batchItemFailures": []}
    new_key = world.rotate_credentials()  # the container still holds the old key
    second = world.intent()

    assert invoke(direct_event([(world.message(second), "w-follower")])) == {"batchItemFailures": []}

    assert world.row(second)["state"] == "FILLED"  # never REJECTED on the stale key
    (order,) = world.orders_for(second)
    assert order.owner == new_key
    # the stale key's 401, then the same order again with the fresh key
    assert [r.status for r in world.exchange.request_log if r.path == "/order"] == [200, 401, 200]


# --- fees and balances against the exchange ------------------------------------------------------------
def test_fees_are_booked_from_trade_records_and_the_balances_match(world: ExecutorWorld) -> None:
    fee_condition = "0x" + hashlib.sha256(b"fee-market").hexdigest()
    fee_yes, fee_no = ctf_token("fee-yes"), ctf_token("fee-no")
    world.exchange.add_market(fee_condition, tokens=[fee_yes, fee_no], fee_rate_bps=100)
    world.exchange.set_book(fee_yes, asks=[(Decimal("0.60"), Decimal("1000"))])
    deps = world.deps()
    balances = PgBalanceStore(_store(deps))
    telemetry = RecordingTelemetry()
    check_balances(balances, deps.exchanges, deps.tunables, telemetry)  # first check: the baselines
    intent_id = world.intent(token=fee_yes, condition=fee_condition)
    assert execute_intent(deps, intent_id, lambda: 20_000).state == "FILLED"
    (order,) = world.orders_for(intent_id)
    assert order.fees_usd > 0

    fees = book_fees(balances, deps.exchanges, deps.clock, telemetry)
    again = book_fees(balances, deps.exchanges, deps.clock, telemetry)  # read again: booked once
    checked = check_balances(balances, deps.exchanges, deps.tunables, telemetry)

    assert (fees.fees_booked, fees.fees_usd, again.fees_booked) == (1, order.fees_usd, 0)
    fee_row = world.pg.execute(
        "SELECT fee_usd, realized_pnl_usd FROM strategy_trades WHERE intent_id = %s AND fee_usd > 0", (intent_id,)
    ).fetchone()
    assert fee_row == (order.fees_usd, -order.fees_usd)
    assert world.balance() == world.exchange.balance(world.address)  # cash, fee included, as the exchange says
    assert checked.max_drift_usd == 0 and checked.drifting == {} and checked.paused == []


def test_a_drift_from_the_exchange_alarms_is_recorded_and_pauses_entries(world: ExecutorWorld) -> None:
    deps = world.deps()
    balances = PgBalanceStore(_store(deps))
    telemetry = RecordingTelemetry()
    assert check_balances(balances, deps.exchanges, deps.tunables, telemetry).drifting == {}
    world.exchange.set_balance(world.address, Decimal("950"))  # $50 left the wallet without the books

    first = check_balances(balances, deps.exchanges, deps.tunables, telemetry)
    assert first.drifting == {"w-follower": ["COLLATERAL"]} and first.paused == []  # alarmed, not yet paused
    assert telemetry.counts["BalanceDrifting"] == 1
    second = check_balances(balances, deps.exchanges, deps.tunables, telemetry)

    assert second.paused == ["s-exec"] and telemetry.counts["BalanceDriftBreaches"] == 1
    reason = world.pg.execute("SELECT paused_reason FROM strategies WHERE strategy_id = 's-exec'").fetchone()
    assert reason is not None and "balance drift -50" in reason[0]
    recorded = world.pg.execute("SELECT asset, drift, breached FROM wallet_balance_checks ORDER BY check_id").fetchall()
    assert recorded == [("COLLATERAL", 0, False), ("COLLATERAL", -50, True), ("COLLATERAL", -50, True)]


def test_a_wallet_with_an_order_in_flight_is_not_checked(world: ExecutorWorld) -> None:
    from omegacopy.devstack.paper import FaultMode

    deps = world.deps()
    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    assert execute_intent(deps, intent_id, lambda: 20_000).state == "UNKNOWN"  # filled, not booked yet

    summary = check_balances(PgBalanceStore(_store(deps)), deps.exchanges, deps.tunables, RecordingTelemetry())

    assert (summary.wallets_checked, summary.wallets_in_flight) == (0, 1)  # no baseline taken on lagging books


def _store(deps: ExecutorDeps) -> PgExecutorStore:
    store = deps.store
    assert isinstance(store, PgExecutorStore)
    return store
