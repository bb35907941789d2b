"""`omegacopy order sign`: in-process and as a subprocess, compared with the official SDK."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omegacopy.cli import main
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.order_v2 import ZERO_BYTES32, salt_from_id

from .sdk_reference import HARDHAT_0, account_from_key, sdk_draft, sdk_sign

TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
POSITION_ID = str((1 << 248) | 12345)  # a Protocol-V2 position id (ExchangeV3)
WALLET = "0x2222222222222222222222222222222222222222"
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
API_KEY = "00000000-1111-2222-3333-444444444444"
PASSPHRASE = "a-passphrase"
REPO = Path(__file__).resolve().parents[3]


def _spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "private_key": HARDHAT_0,
        "chain_id": 137,
        "token_id": TOKEN,
        "side": "BUY",
        "kind": "limit",
        "price": "0.29",
        "size": "0.29",
        "tick_size": "0.01",
        "neg_risk": False,
        "order_type": "GTC",
        "expiration": 0,
        "signature_type": 0,
        "salt": 1234567,
        "timestamp_ms": 1_763_700_000_123,
        "exchange_version": 2,
        "api_key": API_KEY,
        "api_secret": SECRET,
        "api_passphrase": PASSPHRASE,
        "header_timestamp": 1_763_700_000,
    }
    spec.update(overrides)
    return spec


def _run_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["order", "sign"])
    out, err = capsys.readouterr()
    return code, out, err


def _sdk_expected(spec: dict[str, Any]) -> dict[str, Any]:
    account = account_from_key(HARDHAT_0)
    sig_type = int(spec["signature_type"])
    funder = account.address if sig_type == 0 else to_checksum_address(spec["funder"])
    draft = sdk_draft(
        account=account,
        funder=funder,
        token_id=spec["token_id"],
        side=spec["side"],
        kind=spec["kind"],
        price=Decimal(str(spec["price"])),
        tick_size=Decimal(str(spec["tick_size"])),
        neg_risk=spec["neg_risk"],
        size=Decimal(str(spec["size"])) if spec.get("size") is not None else None,
        amount=Decimal(str(spec["amount"])) if spec.get("amount") is not None else None,
        order_type=spec["order_type"],
        expiration=spec["expiration"],
        builder_code=spec.get("builder_code"),
    )
    sdk = sdk_sign(
        draft,
        account=account,
        funder=funder,
        signature_type=sig_type,
        salt=spec["salt"],
        timestamp_ms=spec["timestamp_ms"],
        metadata=spec.get("metadata", ZERO_BYTES32),
        post_only=spec.get("post_only", False),
        api_key=spec["api_key"],
        api_secret=spec["api_secret"],
        api_passphrase=spec["api_passphrase"],
        header_timestamp=spec["header_timestamp"],
    )
    return {
        "body": json.loads(sdk.body),
        "body_serialized": sdk.body,
        "headers": sdk.headers,
        "order_hash": sdk.order_hash,
    }


CASES = [
    _spec(),
    _spec(side="SELL", size="123.456", price="0.71"),
    _spec(kind="market", amount="25", size=None, price="0.4", order_type="FAK"),
    _spec(kind="market", side="SELL", size="7.5", price=0.37, order_type="FOK"),  # JSON number
    _spec(signature_type=1, funder=WALLET, neg_risk=True),
    _spec(signature_type=2, funder=WALLET, builder_code="0x" + "ab" * 32),
    _spec(signature_type=3, funder=WALLET, neg_risk=True, post_only=True),
    _spec(order_type="GTD", expiration=1_763_800_000, tick_size="0.001", price="0.123", size=100),
    _spec(token_id=POSITION_ID, exchange_version=3, neg_risk=True, signature_type=3, funder=WALLET),
    _spec(tick_size="0.0001", price="0.0007", size="12345.67", side="SELL"),
    _spec(metadata="0x" + "01" * 32, side="SELL"),
]


@pytest.mark.parametrize("spec", CASES, ids=lambda s: f"{s['kind']}-{s['side']}-t{s['signature_type']}")
def test_in_process_matches_the_sdk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], spec: dict[str, Any]
) -> None:
    payload = {k: v for k, v in spec.items() if v is not None}
    # JSON numbers for prices stay exact: the CLI parses floats as Decimal.
    text = json.dumps(payload, default=str)
    code, out, err = _run_in_process(monkeypatch, capsys, text)
    assert code == 0, err
    result = json.loads(out)
    assert result == _sdk_expected(spec)
    assert result["body"]["order"]["salt"] == spec["salt"]  # a given salt is used as is
    assert HARDHAT_0[2:] not in out


def test_intent_id_derives_the_salt(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(salt=None, intent_id="intent-7")
    code, out, _ = _run_in_process(monkeypatch, capsys, json.dumps({k: v for k, v in spec.items() if v is not None}))
    assert code == 0
    assert json.loads(out)["body"]["order"]["salt"] == salt_from_id("intent-7")


def test_subprocess_matches_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = CASES[6]
    text = json.dumps({k: v for k, v in spec.items() if v is not None})
    code, out, _ = _run_in_process(monkeypatch, capsys, text)
    assert code == 0
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "order", "sign"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json.loads(out) == _sdk_expected(spec)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "one JSON object"),
        (json.dumps({**_spec(), "side": "HOLD"}), "side"),
        (json.dumps({**_spec(), "surprise": 1}), "surprise"),
        (json.dumps({**_spec(), "private_key": "0x1234"}), "private_key"),
        (json.dumps({**_spec(), "token_id": 12345}), "token_id"),
        (json.dumps({**_spec(), "kind": "market", "order_type": "GTC"}), "FOK or FAK"),
        (json.dumps({**_spec(), "price": "0.295"}), "off the tick grid"),
        (json.dumps({**_spec(), "order_type": "GTD", "expiration": 1_763_700_100}), "GTD expiration"),
        (json.dumps({**_spec(), "signature_type": 1}), "funder"),
        (json.dumps({**_spec(), "api_secret": ""}), "api_secret"),
        (
            json.dumps(
                {
                    **_spec(),
                    "kind": "market",
                    "size": None,
                    "amount": "9.98",
                    "price": "0.985",
                    "tick_size": "0.001",
                    "order_type": "FAK",
                }
            ),
            "precision",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, message: str
) -> None:
    code, out, err = _run_in_process(monkeypatch, capsys, stdin)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.startswith("omegacopy order sign:")
    # Never echo secrets, even when the spec is wrong.
    for secret in (HARDHAT_0[2:], SECRET, PASSPHRASE):
        assert secret not in err


def test_bad_private_key_is_not_echoed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = "0x" + "g" * 64
    code, _, err = _run_in_process(monkeypatch, capsys, json.dumps({**_spec(), "private_key": bad}))
    assert code == 2
    assert "g" * 16 not in err


def test_subprocess_bad_json_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "order", "sign"],
        input="nope",
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
