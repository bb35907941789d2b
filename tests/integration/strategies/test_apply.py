"""`omegacopy apply -f strategies.yaml`: declarative, idempotent, one transaction, a dry-run diff."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.integration.strategies.conftest import Result, rows

EXAMPLE = REPO / "examples" / "strategies.yaml"
Run = Callable[..., Result]


def snapshot(pg: Any) -> list[list[tuple[Any, ...]]]:
    """Every row apply could touch, timestamps included: a no-op must not even rewrite a row."""
    return [
        rows(pg, "SELECT * FROM strategies ORDER BY strategy_id"),
        rows(pg, "SELECT * FROM strategy_settings ORDER BY strategy_id"),
        rows(pg, "SELECT * FROM strategy_watchlist_items ORDER BY strategy_id, wallet_address"),
    ]


def test_the_example_applies_cleanly_and_a_second_apply_changes_nothing(omegacopy: Run, wallet: str, pg: Any) -> None:
    first = omegacopy("apply", "-f", str(EXAMPLE))
    assert first.code == 0, first.err
    assert first.out.splitlines()[-1] == "applied: 4 created, 0 updated, 0 disabled"
    before = snapshot(pg)
    assert [r[0] for r in before[0]] == ["everything-small", "kelly-plain", "politics-core", "sports-fixed"]
    assert rows(
        pg,
        "SELECT strategy_id, auto_execute_enabled, all_categories, categories, consensus, sizing_mode, kelly_fraction"
        " FROM strategy_settings JOIN strategies USING (strategy_id) ORDER BY 1",
    ) == [
        ("everything-small", False, True, [], "owrr", "proportional", 0),
        ("kelly-plain", True, False, ["crypto", "politics"], "off", "kelly", Decimal("0.25")),
        ("politics-core", True, False, ["economics", "politics"], "owrr", "owrr_scaled", 0),
        ("sports-fixed", True, False, ["sports"], "owrr", "fixed", 0),
    ]
    # the checksummed leader of the example is one lower-case row
    assert ("politics-core", "0x6c3aa45ac3f6c0ba5485ca040a7f86c65e88f4e4") in rows(
        pg, "SELECT strategy_id, wallet_address FROM strategy_watchlist_items"
    )

    second = omegacopy("apply", "-f", str(EXAMPLE))
    assert second.code == 0
    assert second.out.splitlines() == [
        "unchanged: politics-core, sports-fixed, everything-small, kelly-plain",
        "no changes: the database already matches the file",
    ]
    assert snapshot(pg) == before


def test_dry_run_prints_the_diff_and_writes_nothing(omegacopy: Run, wallet: str, pg: Any, tmp_path: Path) -> None:
    assert omegacopy("apply", "-f", str(EXAMPLE)).code == 0
    edited = tmp_path / "strategies.yaml"
    text = EXAMPLE.read_text().replace("max_positions: 8 ", "max_positions: 10 ", 1)
    edited.write_text(text.replace('      - "0xb4a495b41501ac349b312731a0ea3104e862afd4"\n', "", 1))
    before = snapshot(pg)

    dry = omegacopy("apply", "-f", str(edited), "--dry-run")
    assert dry.code == 0
    assert dry.out.splitlines() == [
        "~ update politics-core",
        "    max_positions: 8 → 10",
        "    - leader 0xb4a495b41501ac349b312731a0ea3104e862afd4",
        "unchanged: sports-fixed, everything-small, kelly-plain",
        "dry run: 0 to create, 1 to update, 0 to disable; nothing written",
    ]
    assert snapshot(pg) == before

    assert omegacopy("apply", "-f", str(edited)).out.splitlines()[-1] == "applied: 0 created, 1 updated, 0 disabled"
    assert rows(pg, "SELECT max_positions FROM strategy_settings WHERE strategy_id = 'politics-core'") == [(10,)]
    assert rows(pg, "SELECT status FROM strategy_watchlist_items WHERE wallet_address ="
                    " '0xb4a495b41501ac349b312731a0ea3104e862afd4'") == [("REMOVED",)]  # fmt: skip
    assert "no changes" in omegacopy("apply", "-f", str(edited)).out


def test_a_bad_entry_names_strategy_and_field_and_nothing_is_written(
    omegacopy: Run, wallet: str, pg: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("categories: [sports]", "categories: []"))
    result = omegacopy("apply", "-f", str(bad))
    assert result.code == 2
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"omegacopy apply: {bad}: strategy sports-fixed: categories: must name at least one")
    assert rows(pg, "SELECT count(*) FROM strategies") == [(0,)]

    bad.write_text("strategies:\n  - id: x\n    wallet: w1\n    balance_usd: 5000\n")
    missing = omegacopy("apply", "-f", str(bad)).err
    assert "strategy x: max_position_size_usd: Field required" in missing and "categories: Field required" in missing


def test_apply_never_resumes_a_pause_and_prune_only_disables(
    omegacopy: Run, wallet: str, pg: Any, tmp_path: Path
) -> None:
    assert omegacopy("apply", "-f", str(EXAMPLE)).code == 0
    assert omegacopy("strategy", "pause", "sports-fixed", "--reason", "daily loss limit").code == 0
    again = omegacopy("apply", "-f", str(EXAMPLE)).out
    assert "note: sports-fixed is paused (daily loss limit); apply does not resume it:" in again
    assert rows(pg, "SELECT paused_reason FROM strategies WHERE strategy_id = 'sports-fixed'") == [
        ("daily loss limit",)
    ]

    only_one = tmp_path / "one.yaml"
    text = EXAMPLE.read_text()
    only_one.write_text(text[: text.index("  - id: sports-fixed")])
    kept = omegacopy("apply", "-f", str(only_one)).out
    assert "not in the file, left alone: everything-small, kelly-plain, sports-fixed (--prune disables them)" in kept
    pruned = omegacopy("apply", "-f", str(only_one), "--prune").out
    assert "- disable sports-fixed (not in the file; --prune)" in pruned  # everything-small is disabled already
    assert "- disable kelly-plain (not in the file; --prune)" in pruned
    assert rows(pg, "SELECT strategy_id, auto_execute_enabled FROM strategies ORDER BY 1") == [
        ("everything-small", False),
        ("kelly-plain", False),
        ("politics-core", True),
        ("sports-fixed", False),
    ]


def test_a_missing_wallet_stops_the_whole_file(omegacopy: Run, pg: Any) -> None:
    result = omegacopy("apply", "-f", str(EXAMPLE))
    assert result.code == 2 and "wallet w1 does not exist" in result.err
    assert rows(pg, "SELECT count(*) FROM strategies") == [(0,)]


def test_the_stored_strategies_export_as_a_file_that_applies_to_nothing(
    omegacopy: Run, wallet: str, pg: Any, tmp_path: Path
) -> None:
    assert omegacopy("apply", "-f", str(EXAMPLE)).code == 0
    exported = tmp_path / "exported.yaml"
    exported.write_text(omegacopy("strategy", "list", "--yaml").out)
    assert "no changes" in omegacopy("apply", "-f", str(exported)).out
