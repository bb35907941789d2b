"""Keys: a KMS key per test in moto, generated wallet keys, EMF capture, recording plaintext buffers."""

from __future__ import annotations

import json
import secrets
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from omegacopy.adapters.pg_wallets import WalletRow
from omegacopy.adapters.wallet_keys import wrap_private_key
from omegacopy.domain.signer import LocalKeySigner, new_private_key
from omegacopy.observability import metrics


def generated_key() -> bytearray:
    """A fresh random secp256k1 key (never a hard-coded one)."""
    return new_private_key()


def address_of(key: bytearray) -> str:
    with LocalKeySigner(key) as signer:
        return signer.address


def secret_forms(key: bytes | bytearray) -> list[bytes]:
    """Every textual/binary form a leaked key could take in output, rows or logs."""
    hex_lower = bytes(key).hex()
    return [
        bytes(key),
        hex_lower.encode(),
        hex_lower.upper().encode(),
        hex_lower[:32].encode(),
        hex_lower[32:].encode(),
    ]


@dataclass
class Wallet:
    row: WalletRow
    key: bytearray  # the test's own copy, to compare against
    address: str  # checksummed


def new_wallet_id() -> str:
    return f"w-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kms(moto_server: Any) -> Any:
    return moto_server.client("kms")


@pytest.fixture
def kms_key(kms: Any) -> str:
    return str(kms.create_key(Description="omegacopy wallet keys (test)")["KeyMetadata"]["Arn"])


@pytest.fixture
def sm(moto_server: Any) -> Any:
    return moto_server.client("secretsmanager")


def make_wallet(kms: Any, key_id: str, *, wallet_id: str | None = None, signature_type: int = 0) -> Wallet:
    key = generated_key()
    address = address_of(key)
    wallet_id = wallet_id or new_wallet_id()
    work = bytearray(key)
    envelope = wrap_private_key(kms, key_id, wallet_id=wallet_id, address=address, private_key=work)
    funder = address if signature_type == 0 else "0x" + secrets.token_hex(20)
    row = WalletRow(
        wallet_id=wallet_id, address=address, funder=funder, signature_type=signature_type, envelope=envelope
    )
    return Wallet(row=row, key=key, address=address)


@pytest.fixture
def wallet(kms: Any, kms_key: str) -> Wallet:
    return make_wallet(kms, kms_key)


@dataclass
class RecordingBuffers:
    """A `buffer_factory` that keeps a reference to every plaintext buffer it hands out."""

    buffers: list[bytearray] = field(default_factory=list)

    def __call__(self, size: int) -> bytearray:
        buffer = bytearray(size)
        self.buffers.append(buffer)
        return buffer

    def all_zero(self) -> bool:
        return all(not any(b) for b in self.buffers)


@pytest.fixture
def buffers() -> RecordingBuffers:
    return RecordingBuffers()


class Emf:
    """Powertools metrics as CloudWatch would see them: the EMF documents printed on flush."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.output = ""
        metrics.clear_metrics()
        capsys.readouterr()

    def flush(self) -> dict[str, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no metrics to publish" on the happy path
            metrics.flush_metrics()
        self.output = self._capsys.readouterr().out
        totals: dict[str, float] = {}
        for line in self.output.splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if not isinstance(doc, dict) or "_aws" not in doc:
                continue
            for directive in doc["_aws"]["CloudWatchMetrics"]:
                for definition in directive["Metrics"]:
                    value = doc[definition["Name"]]
                    totals[definition["Name"]] = totals.get(definition["Name"], 0.0) + (
                        sum(value) if isinstance(value, list) else float(value)
                    )
        return totals


@pytest.fixture
def emf(capsys: pytest.CaptureFixture[str]) -> Iterator[Emf]:
    yield Emf(capsys)
    metrics.clear_metrics()
