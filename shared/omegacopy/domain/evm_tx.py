"""EIP-1559 (type 2) transactions signed by a `Signer`: the key never leaves it.

eth-account builds the transaction and its signing hash; the signer signs that digest like any
other (the KMS-unwrapped key exists only inside its `with` block), and eth-account encodes the
signed bytes. The transaction hash is keccak256 of those bytes: what a node's receipt is keyed by.
"""

from __future__ import annotations

from dataclasses import dataclass

from omegacopy.domain.evm import keccak256, to_checksum_address
from omegacopy.domain.signer import Signer

DYNAMIC_FEE_TX_TYPE = 2


@dataclass(frozen=True, slots=True)
class TxRequest:
    chain_id: int
    nonce: int
    to: str
    data: bytes
    gas_limit: int
    max_fee_per_gas: int  # wei
    max_priority_fee_per_gas: int  # wei
    value: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "type": DYNAMIC_FEE_TX_TYPE,
            "chainId": self.chain_id,
            "nonce": self.nonce,
            "to": to_checksum_address(self.to),
            "value": self.value,
            "data": "0x" + self.data.hex(),
            "gas": self.gas_limit,
            "maxFeePerGas": self.max_fee_per_gas,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
            "accessList": [],
        }


@dataclass(frozen=True, slots=True)
class SignedTx:
    raw: bytes  # what eth_sendRawTransaction takes, re-sent unchanged on every broadcast
    tx_hash: str  # 0x-prefixed, lower-case
    sender: str


def sign_transaction(request: TxRequest, signer: Signer) -> SignedTx:
    if request.nonce < 0 or request.gas_limit <= 0 or request.max_fee_per_gas < request.max_priority_fee_per_gas:
        raise ValueError("a transaction needs a nonce, a gas limit, and a max fee at least its priority fee")
    # eth-account loads in about 100 ms: paid by the one function that signs transactions, when it
    # signs, not by every function whose ports mention a signed transaction
    from eth_account.typed_transactions.typed_transaction import TypedTransaction  # noqa: PLC0415

    unsigned = request.as_dict()
    digest = TypedTransaction.from_dict(unsigned).hash()
    signature = signer.sign_digest(bytes(digest))
    signed = TypedTransaction.from_dict(
        {
            **unsigned,
            "v": signature[64] - 27,  # typed transactions carry the y-parity (0/1), not 27/28
            "r": int.from_bytes(signature[:32], "big"),
            "s": int.from_bytes(signature[32:64], "big"),
        }
    )
    raw = signed.encode()
    return SignedTx(raw=raw, tx_hash="0x" + keccak256(raw).hex(), sender=signer.address)
