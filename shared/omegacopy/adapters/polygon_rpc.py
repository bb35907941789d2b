"""The `Chain` port over Ethereum JSON-RPC (a Polygon node; locally, any node on loopback).

The URL usually carries a provider's key, so it is a Secrets Manager secret, registered for
redaction by the composition root, and never part of an error message here. Every reply is
validated (pydantic) before use: a node that answers nonsense is a `ChainError`, never a guess.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.ports import (
    Broadcast,
    BroadcastOutcome,
    ChainError,
    ChainRevertError,
    FeeQuote,
    LogEntry,
    Receipt,
)

_HEX_QUANTITY = r"^0x[0-9a-fA-F]{1,64}$"
_HEX_DATA = r"^0x([0-9a-fA-F]{2})*$"
_HASH = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
# JSON-RPC error texts (geth, bor, erigon, hardhat) meaning the node already has these bytes.
_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "already exists")


class _RpcWire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _RpcError(_RpcWire):
    code: int
    message: Annotated[str, Field(max_length=10_000)] = ""


class _Envelope(_RpcWire):
    jsonrpc: str = "2.0"
    id: int | str | None = None
    result: Any = None
    error: _RpcError | None = None


Quantity = Annotated[str, Field(pattern=_HEX_QUANTITY)]
Data = Annotated[str, Field(pattern=_HEX_DATA)]


class _Log(_RpcWire):
    address: Annotated[str, Field(pattern=_ADDRESS)]
    topics: list[Annotated[str, Field(pattern=_HASH)]]
    data: Data


class _Receipt(_RpcWire):
    transactionHash: Annotated[str, Field(pattern=_HASH)]  # noqa: N815 - the wire's name
    status: Quantity
    blockNumber: Quantity  # noqa: N815
    gasUsed: Quantity  # noqa: N815
    logs: list[_Log] = Field(default_factory=list)


class _Block(_RpcWire):
    baseFeePerGas: Quantity  # noqa: N815

    @field_validator("baseFeePerGas", mode="before")
    @classmethod
    def _present(cls, value: object) -> object:
        if value is None:
            raise ValueError("the node's latest block has no base fee: not an EIP-1559 chain")
        return value


def _int(value: str) -> int:
    return int(value, 16)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


class JsonRpcChain:
    """Synchronous JSON-RPC client; one keep-alive `httpx.Client` per instance."""

    def __init__(self, url: str, *, timeout_s: float = 8.0, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(3.0, timeout_s)),
            transport=transport,
            headers={"Content-Type": "application/json", "User-Agent": "omegacopy-rpc/1"},
        )
        self._url = url
        self._ids = itertools.count(1)

    def __repr__(self) -> str:  # never the URL: it carries the provider's key
        return "JsonRpcChain()"

    def close(self) -> None:
        self._http.close()

    # --- transport ------------------------------------------------------------------------------
    def _rpc(self, method: str, params: list[Any]) -> Any:
        request_id = next(self._ids)
        try:
            response = self._http.post(self._url, json={"jsonrpc": "2.0", "id": request_id, "method": method,
                                                        "params": params})  # fmt: skip
        except httpx.HTTPError as exc:
            raise ChainError(f"{method}: node unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise ChainError(f"{method}: node answered HTTP {response.status_code}")
        try:
            envelope = _Envelope.model_validate_json(response.content)
        except ValidationError:
            raise ChainError(f"{method}: the node's reply is not JSON-RPC") from None
        if envelope.error is not None:
            message = envelope.error.message[:300]
            if envelope.error.code == 3 or "revert" in message.lower():
                raise ChainRevertError(f"{method}: {message}")
            raise ChainError(f"{method}: node error {envelope.error.code}: {message}")
        if envelope.id != request_id:
            raise ChainError(f"{method}: the reply answers another request")
        return envelope.result

    def _quantity(self, method: str, params: list[Any]) -> int:
        result = self._rpc(method, params)
        if not isinstance(result, str):
            raise ChainError(f"{method}: expected a hex quantity")
        try:
            return _int(_validated_quantity(result))
        except ValueError:
            raise ChainError(f"{method}: expected a hex quantity") from None

    # --- the Chain port -------------------------------------------------------------------------
    def chain_id(self) -> int:
        return self._quantity("eth_chainId", [])

    def call(self, to: str, data: bytes) -> bytes:
        result = self._rpc("eth_call", [{"to": to, "data": _hex(data)}, "latest"])
        if not isinstance(result, str) or not result.startswith("0x"):
            raise ChainError("eth_call: expected hex data")
        try:
            return bytes.fromhex(result[2:])
        except ValueError:
            raise ChainError("eth_call: expected hex data") from None

    def estimate_gas(self, sender: str, to: str, data: bytes) -> int:
        return self._quantity("eth_estimateGas", [{"from": sender, "to": to, "data": _hex(data)}])

    def fee_quote(self) -> FeeQuote:
        block = self._rpc("eth_getBlockByNumber", ["latest", False])
        try:
            base = _int(_Block.model_validate(block).baseFeePerGas)
        except ValidationError as exc:
            reason = exc.errors(include_input=False, include_url=False)[0]["msg"]
            raise ChainError(f"eth_getBlockByNumber: {reason}") from None
        return FeeQuote(base_fee=base, priority_fee=self._quantity("eth_maxPriorityFeePerGas", []))

    def nonce(self, address: str, *, pending: bool) -> int:
        return self._quantity("eth_getTransactionCount", [address, "pending" if pending else "latest"])

    def send_raw_transaction(self, raw: bytes) -> Broadcast:
        try:
            self._rpc("eth_sendRawTransaction", [_hex(raw)])
        except ChainRevertError as exc:
            return Broadcast(BroadcastOutcome.REJECTED, str(exc))
        except ChainError as exc:
            text = str(exc)
            if any(marker in text.lower() for marker in _ALREADY_KNOWN):
                return Broadcast(BroadcastOutcome.ACCEPTED, text)
            if "node error" in text:  # a definite refusal (nonce too low, underpriced, …)
                return Broadcast(BroadcastOutcome.REJECTED, text)
            return Broadcast(BroadcastOutcome.UNKNOWN, text)
        return Broadcast(BroadcastOutcome.ACCEPTED)

    def receipt(self, tx_hash: str) -> Receipt | None:
        result = self._rpc("eth_getTransactionReceipt", [tx_hash])
        if result is None:
            return None
        try:
            wire = _Receipt.model_validate(result)
        except ValidationError:
            raise ChainError("eth_getTransactionReceipt: malformed receipt") from None
        if wire.transactionHash.lower() != tx_hash.lower():
            raise ChainError("eth_getTransactionReceipt: the receipt is another transaction's")
        return Receipt(
            tx_hash=wire.transactionHash.lower(),
            status=_int(wire.status),
            block_number=_int(wire.blockNumber),
            gas_used=_int(wire.gasUsed),
            logs=tuple(
                LogEntry(
                    address=log.address.lower(),
                    topics=tuple(bytes.fromhex(t[2:]) for t in log.topics),
                    data=bytes.fromhex(log.data[2:]),
                )
                for log in wire.logs
            ),
        )


def _validated_quantity(value: str) -> str:
    if not value.startswith("0x") or not 2 < len(value) <= 66:
        raise ValueError("not a hex quantity")
    return value
