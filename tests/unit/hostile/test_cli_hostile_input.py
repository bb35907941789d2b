"""The CLIs refuse hostile input with exit != 0 and one clear line, and never echo a key."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from omegacopy.cli import main
from tests.unit.orders.sdk_reference import HARDHAT_0
from tests.unit.orders.test_cli_order_sign import API_KEY, PASSPHRASE, SECRET, _spec
from tests.unit.owrr.test_cli_owrr import worked_example_input


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str) -> Any:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- order sign ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stdin", "why"),
    [
        (json.dumps(_spec(signature_type=1, funder=HARDHAT_0)), "funder"),
        (json.dumps(_spec(signature_type=1, funder=HARDHAT_0[2:])), "funder"),
        ("[" * 200_000 + "]" * 200_000, "nested deeper"),
        (json.dumps(_spec(order_type="GTD", expiration=2**300)), "longer than 40 digits"),
        (json.dumps(_spec(order_type="GTD", expiration=2**100)), "expiration"),
        (json.dumps(_spec(api_key=API_KEY + "\r\nX-Injected: 1")), "api_key"),
        (json.dumps(_spec(api_key=API_KEY + "\n")), "api_key"),
        (json.dumps(_spec(api_passphrase=PASSPHRASE + "\r\nX: y")), "api_passphrase"),
        (json.dumps(_spec())[:-1] + ', "side": "SELL"}', "duplicate key 'side'"),
        (json.dumps(_spec()).replace('"0.29"', "NaN", 1), "NaN is not a number"),
    ],
)
def test_order_sign_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, why: str
) -> None:
    code, out, err = _run(monkeypatch, capsys, ["order", "sign"], stdin)
    assert (code, out) == (2, "")
    line = _one_line(err)
    assert line.startswith("omegacopy order sign:") and why in line
    for secret in (HARDHAT_0[2:], HARDHAT_0[2:34], SECRET, PASSPHRASE):
        assert secret not in err


def test_order_sign_deep_json_as_a_subprocess_has_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "order", "sign"],
        input="[" * 200_000 + "]" * 200_000,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "RecursionError" not in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# --- owrr compute -------------------------------------------------------------------------------
NEGATIVE_OMEGA = {"wallet_address": "0xa", "category": "x", "window": "lifetime", "metric_2_omega_net": -2}


def _with_position(**field: Any) -> str:
    doc = worked_example_input()
    doc["positions"][0].update(field)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("stdin", "why"),
    [
        (_with_position(total_shares=float("nan")), "NaN is not a number"),
        (_with_position(total_shares=float("inf")), "Infinity is not a number"),
        (_with_position(total_position_value=float("-inf")), "-Infinity is not a number"),
        (_with_position(total_shares=1.0).replace("1.0,", "1e309,", 1), "beyond the range of a float"),
        (_with_position(total_shares=-5), "positions[0].total_shares"),
        (_with_position(total_position_value=-1.5), "positions[0].total_position_value"),
        (_with_position(weighted_avg_entry_price=1.5), "positions[0].weighted_avg_entry_price"),
        (_with_position(weighted_avg_entry_price=-0.1), "positions[0].weighted_avg_entry_price"),
        (json.dumps({"category": "x", "metrics": [NEGATIVE_OMEGA]}), "metric_2_omega_net"),
        ('{"category": "x", "category": "y"}', "duplicate key 'category'"),
    ],
)
def test_owrr_compute_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, why: str
) -> None:
    code, out, err = _run(monkeypatch, capsys, ["owrr", "compute"], stdin)
    assert code != 0 and out == ""
    line = _one_line(err)
    assert line.startswith("owrr compute: invalid input") and why in line
