"""`omegacopy strategy …` and `omegacopy leader …` on the real PostgreSQL: what the monitor then sees."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from omegacopy.adapters.pg_monitor_store import PgMonitorSession
from tests.integration.strategies.conftest import Result, rows

CHECKSUMMED = "0x6C3aa45AC3f6C0BA5485ca040a7f86C65e88f4E4"
OTHER = "0x" + "b2" * 20
SETTINGS = ("balance_usd=5000", "max_position_size_usd=400", "max_positions=8", "risk_per_trade_percent=2")
Run = Callable[..., Result]


def create(omegacopy: Run, sid: str = "s1", *extra: str, categories: str = "politics,economics") -> Result:
    return omegacopy("strategy", "create", sid, "--wallet", "w1", "--leader", CHECKSUMMED, *SETTINGS,
                     f"categories={categories}", *extra)  # fmt: skip


def loaded(pg: psycopg.Connection[Any]) -> dict[str, Any]:
    return {s.config.strategy_id: s for s in PgMonitorSession(pg).load_strategies()}


def test_create_then_list_show_and_the_monitor_trades_it(omegacopy: Run, wallet: str, pg: Any) -> None:
    made = create(omegacopy, "s1", "--name", "Politics core", categories="all")
    assert made.code == 0, made.err
    assert made.out.startswith("created s1: active, paper, wallet w1, 1 leader(s), capital 5000")

    (listed,) = json.loads(omegacopy("strategy", "list", "--json").out)
    assert listed["enabled"] is True and listed["state"] == "active" and listed["paused_reason"] is None
    assert listed["leaders"] == [CHECKSUMMED.lower()]  # the checksummed paste, stored lower-case
    assert listed["settings"]["categories"] == "all" and listed["settings"]["max_positions"] == 8
    shown = omegacopy("strategy", "show", "s1").out
    assert "state      active" in shown and "enabled    true" in shown and CHECKSUMMED.lower() in shown
    table = omegacopy("strategy", "list").out.splitlines()
    assert table[0].split() == ["ID", "ENABLED", "STATE", "MODE", "WALLET", "LEADERS", "CAPITAL", "CASH", "CATEGORIES"]
    assert table[1].split() == ["s1", "yes", "active", "paper", "w1", "1", "5000", "5000", "all"]

    # written explicitly, never left to the column's default (false hides a strategy)
    assert rows(pg, "SELECT auto_execute_enabled, name FROM strategies") == [(True, "Politics core")]
    followed = loaded(pg)["s1"]
    assert followed.config.all_categories and followed.watched_wallets == {CHECKSUMMED.lower()}


def test_create_refuses_what_would_never_trade_and_writes_nothing(omegacopy: Run, wallet: str, pg: Any) -> None:
    empty = create(omegacopy, categories="")
    nowallet = omegacopy("strategy", "create", "s1", "--wallet", "w9", *SETTINGS, "categories=politics")
    assert empty.code == 2 and nowallet.code == 2
    assert empty.err.strip() == (
        "omegacopy strategy create: strategy s1: categories: must name at least one category, or be 'all' for every"
        " category (an empty list would copy nothing) — fix: correct the value(s) named"
    )
    assert "wallet w9 does not exist (import it first: omegacopy wallet import --wallet-id w9" in nowallet.err
    assert rows(pg, "SELECT count(*) FROM strategies") == [(0,)]
    assert create(omegacopy).code == 0
    again = create(omegacopy)
    assert again.code == 2 and "already exists — fix: change it with: omegacopy strategy set s1" in again.err


def test_set_changes_what_is_named_and_a_new_capital_tops_up_the_cash(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert create(omegacopy).code == 0
    pg.execute("UPDATE strategy_settings SET balance_usd = balance_usd - 700")  # fills spent cash meanwhile

    changed = omegacopy("strategy", "set", "s1", "balance_usd=6000", "max_positions=3", "stop_loss_pct=25")
    assert changed.code == 0, changed.err
    assert changed.out.splitlines() == [
        "~ update s1",
        "    balance_usd: 5000 → 6000 (cash +1000)",
        "    max_positions: 8 → 3",
        "    stop_loss_pct: none → 25",
    ]
    assert rows(pg, "SELECT balance_usd, starting_balance_usd, max_positions, stop_loss_pct, risk_per_trade_percent"
                    " FROM strategy_settings") == [(5300, 6000, 3, 25, 2)]  # fmt: skip
    assert omegacopy("strategy", "set", "s1", "max_positions=3").out.strip() == "s1: nothing changed (already so)"
    bad = omegacopy("strategy", "set", "s1", "owrr_threshold_no=90")
    assert bad.code == 2 and "must not exceed owrr_threshold_yes" in bad.err
    assert rows(pg, "SELECT owrr_threshold_no FROM strategy_settings") == [(40,)]


def test_pause_and_resume_are_what_the_monitor_follows(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert create(omegacopy).code == 0
    paused = omegacopy("strategy", "pause", "s1", "--reason", "checking the leaders")
    assert paused.code == 0 and "resume with: omegacopy strategy resume s1" in paused.out
    # the monitor still loads it, paused: it copies no entries but follows its leaders' exits
    assert loaded(pg)["s1"].config.paused_reason == "checking the leaders"
    assert json.loads(omegacopy("strategy", "show", "s1", "--json").out)["state"] == "paused: checking the leaders"
    assert omegacopy("strategy", "pause", "s1").out.strip() == "s1 is already paused: checking the leaders"

    resumed = omegacopy("strategy", "resume", "s1")
    assert resumed.out.strip() == "resumed s1 (was paused: checking the leaders)"
    assert loaded(pg)["s1"].config.paused_reason is None
    assert omegacopy("strategy", "resume", "s1").out.strip() == "s1 is not paused (active)"


def test_delete_keeps_history_and_removes_a_strategy_that_never_traded(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert create(omegacopy, "s1").code == 0 and create(omegacopy, "s2").code == 0
    pg.execute(
        "INSERT INTO wallet_monitor_signals (strategy_id, source_trade_id, leader_wallet, decision, reason_code,"
        " reason, correlation_id) VALUES ('s1', 't1', %s, 'SKIP', 'kill_switch', 'off', 'c1')",
        (CHECKSUMMED.lower(),),
    )
    kept = omegacopy("strategy", "delete", "s1", "--yes")
    assert kept.code == 1
    assert kept.err.strip() == (
        "omegacopy strategy delete: strategy s1 has history (1 signals, 0 intents, 0 fills, 0 open positions)"
        " — fix: history is kept: pause it (omegacopy strategy pause s1) or disable it"
        " (omegacopy strategy set s1 enabled=false) instead"
    )
    assert omegacopy("strategy", "delete", "s2").code == 2  # no terminal to confirm on: needs --yes
    assert omegacopy("strategy", "delete", "s2", "--yes").out.strip() == "deleted s2"
    assert rows(pg, "SELECT strategy_id FROM strategies") == [("s1",)]
    assert rows(pg, "SELECT DISTINCT strategy_id FROM strategy_watchlist_items") == [("s1",)]


def test_leaders_follow_unfollow_and_list(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert create(omegacopy).code == 0
    followed = omegacopy("leader", "follow", "s1", OTHER.upper().replace("0X", "0x"), CHECKSUMMED)
    assert followed.out.splitlines() == [f"s1: following {OTHER}", f"s1: already following {CHECKSUMMED.lower()}"]
    assert loaded(pg)["s1"].watched_wallets == {OTHER, CHECKSUMMED.lower()}

    dropped = omegacopy("leader", "unfollow", "s1", CHECKSUMMED)
    assert dropped.out.strip() == f"s1: no longer following {CHECKSUMMED.lower()}"
    assert loaded(pg)["s1"].watched_wallets == {OTHER}
    assert omegacopy("leader", "list", "s1").out.split() == ["s1", OTHER, "WATCHING"]
    history = json.loads(omegacopy("leader", "list", "--all", "--json").out)
    assert {(r["address"], r["status"]) for r in history} == {(OTHER, "WATCHING"), (CHECKSUMMED.lower(), "REMOVED")}
    assert omegacopy("leader", "follow", "s1", CHECKSUMMED).out.strip() == f"s1: following {CHECKSUMMED.lower()}"

    bad = omegacopy("leader", "follow", "s1", "0x1234")
    assert bad.code == 2
    missing = omegacopy("leader", "follow", "nope", OTHER)
    assert missing.code == 2 and "no strategy 'nope'" in missing.err


def test_the_sql_traps_are_gone_for_hand_written_sql_too(omegacopy: Run, wallet: str, pg: Any) -> None:
    assert create(omegacopy).code == 0
    pg.execute("INSERT INTO strategy_watchlist_items (strategy_id, wallet_address) VALUES ('s1', %s)",
               (f" {OTHER.upper().replace('0X', '0x')} ",))  # fmt: skip
    assert (OTHER,) in rows(pg, "SELECT wallet_address FROM strategy_watchlist_items")
    with pytest.raises(psycopg.errors.CheckViolation, match="strategy_settings_categories_required"):
        pg.execute("UPDATE strategy_settings SET categories = '{}'")
