"""Calls to the Conditional Tokens contract and the NegRisk adapter, ABI-encoded (and decoded).

Signatures are those of the published contracts: Gnosis ConditionalTokens 1.0.3 (`redeemPositions`,
`getCollectionId`, `getPositionId`, `balanceOfBatch`, `payoutNumerators`, `payoutDenominator`,
the `PayoutRedemption` event) and Polymarket's NegRiskAdapter (`redeemPositions(bytes32,uint256[])`,
`wcol()`, the wrapped collateral its positions are made of).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from omegacopy.domain.evm import keccak256

ZERO_BYTES32: Final = bytes(32)
# A binary market's two outcome collections under the root collection: outcome 0 and outcome 1.
BINARY_INDEX_SETS: Final = (1, 2)


# eth-abi loads in about 80 ms: imported when a call is first encoded or decoded, so paid by the
# function that makes these calls (settlement), not by every one whose types mention a redemption
def _encode(types: list[str], values: list[Any]) -> bytes:
    from eth_abi.abi import encode  # noqa: PLC0415

    return encode(types, values)


def _decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    from eth_abi.abi import decode  # noqa: PLC0415

    return decode(types, data)


def selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


def _call(signature: str, types: Sequence[str], values: Sequence[Any]) -> bytes:
    return selector(signature) + _encode(list(types), list(values))


def condition_bytes(condition_id: str) -> bytes:
    raw = bytes.fromhex(condition_id.removeprefix("0x").removeprefix("0X"))
    if len(raw) != 32:
        raise ValueError("a condition id is 32 bytes")
    return raw


# --- transactions ---------------------------------------------------------------------------------
def ctf_redeem_positions(collateral: str, condition_id: str, index_sets: Sequence[int] = BINARY_INDEX_SETS) -> bytes:
    """ConditionalTokens.redeemPositions(collateral, parentCollectionId = 0, conditionId, indexSets).

    Burns the caller's whole balance of each position and pays collateral by the payout vector.
    """
    return _call(
        "redeemPositions(address,bytes32,bytes32,uint256[])",
        ("address", "bytes32", "bytes32", "uint256[]"),
        (collateral, ZERO_BYTES32, condition_bytes(condition_id), list(index_sets)),
    )


def neg_risk_redeem_positions(condition_id: str, amounts: Sequence[int]) -> bytes:
    """NegRiskAdapter.redeemPositions(conditionId, amounts): amounts per outcome, in base units."""
    return _call(
        "redeemPositions(bytes32,uint256[])", ("bytes32", "uint256[]"), (condition_bytes(condition_id), list(amounts))
    )


# --- views ------------------------------------------------------------------------------------------
def get_collection_id(condition_id: str, index_set: int) -> bytes:
    return _call(
        "getCollectionId(bytes32,bytes32,uint256)",
        ("bytes32", "bytes32", "uint256"),
        (ZERO_BYTES32, condition_bytes(condition_id), index_set),
    )


def get_position_id(collateral: str, collection_id: bytes) -> bytes:
    return _call("getPositionId(address,bytes32)", ("address", "bytes32"), (collateral, collection_id))


def balance_of_batch(owner: str, position_ids: Sequence[int]) -> bytes:
    return _call(
        "balanceOfBatch(address[],uint256[])",
        ("address[]", "uint256[]"),
        ([owner] * len(position_ids), list(position_ids)),
    )


def payout_denominator(condition_id: str) -> bytes:
    return _call("payoutDenominator(bytes32)", ("bytes32",), (condition_bytes(condition_id),))


def payout_numerator(condition_id: str, index: int) -> bytes:
    return _call("payoutNumerators(bytes32,uint256)", ("bytes32", "uint256"), (condition_bytes(condition_id), index))


def wrapped_collateral() -> bytes:
    """NegRiskAdapter.wcol(): the ERC20 its markets' positions are collateralised by."""
    return selector("wcol()")


# --- replies ----------------------------------------------------------------------------------------
def as_uint(data: bytes) -> int:
    return int(_decode(["uint256"], data)[0])


def as_bytes32(data: bytes) -> bytes:
    return bytes(_decode(["bytes32"], data)[0])


def as_address(data: bytes) -> str:
    return str(_decode(["address"], data)[0]).lower()


def as_uint_list(data: bytes) -> tuple[int, ...]:
    return tuple(int(v) for v in _decode(["uint256[]"], data)[0])


# --- events -----------------------------------------------------------------------------------------
PAYOUT_REDEMPTION_TOPIC: Final = keccak256(b"PayoutRedemption(address,address,bytes32,bytes32,uint256[],uint256)")


@dataclass(frozen=True, slots=True)
class PayoutRedemption:
    redeemer: str
    collateral: str
    condition_id: str
    payout: int  # collateral base units


def payout_redemption(topics: Sequence[bytes], data: bytes) -> PayoutRedemption | None:
    """The ConditionalTokens PayoutRedemption event in a receipt's log; None for any other log."""
    if len(topics) != 4 or topics[0] != PAYOUT_REDEMPTION_TOPIC:
        return None
    condition, _index_sets, payout = _decode(["bytes32", "uint256[]", "uint256"], data)
    return PayoutRedemption(
        redeemer="0x" + topics[1][-20:].hex(),
        collateral="0x" + topics[2][-20:].hex(),
        condition_id="0x" + bytes(condition).hex(),
        payout=int(payout),
    )
