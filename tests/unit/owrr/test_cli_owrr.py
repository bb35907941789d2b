"""`omegacopy owrr compute`: in-process and as a subprocess, same numbers as the domain function."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from omegacopy.cli import main
from omegacopy.domain.owrr import compute_owrr

from .factories import CATEGORY, WORKED_NO, WORKED_YES, market


def worked_example_input() -> dict[str, Any]:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    return {
        "category": CATEGORY,
        "positions": [
            {
                "wallet_address": p.wallet_address,
                "side": p.side,
                "total_shares": p.total_shares,
                "weighted_avg_entry_price": p.weighted_avg_entry_price,
                "total_position_value": p.total_position_value,
            }
            for p in positions
        ],
        "metrics": [
            {
                "wallet_address": m.wallet_address,
                "category": m.category,
                "window": m.window,
                "metric_2_omega_net": m.metric_2_omega_net,
                "metric_22_resolved_bets": m.metric_22_resolved_bets,
            }
            for m in metrics
        ],
    }


def run_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, *extra: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    rc = main(["owrr", "compute", *extra])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_worked_example_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_in_process(monkeypatch, capsys, json.dumps(worked_example_input()))
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["slider"] == 63
    assert round(doc["owrr"], 5) == 0.63002
    assert round(doc["yes_score"], 4) == 107.7978
    assert round(doc["no_score"], 4) == 63.3041
    assert doc["confidence"] == "low"
    assert [round(v["vote"], 4) for v in doc["breakdown"]["no_votes"]] == [32.8634, 12.5678, 17.8729]
    # byte-for-byte what the tick's domain function gives
    positions, metrics = market(WORKED_YES, WORKED_NO)
    assert doc == compute_owrr(CATEGORY, positions, metrics).to_dict()


def test_worked_example_as_subprocess(tmp_path: Any) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "owrr", "compute", "--compact"],
        input=json.dumps(worked_example_input()),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["slider"], doc["confidence"], doc["yes_qualified"]) == (63, "low", 3)
    assert len(proc.stdout.strip().splitlines()) == 1

    # --input reads a file instead of stdin
    path = tmp_path / "in.json"
    path.write_text(json.dumps(worked_example_input()))
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "owrr", "compute", "--input", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["slider"] == 63


def test_null_category_and_lower_case_side_and_missing_lists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = worked_example_input()
    doc["positions"][0]["side"] = "yes"
    rc, out, _ = run_in_process(monkeypatch, capsys, json.dumps(doc))
    assert (rc, json.loads(out)["slider"]) == (0, 63)

    rc, out, _ = run_in_process(monkeypatch, capsys, json.dumps({"category": None}))
    assert rc == 0
    result = json.loads(out)
    assert (result["slider"], result["confidence"], result["category"]) == (50, "insufficient_data", None)


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ("{not json", "Invalid JSON"),
        ("[]", "(document)"),
        (json.dumps({"positions": []}), "category: Field required"),
        (
            json.dumps(
                {
                    "category": "politics",
                    "positions": [
                        {
                            "wallet_address": "0xa",
                            "side": "MAYBE",
                            "total_shares": 1,
                            "weighted_avg_entry_price": 0.5,
                            "total_position_value": 0.5,
                        }
                    ],
                }
            ),
            "positions[0].side: Input should be 'YES' or 'NO'",
        ),
        (
            json.dumps({"category": "politics", "positions": [{"wallet_address": "0xa", "side": "NO"}]}),
            "positions[0].total_shares: Field required",
        ),
        (
            json.dumps(
                {
                    "category": "politics",
                    "metrics": [
                        {
                            "wallet_address": "0xa",
                            "category": "politics",
                            "window": "lifetime",
                            "metric_2_omega": 2.0,  # typo
                        }
                    ],
                }
            ),
            "metrics[0].metric_2_omega: Extra inputs are not permitted",
        ),
        (
            json.dumps(
                {
                    "category": "politics",
                    "metrics": [
                        {
                            "wallet_address": "0xa",
                            "category": "politics",
                            "window": "lifetime",
                            "metric_22_resolved_bets": "many",
                        }
                    ],
                }
            ),
            "metrics[0].metric_22_resolved_bets",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, expected: str
) -> None:
    rc, out, err = run_in_process(monkeypatch, capsys, stdin)
    assert rc == 2
    assert out == ""
    assert "owrr compute: invalid input" in err
    assert expected in err


def test_bad_input_as_subprocess_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "owrr", "compute"],
        input='{"category": "x", "positions": [{"side": "YES"}]}',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "positions[0].wallet_address: Field required" in proc.stderr
    assert proc.stdout == ""


def test_unreadable_input_file_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    rc, _, err = run_in_process(monkeypatch, capsys, "", "--input", str(tmp_path / "missing.json"))
    assert rc == 2
    assert "cannot read" in err
