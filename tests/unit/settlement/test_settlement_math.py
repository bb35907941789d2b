"""Settlement at a resolution, the payout vector's checks, fees under their caps, the redemption
state machine, and the transaction a Signer signs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omegacopy.domain import ctf_calls
from omegacopy.domain.evm_tx import TxRequest, sign_transaction
from omegacopy.domain.positions import Position, settle
from omegacopy.domain.redemption import (
    FeeRefusedError,
    GasPolicy,
    IllegalRedemptionMoveError,
    RedemptionReason,
    RedemptionState,
    next_redemption_state,
    plan_fees,
)
from omegacopy.domain.resolution import (
    InvalidResolutionError,
    ResolutionSource,
    payouts_from_numerators,
    resolution_from_vector,
)
from omegacopy.domain.signer import LocalKeySigner, new_private_key

D = Decimal


def test_a_winning_position_is_paid_a_dollar_a_share_and_closed() -> None:
    s = settle(Position(D("100"), D("60"), D("5")), D("1"))
    assert s is not None
    assert (s.proceeds_usd, s.realized_pnl_usd) == (D("100"), D("40"))
    assert s.position == Position(D("0"), D("0"), D("45"))  # flat, realized P&L carried


def test_a_losing_position_realizes_its_whole_cost() -> None:
    s = settle(Position(D("50"), D("20")), D("0"))
    assert s is not None and (s.proceeds_usd, s.realized_pnl_usd) == (D("0"), D("-20"))


def test_nothing_held_settles_nothing_and_a_payout_outside_0_1_is_refused() -> None:
    assert settle(Position(), D("1")) is None
    with pytest.raises(ValueError):
        settle(Position(D("1"), D("1")), D("1.5"))


@settings(deadline=None, max_examples=200)
@given(
    shares=st.decimals(min_value=D("0.000001"), max_value=D("1000000"), places=6),
    cost=st.decimals(min_value=D("0"), max_value=D("1000000"), places=6),
    numerator=st.integers(min_value=0, max_value=1000),
    denominator=st.integers(min_value=1, max_value=1000),
)
def test_proceeds_never_exceed_what_the_chain_pays(
    shares: Decimal, cost: Decimal, numerator: int, denominator: int
) -> None:
    assume(numerator <= denominator)
    payout = payouts_from_numerators([numerator, denominator - numerator], denominator)[0]
    s = settle(Position(shares, cost), payout)
    assert s is not None
    on_chain_units = int(shares * 10**6) * numerator // denominator  # the contract's integer division
    assert s.proceeds_usd * 10**6 <= on_chain_units
    assert s.proceeds_usd - s.realized_pnl_usd == cost


def test_a_payout_vector_is_paired_with_the_tokens_by_index() -> None:
    r = resolution_from_vector("0xAB" + "0" * 62, ["11", "22"], [D("0"), D("1")], source=ResolutionSource.MARKETS)
    assert (r.payout_of("11"), r.payout_of("22"), r.payout_of("33")) == (D("0"), D("1"), None)
    assert r.condition_id == "0xab" + "0" * 62


@pytest.mark.parametrize(
    ("tokens", "payouts"),
    [
        (["1", "2"], [D("1")]),  # length
        (["1", "1"], [D("1"), D("0")]),  # repeated token
        (["1", "2"], [D("0.7"), D("0.7")]),  # does not sum to 1
        (["1", "2"], [D("-1"), D("2")]),  # outside 0..1
        (["1", "2"], [D("NaN"), D("1")]),
    ],
)
def test_a_payout_vector_that_cannot_be_right_is_refused(tokens: list[str], payouts: list[Decimal]) -> None:
    with pytest.raises(InvalidResolutionError):
        resolution_from_vector("0x" + "1" * 64, tokens, payouts, source=ResolutionSource.MARKETS)


def test_chain_numerators_unreported_or_inconsistent_are_refused() -> None:
    assert payouts_from_numerators([1, 1], 2) == (D("0.5"), D("0.5"))
    with pytest.raises(InvalidResolutionError):
        payouts_from_numerators([0, 0], 0)
    with pytest.raises(InvalidResolutionError):
        payouts_from_numerators([1, 0], 2)


def test_fees_take_a_margin_on_gas_and_stop_at_the_caps() -> None:
    policy = GasPolicy(gas_limit_cap=200_000, max_fee_cap_wei=500 * 10**9)
    plan = plan_fees(estimate=100_000, base_fee=100 * 10**9, priority_fee=30 * 10**9, policy=policy)
    assert (plan.gas_limit, plan.max_fee_per_gas, plan.max_priority_fee_per_gas) == (125_000, 230 * 10**9, 30 * 10**9)
    with pytest.raises(FeeRefusedError) as gas:
        plan_fees(estimate=170_000, base_fee=1, priority_fee=1, policy=policy)
    assert gas.value.reason is RedemptionReason.GAS_CAP
    with pytest.raises(FeeRefusedError) as fee:
        plan_fees(estimate=1, base_fee=300 * 10**9, priority_fee=1, policy=policy)
    assert fee.value.reason is RedemptionReason.FEE_CAP


def test_terminal_redemptions_never_move_and_a_submitted_one_never_goes_back() -> None:
    for terminal in (RedemptionState.CONFIRMED, RedemptionState.FAILED, RedemptionState.NOT_NEEDED):
        assert terminal.is_terminal
        with pytest.raises(IllegalRedemptionMoveError):
            next_redemption_state(terminal, RedemptionState.NEW)
    with pytest.raises(IllegalRedemptionMoveError):
        next_redemption_state(RedemptionState.SUBMITTED, RedemptionState.NEW)
    with pytest.raises(IllegalRedemptionMoveError):
        next_redemption_state(RedemptionState.BLOCKED, RedemptionState.SUBMITTED)
    assert next_redemption_state(RedemptionState.NEW, RedemptionState.SUBMITTED) is RedemptionState.SUBMITTED


def test_the_signed_transaction_recovers_to_the_signer_and_is_deterministic() -> None:
    request = TxRequest(chain_id=137, nonce=7, to="0x" + "11" * 20, data=b"\x01\x02", gas_limit=50_000,
                        max_fee_per_gas=3 * 10**9, max_priority_fee_per_gas=10**9)  # fmt: skip
    with LocalKeySigner(bytearray(new_private_key())) as signer:
        first = sign_transaction(request, signer)
        second = sign_transaction(request, signer)
        address = signer.address
    assert Account.recover_transaction(first.raw).lower() == address.lower()
    assert first == second  # RFC 6979: the same request signs to the same bytes and hash
    assert first.raw[0] == 2 and first.tx_hash.startswith("0x") and len(first.tx_hash) == 66


def test_redeem_calldata_is_the_published_abi() -> None:
    condition = "0x" + "ab" * 32
    data = ctf_calls.ctf_redeem_positions("0x" + "cd" * 20, condition)
    assert data[:4].hex() == "01b7037c"  # redeemPositions(address,bytes32,bytes32,uint256[])
    neg = ctf_calls.neg_risk_redeem_positions(condition, [5, 0])
    assert neg[:4].hex() == "dbeccb23"  # redeemPositions(bytes32,uint256[])
