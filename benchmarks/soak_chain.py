"""A Polygon node in memory for the soak: enough of the Conditional Tokens contract's views and of a
node's transaction handling to drive `redeem` at volume, with faults.

The real contract on a real JSON-RPC node is what the integration tests use
(tests/integration/executor/test_redemption_chain.py); here the point is exactly-once under
failure: some broadcasts are lost before reaching the pool (the same bytes must come again), some
replies are lost after it (the receipt settles it), and blocks are mined between runs. It counts
every distinct transaction it ever saw per (sender, condition): more than one is a duplicate.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi.abi import decode, encode
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes

from omegacopy.domain import ctf_calls
from omegacopy.domain.evm import keccak256
from omegacopy.ports import Broadcast, BroadcastOutcome, ChainError, FeeQuote, LogEntry, Receipt

_GET_COLLECTION = ctf_calls.selector("getCollectionId(bytes32,bytes32,uint256)")
_GET_POSITION = ctf_calls.selector("getPositionId(address,bytes32)")
_BALANCES = ctf_calls.selector("balanceOfBatch(address[],uint256[])")
_DENOMINATOR = ctf_calls.selector("payoutDenominator(bytes32)")
_REDEEM = ctf_calls.selector("redeemPositions(address,bytes32,bytes32,uint256[])")


@dataclass
class SoakChain:
    chain: int
    ctf: str
    collateral: str
    rng: random.Random
    lose_before_pool: float = 0.1  # the broadcast never reached the pool
    lose_reply: float = 0.1  # it did, but the reply was lost
    tokens: dict[str, tuple[int, int]] = field(default_factory=dict)  # condition -> position ids
    reported: set[str] = field(default_factory=set)
    holdings: Counter[tuple[str, int]] = field(default_factory=Counter)  # (holder, position id) -> units
    pool: dict[str, bytes] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    nonces: Counter[str] = field(default_factory=Counter)
    seen: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (sender, condition) -> tx hashes
    paid: Counter[str] = field(default_factory=Counter)

    def add_market(self, condition_id: str, yes: str, no: str) -> None:
        self.tokens[condition_id] = (int(yes), int(no))

    # --- the Chain port -------------------------------------------------------------------------
    def chain_id(self) -> int:
        return self.chain

    def call(self, to: str, data: bytes) -> bytes:
        head, body = data[:4], data[4:]
        if head == _GET_COLLECTION:
            _, condition, index_set = decode(["bytes32", "bytes32", "uint256"], body)
            return keccak256(bytes(condition) + index_set.to_bytes(32, "big"))
        if head == _GET_POSITION:
            collateral, collection = decode(["address", "bytes32"], body)
            for condition, ids in self.tokens.items():
                for index_set, position in zip((1, 2), ids, strict=True):
                    expected = keccak256(bytes.fromhex(condition[2:]) + index_set.to_bytes(32, "big"))
                    if collateral.lower() == self.collateral and bytes(collection) == expected:
                        return encode(["uint256"], [position])
            return encode(["uint256"], [0])
        if head == _BALANCES:
            owners, ids = decode(["address[]", "uint256[]"], body)
            return encode(["uint256[]"], [[self.holdings[(o.lower(), i)] for o, i in zip(owners, ids, strict=True)]])
        if head == _DENOMINATOR:
            (condition,) = decode(["bytes32"], body)
            return encode(["uint256"], [1 if "0x" + bytes(condition).hex() in self.reported else 0])
        raise ChainError(f"unexpected call {head.hex()}")

    def estimate_gas(self, sender: str, to: str, data: bytes) -> int:
        return 150_000

    def fee_quote(self) -> FeeQuote:
        return FeeQuote(base_fee=30 * 10**9, priority_fee=30 * 10**9)

    def nonce(self, address: str, *, pending: bool) -> int:
        mined = self.nonces[address.lower()]
        if not pending:
            return mined
        in_pool = [self._decoded(raw)[1] for raw in self.pool.values() if self._decoded(raw)[0] == address.lower()]
        return max([mined, *(n + 1 for n in in_pool)])

    def send_raw_transaction(self, raw: bytes) -> Broadcast:
        if self.rng.random() < self.lose_before_pool:
            return Broadcast(BroadcastOutcome.UNKNOWN, "timeout")
        tx_hash = "0x" + keccak256(raw).hex()
        sender, nonce, condition = self._decoded(raw)
        self.seen.setdefault((sender, condition), set()).add(tx_hash)
        if tx_hash not in self.receipts and nonce >= self.nonces[sender]:
            self.pool[tx_hash] = raw
        if self.rng.random() < self.lose_reply:
            return Broadcast(BroadcastOutcome.UNKNOWN, "reply lost")
        return Broadcast(BroadcastOutcome.ACCEPTED)

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self.receipts.get(tx_hash)

    # --- the soak's hand on the chain -----------------------------------------------------------
    def mine(self) -> None:
        """Include every pooled transaction whose nonce is next, in nonce order."""
        progress = True
        while progress:
            progress = False
            for tx_hash, raw in sorted(self.pool.items(), key=lambda kv: self._decoded(kv[1])[1]):
                sender, nonce, condition = self._decoded(raw)
                if nonce != self.nonces[sender]:
                    continue
                del self.pool[tx_hash]
                self.nonces[sender] += 1
                payout = 0
                for position in self.tokens[condition][:1]:  # YES won in the soak's resolutions
                    payout += self.holdings.pop((sender, position), 0)
                self.holdings.pop((sender, self.tokens[condition][1]), None)
                self.paid[condition] += payout
                topics = (ctf_calls.PAYOUT_REDEMPTION_TOPIC, bytes(12) + bytes.fromhex(sender[2:]),
                          bytes(12) + bytes.fromhex(self.collateral[2:]), bytes(32))  # fmt: skip
                data = encode(["bytes32", "uint256[]", "uint256"], [bytes.fromhex(condition[2:]), [1, 2], payout])
                self.receipts[tx_hash] = Receipt(tx_hash, 1, len(self.receipts) + 1, 80_000,
                                                 (LogEntry(self.ctf, topics, data),))  # fmt: skip
                progress = True

    def duplicates(self) -> int:
        return sum(len(hashes) - 1 for hashes in self.seen.values() if len(hashes) > 1)

    def _decoded(self, raw: bytes) -> tuple[str, int, str]:
        tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        sender = str(Account.recover_transaction(raw)).lower()
        data = bytes(tx["data"])
        if data[:4] != _REDEEM:
            raise ChainError("the soak's chain only knows redemptions")
        condition = "0x" + bytes(decode(["address", "bytes32", "bytes32", "uint256[]"], data[4:])[2]).hex()
        return sender, int(tx["nonce"]), condition


def position_holdings(chain: SoakChain, rows: Sequence[tuple[str, str, int]]) -> None:
    """(holder, token id, units): what the wallets hold on chain of the resolved markets."""
    for holder, token, units in rows:
        chain.holdings[(holder.lower(), int(token))] += units
