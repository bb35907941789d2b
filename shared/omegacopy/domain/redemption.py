"""On-chain redemption of a wallet's outcome tokens in a resolved market: one per (wallet, condition).

States (`RedemptionState`, the `redemptions.state` CHECK), moved only through `next_state`:

    NEW ──► SUBMITTED ──► CONFIRMED          (receipt status 1)
     │          └───────► FAILED             (reverted, or its nonce was used by another transaction)
     ├──► NOT_NEEDED                          (the wallet holds none of the market's tokens on chain)
     └──► BLOCKED ──► NOT_NEEDED              (proxy / Safe wallet: redeemed outside OmegaCopy)

Exactly once, as orders: the transaction is signed with a nonce of its own, and its bytes and hash
are committed (SUBMITTED) before the first broadcast; every later broadcast sends those same bytes,
and the receipt is looked up by that hash. `redeemPositions` burns the wallet's whole balance of
the condition, so a second transaction could only redeem nothing; none is ever signed while one
is SUBMITTED.

Where to redeem (`RedemptionRoute`) is read from the chain, never assumed: the route whose position
ids equal the market's token ids is the one the tokens were minted through (see docs/runbook.md,
"Redemptions", for the candidate addresses and why the sources disagree about them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Final

from omegacopy.domain.ctf_calls import ctf_redeem_positions, neg_risk_redeem_positions


class RedemptionState(StrEnum):
    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    NOT_NEEDED = "NOT_NEEDED"
    BLOCKED = "BLOCKED"

    @property
    def is_terminal(self) -> bool:
        return self in (RedemptionState.CONFIRMED, RedemptionState.FAILED, RedemptionState.NOT_NEEDED)


_NEXT: Final[dict[RedemptionState, frozenset[RedemptionState]]] = {
    RedemptionState.NEW: frozenset({RedemptionState.SUBMITTED, RedemptionState.NOT_NEEDED, RedemptionState.BLOCKED}),
    RedemptionState.BLOCKED: frozenset({RedemptionState.NOT_NEEDED}),
    RedemptionState.SUBMITTED: frozenset({RedemptionState.CONFIRMED, RedemptionState.FAILED}),
    RedemptionState.CONFIRMED: frozenset(),
    RedemptionState.FAILED: frozenset(),
    RedemptionState.NOT_NEEDED: frozenset(),
}


class IllegalRedemptionMoveError(ValueError):
    """A state change the redemption state machine does not allow (a bug or a corrupt row)."""


def next_redemption_state(current: RedemptionState, target: RedemptionState) -> RedemptionState:
    if target != current and target not in _NEXT[current]:
        raise IllegalRedemptionMoveError(f"a redemption cannot move from {current} to {target}")
    return target


class RedemptionReason(StrEnum):
    RELAYER_REQUIRED = "relayer_required"
    NOTHING_HELD = "nothing_held"
    REDEEMED_ELSEWHERE = "redeemed_elsewhere"
    NOT_REPORTED = "not_reported_on_chain"
    NO_ROUTE = "no_route"
    GAS_CAP = "gas_cap"
    FEE_CAP = "fee_cap"
    ESTIMATE_FAILED = "estimate_failed"
    REJECTED_BY_NODE = "rejected_by_node"
    REVERTED = "reverted"
    DROPPED = "nonce_used_elsewhere"
    CONFIRMED = "confirmed"
    DISABLED = "disabled"


# Why proxy (type 1) and Safe (type 2) wallets are not redeemed here. Their tokens sit in a
# contract wallet the EOA controls; Polymarket redeems those through its relayer, whose submit
# endpoint is authenticated with Builder-program API credentials (POLY_BUILDER_* headers), which
# a deployment does not have. Deposit wallets (type 3) redeem only through a relayer-submitted
# WALLET batch. Such positions are settled in the books; the redemption stays BLOCKED until the
# wallet's tokens are gone on chain (redeemed in Polymarket's interface or by its auto-redeem).
RELAYER_REQUIRED_MESSAGE: Final = (
    "proxy / Safe / deposit wallets redeem through Polymarket's relayer, which needs Builder-program"
    " credentials: redeem in Polymarket's interface; this closes when the wallet's tokens are gone"
)


class RouteKind(StrEnum):
    CTF = "ctf"  # ConditionalTokens.redeemPositions(collateral, 0, condition, [1, 2])
    NEG_RISK = "neg_risk"  # NegRiskAdapter.redeemPositions(condition, amounts)


@dataclass(frozen=True, slots=True)
class RedemptionRoute:
    kind: RouteKind
    target: str  # the contract the transaction calls
    collateral: str  # the ERC20 the positions are collateralised by (what the CTF pays out)
    position_ids: tuple[int, ...]  # by outcome index (index sets 1, 2)

    def calldata(self, condition_id: str, balances: Sequence[int]) -> bytes:
        if self.kind is RouteKind.NEG_RISK:
            return neg_risk_redeem_positions(condition_id, balances)
        return ctf_redeem_positions(self.collateral, condition_id)


@dataclass(frozen=True, slots=True)
class GasPolicy:
    """From the tunables: a redemption never spends beyond these."""

    gas_limit_cap: int
    max_fee_cap_wei: int
    estimate_margin: Decimal = Decimal("1.25")  # a node's estimate is for the state it saw


@dataclass(frozen=True, slots=True)
class FeePlan:
    gas_limit: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class FeeRefusedError(ValueError):
    def __init__(self, reason: RedemptionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def plan_fees(*, estimate: int, base_fee: int, priority_fee: int, policy: GasPolicy) -> FeePlan:
    """Gas limit = estimate plus a margin; max fee = twice the base fee plus the tip, so the
    transaction stays includable through a few blocks of rising base fee. Refused (FeeRefusedError)
    beyond the caps: it waits for the next tick rather than overpay."""
    gas_limit = int((Decimal(estimate) * policy.estimate_margin).to_integral_value(rounding=ROUND_CEILING))
    if gas_limit > policy.gas_limit_cap:
        raise FeeRefusedError(RedemptionReason.GAS_CAP, f"gas {gas_limit} above the cap {policy.gas_limit_cap}")
    max_fee = 2 * base_fee + priority_fee
    if max_fee > policy.max_fee_cap_wei:
        raise FeeRefusedError(
            RedemptionReason.FEE_CAP, f"max fee {max_fee} wei/gas above the cap {policy.max_fee_cap_wei}"
        )
    return FeePlan(gas_limit=gas_limit, max_fee_per_gas=max_fee, max_priority_fee_per_gas=priority_fee)


GWEI: Final = 10**9

# Polygon mainnet (chain 137). Which of these a market's tokens were minted through is read from the
# chain for each redemption (`RouteCandidates`), because the published sources disagree:
# - Conditional Tokens: 0x4D97…6045 in every source.
# - Collateral: pUSD 0xC011…2DFB (docs after the CLOB V2 switch, 2026-04-28); USDC.e 0x2791…4174
#   (the older deployment page, and what markets created before the switch were collateralised by).
# - NegRisk adapter: 0xadA2…eAab for pUSD (changelog 2026-07-14: v1 relayer calls deprecated);
#   v1 0xd91E…5296 (still in py-clob-client-v2's config and on the contracts page, "deprecated").
# A route whose position ids do not match the market's token ids is never used: redeeming through
# the wrong one would burn nothing and pay nothing (or revert).
POLYGON_CTF: Final = "0x4d97dcd97ec945f40cf65f87097ace5ea0476045"
POLYGON_PUSD: Final = "0xc011a7e12a19f7b1f670d46f03b03f3342e82dfb"
POLYGON_USDCE: Final = "0x2791bca1f2de4661ed88a30c99a7a9449aa84174"
NEG_RISK_ADAPTER_PUSD: Final = "0xada2005600dec949baf300f4c6120000bdb6eaab"
NEG_RISK_ADAPTER_V1: Final = "0xd91e80cf2e7be2e162c6513ced06f1dd0da35296"


@dataclass(frozen=True, slots=True)
class RouteCandidates:
    ctf: str = POLYGON_CTF
    collaterals: tuple[str, ...] = (POLYGON_PUSD, POLYGON_USDCE)
    neg_risk_adapters: tuple[str, ...] = (NEG_RISK_ADAPTER_PUSD, NEG_RISK_ADAPTER_V1)
