"""Resolution → settlement → on-chain redemption, against the real ConditionalTokens contract on a
local EVM (Hardhat over JSON-RPC), real PostgreSQL, ClickHouse (the markets dimension), KMS (moto)
and the paper exchange. The wallet's key is the KMS-wrapped one the executor signs orders with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.pg_redemptions import PgRedemptionStore
from omegacopy.adapters.pg_settlements import PgSettlementStore
from omegacopy.adapters.polygon_rpc import JsonRpcChain
from omegacopy.adapters.wallet_keys import wrap_private_key
from omegacopy.app.redeem import RedemptionDeps, WrongChainError, redeem
from omegacopy.app.settle_resolved import SettlementDeps, settle_resolved
from omegacopy.domain.signer import LocalKeySigner, new_private_key
from tests.integration.executor.conftest import STRATEGY_ID, WALLET_ID, ExecutorWorld
from tests.support.ctf_chain import UNIT, CtfMarket, abi_call
from tests.support.telemetry import RecordingTelemetry

pytestmark = pytest.mark.slow


def _hold(world: ExecutorWorld, market: CtfMarket, token: str, shares: str, cost: str) -> None:
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (STRATEGY_ID, token, market.condition_id, Decimal(shares), Decimal(cost) / Decimal(shares), Decimal(cost)),
    )


def _resolve_in_dimension(ch: Any, market: CtfMarket, payouts: list[float]) -> None:
    yes, no = market.token_ids()
    ch.insert(
        "markets",
        [[market.condition_id, "politics", yes, no, 0, 1, [yes, no], 1, payouts]],
        column_names=["condition_id", "category", "yes_token_id", "no_token_id", "neg_risk", "closed", "token_ids",
                      "resolved", "payouts"],
    )  # fmt: skip


def _deps(world: ExecutorWorld, ch: Any, node: Any, market: CtfMarket) -> tuple[SettlementDeps, RedemptionDeps]:
    executor = world.deps()
    chain = JsonRpcChain(node.url)
    telemetry = RecordingTelemetry()
    settlement = SettlementDeps(
        store=PgSettlementStore(world.env["DATABASE_URL"]),
        markets=ClickHouseResolutions(ch),
        exchanges=executor.exchanges,
        telemetry=telemetry,
        chain=chain,
        routes=market.routes,
    )
    redemption = RedemptionDeps(
        store=PgRedemptionStore(world.env["DATABASE_URL"]),
        chain=chain,
        keys=executor.keys,
        tunables=executor.tunables,
        clock=executor.clock,
        telemetry=telemetry,
        chain_id=node.chain_id,
        routes=market.routes,
    )
    return settlement, redemption


def _settled_yes_win(world: ExecutorWorld, ch: Any, node: Any, market: CtfMarket) -> RedemptionDeps:
    """100 YES held at 55, YES wins on chain and in the dimension, the position settled: what is
    left is its redemption."""
    yes, _ = market.token_ids()
    _hold(world, market, yes, "100", "55")
    market.report([1, 0])
    _resolve_in_dimension(ch, market, [1.0, 0.0])
    settlement, redemption = _deps(world, ch, node, market)
    settle_resolved(settlement)
    return redemption


def _redemption(world: ExecutorWorld, market: CtfMarket) -> dict[str, Any]:
    from psycopg.rows import dict_row

    with world.pg.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT * FROM redemptions WHERE wallet_id = %s AND condition_id = %s", (WALLET_ID, market.condition_id)
        ).fetchone()
    assert row is not None
    return row


@pytest.fixture
def market(evm_node: Any, world: ExecutorWorld) -> CtfMarket:
    evm_node.automine(True)
    m = CtfMarket.deploy(evm_node)
    m.fund(world.address.lower(), 100)  # 100 YES + 100 NO in the follower's own wallet
    world.set_tunable("redemptions_enabled", "true")
    return m


def test_a_resolved_market_is_settled_once_and_redeemed_on_chain(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    yes, no = market.token_ids()
    follower = world.address.lower()
    market.give_away(follower, no, 100, evm_node.accounts()[3])  # the follower keeps YES only
    _hold(world, market, yes, "100", "60")
    market.report([1, 0])
    _resolve_in_dimension(ch, market, [1.0, 0.0])
    settlement, redemption = _deps(world, ch, evm_node, market)
    balance_before = world.balance()

    first = settle_resolved(settlement)
    again = settle_resolved(settlement)

    assert (first.settled_positions, again.settled_positions) == (1, 0)
    assert world.balance() == balance_before + Decimal("100")  # credited once, at $1 a share
    pos = world.pg.execute(
        "SELECT shares, cost_usd, realized_pnl_usd FROM strategy_positions WHERE token_id = %s", (yes,)
    ).fetchone()
    assert pos == (Decimal("0"), Decimal("0"), Decimal("40"))  # flat: the slot is free
    assert _redemption(world, market)["state"] == "NEW"

    submitted = redeem(redemption)
    row = _redemption(world, market)
    assert submitted.outcomes["submitted"] == 1
    assert row["state"] == "SUBMITTED" and row["tx_hash"] and row["raw_tx"]

    confirmed = redeem(redemption)
    row = _redemption(world, market)
    assert confirmed.outcomes["confirmed"] == 1
    assert row["state"] == "CONFIRMED"
    assert int(row["payout_units"]) == 100 * UNIT
    assert market.cash(follower) == 100 * UNIT  # paid on chain by the real contract
    assert market.shares(follower, yes) == 0
    receipt = evm_node.receipt(row["tx_hash"])
    assert receipt["from"].lower() == follower  # signed with the wallet's KMS-unwrapped key
    assert redeem(redemption).examined == 0  # nothing left open: never a second transaction


def test_a_transaction_lost_before_mining_is_re_sent_as_the_same_bytes(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    redemption = _settled_yes_win(world, ch, evm_node, market)
    evm_node.automine(False)
    try:
        redeem(redemption)
        signed = _redemption(world, market)
        assert signed["state"] == "SUBMITTED"
        assert evm_node.drop(signed["tx_hash"])  # the node lost it (a crash before broadcast looks the same)

        redeem(redemption)  # no receipt, nonce unused: the stored bytes go out again
        evm_node.mine()
    finally:
        evm_node.automine(True)
    redeem(redemption)
    row = _redemption(world, market)
    assert row["state"] == "CONFIRMED"
    assert bytes(row["raw_tx"]) == bytes(signed["raw_tx"]) and row["tx_hash"] == signed["tx_hash"]
    assert row["broadcasts"] >= 2
    assert market.cash(world.address.lower()) == 100 * UNIT  # YES paid; NO paid nothing


def test_a_nonce_taken_by_another_transaction_fails_the_redemption_loudly(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    redemption = _settled_yes_win(world, ch, evm_node, market)
    follower = world.address.lower()
    evm_node.automine(False)
    try:
        redeem(redemption)
        signed = _redemption(world, market)
        assert evm_node.drop(signed["tx_hash"])
        evm_node.send(follower, evm_node.accounts()[4], nonce=int(signed["nonce"]))  # someone else used the nonce
        evm_node.mine()
    finally:
        evm_node.automine(True)

    redeem(redemption)

    row = _redemption(world, market)
    assert (row["state"], row["reason_code"]) == ("FAILED", "nonce_used_elsewhere")
    assert redemption.telemetry.counts["RedemptionsFailed"] == 1  # type: ignore[attr-defined]
    assert market.shares(follower, market.token_ids()[0]) == 100 * UNIT  # nothing was redeemed: the operator decides


def test_redemption_waits_while_disabled_or_unreported_and_signs_nothing(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    yes, _ = market.token_ids()
    _hold(world, market, yes, "100", "55")
    _resolve_in_dimension(ch, market, [1.0, 0.0])  # the dimension says resolved; the chain does not yet
    settlement, redemption = _deps(world, ch, evm_node, market)
    settle_resolved(settlement)

    redeem(redemption)
    assert (_redemption(world, market)["state"], _redemption(world, market)["reason_code"]) == (
        "NEW", "not_reported_on_chain")  # fmt: skip

    market.report([1, 0])
    world.set_tunable("redemptions_enabled", "false")
    redeem(redemption)
    row = _redemption(world, market)
    assert (row["state"], row["reason_code"], row["tx_hash"]) == ("NEW", "disabled", None)


def test_a_market_closed_by_the_exchange_settles_at_the_chains_payouts(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    _, no = market.token_ids()
    _hold(world, market, no, "50", "20")
    intent_id = world.intent(token=no)
    world.pg.execute(  # what reconcile records when the exchange cancels an order as market-resolved
        "UPDATE order_intents SET state = 'ACCEPTED', order_hash = %s, exchange_status = 'canceled_market_resolved',"
        " condition_id = %s WHERE intent_id = %s",
        ("0x" + "ab" * 32, market.condition_id, intent_id),
    )
    settlement, _ = _deps(world, ch, evm_node, market)
    assert settle_resolved(settlement).awaiting_payouts == 1  # no payouts anywhere yet: nothing guessed

    market.report([0, 1])  # NO won
    summary = settle_resolved(settlement)

    assert summary.settled_positions == 1
    row = world.pg.execute(
        "SELECT payout, proceeds_usd, source FROM position_settlements WHERE token_id = %s", (no,)
    ).fetchone()
    assert row == (Decimal(1), Decimal("50"), "chain")


def test_a_proxy_wallet_is_blocked_with_its_reason_until_its_tokens_are_gone(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket, moto_server: Any
) -> None:
    key = new_private_key()
    with LocalKeySigner(bytearray(key)) as signer:
        owner = signer.address.lower()
    proxy = evm_node.accounts()[5]  # stands in for the proxy contract that holds the funds
    kms = moto_server.client("kms")
    key_id = kms.create_key(Description="proxy wallet (test)")["KeyMetadata"]["Arn"]
    envelope = wrap_private_key(kms, key_id, wallet_id="w-proxy", address=owner, private_key=bytearray(key))
    from omegacopy.adapters.pg_wallets import WalletRow, save_wallet
    from omegacopy.devstack.seed import StrategySeed, insert_strategies

    save_wallet(world.pg, WalletRow("w-proxy", owner, proxy, 1, envelope))
    insert_strategies(world.pg, [StrategySeed("s-proxy", "w-proxy", [], balance_usd=Decimal("100"))])
    yes, _ = market.token_ids()
    market.fund(proxy, 10)
    world.pg.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, avg_entry_price, cost_usd)"
        " VALUES ('s-proxy', %s, %s, 10, 0.5, 5)",
        (yes, market.condition_id),
    )
    market.report([1, 0])
    _resolve_in_dimension(ch, market, [1.0, 0.0])
    settlement, redemption = _deps(world, ch, evm_node, market)
    settle_resolved(settlement)

    redeem(redemption)
    row = world.pg.execute("SELECT state, reason_code, tx_hash FROM redemptions WHERE wallet_id = 'w-proxy'").fetchone()
    assert row == ("BLOCKED", "relayer_required", None)
    balance = world.pg.execute("SELECT balance_usd FROM strategy_settings WHERE strategy_id = 's-proxy'").fetchone()
    assert balance == (Decimal("110"),)  # settled in the books all the same

    # redeemed in Polymarket's interface: the proxy's tokens are gone on chain
    evm_node.transact(proxy, market.ctf, abi_call(
        "redeemPositions(address,bytes32,bytes32,uint256[])", ["address", "bytes32", "bytes32", "uint256[]"],
        [market.collateral, bytes(32), bytes.fromhex(market.condition_id[2:]), [1, 2]]))  # fmt: skip
    redeem(redemption)
    row = world.pg.execute("SELECT state, reason_code FROM redemptions WHERE wallet_id = 'w-proxy'").fetchone()
    assert row == ("NOT_NEEDED", "redeemed_elsewhere")


def test_an_endpoint_of_another_chain_signs_nothing(
    world: ExecutorWorld, ch: Any, evm_node: Any, market: CtfMarket
) -> None:
    _, redemption = _deps(world, ch, evm_node, market)
    redemption.chain_id = 137  # the configured chain; the node serves 31337
    with pytest.raises(WrongChainError):
        redeem(redemption)
