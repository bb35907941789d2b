"""Reconcile's remaining paths, through the public use cases only (`execute_intent`, `reconcile`), and
the executor failing closed without configuration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from omegacopy.app.execute_intent import execute_intent
from omegacopy.app.reconcile import ReconcileSettings, reconcile
from omegacopy.devstack.paper import FaultMode
from omegacopy.ports import TunablesUnavailableError
from tests.integration.executor.conftest import ExecutorWorld, direct_event
from tests.support.lambda_runtime import FakeLambdaContext, load_handler_module

NOW = 20_000  # ms of Lambda time left: plenty


def _unknown_never_booked(world: ExecutorWorld) -> str:
    """An intent whose POST was cut before the exchange saw it: UNKNOWN, and nowhere to be found."""
    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_BEFORE, count=1, paths=["/order"])
    assert execute_intent(world.deps(), intent_id, lambda: NOW).state == "UNKNOWN"
    assert world.exchange.ledger() == []
    return intent_id


def _age(world: ExecutorWorld, intent_id: str, *, hours: int) -> None:
    # older than intent_max_age_s, so reconcile looks it up but never re-sends it
    world.pg.execute(
        "UPDATE order_intents SET created_at = now() - make_interval(hours => %s),"
        " updated_at = now() - interval '1 minute' WHERE intent_id = %s",
        (hours, intent_id),
    )


def test_an_order_never_found_is_lost_after_max_misses_then_expired_after_the_watch(world: ExecutorWorld) -> None:
    intent_id = _unknown_never_booked(world)
    _age(world, intent_id, hours=2)
    deps = world.deps()
    watching = ReconcileSettings(grace_s=0, max_misses=3, lost_watch_s=86_400)

    states = []
    for _ in range(3):
        outcome = reconcile(deps, watching)
        states.append((dict(outcome.outcomes), world.row(intent_id)["state"]))

    assert states == [({"UNKNOWN": 1}, "UNKNOWN"), ({"UNKNOWN": 1}, "UNKNOWN"), ({"LOST": 1}, "LOST")]
    assert world.row(intent_id)["reconcile_attempts"] == 3
    # still watched while young enough to show up ...
    assert dict(reconcile(deps, watching).outcomes) == {"LOST": 1}
    assert world.row(intent_id)["state"] == "LOST"
    # ... and given up once older than the watch
    assert dict(reconcile(deps, ReconcileSettings(grace_s=0, lost_watch_s=3_600)).outcomes) == {"EXPIRED": 1}
    row = world.row(intent_id)
    assert (row["state"], row["reason_code"]) == ("EXPIRED", "lost")
    assert world.exchange.requests["/order"] == 1 and world.exchange.ledger() == []  # never re-sent
    assert dict(reconcile(deps, ReconcileSettings(grace_s=0)).outcomes) == {}  # settled: nothing left


def test_an_in_flight_row_without_a_signed_order_is_rejected(world: ExecutorWorld) -> None:
    intent_id = world.intent()
    world.pg.execute(  # SUBMITTING is only ever written with the signed bytes: this row is corrupt
        "UPDATE order_intents SET state = 'SUBMITTING', updated_at = now() - interval '1 minute' WHERE intent_id = %s",
        (intent_id,),
    )

    outcome = reconcile(world.deps(), ReconcileSettings(grace_s=0))

    assert dict(outcome.outcomes) == {"REJECTED": 1}
    row = world.row(intent_id)
    assert (row["state"], row["reason_code"]) == ("REJECTED", "no_signed_order")
    assert world.exchange.requests["/order"] == 0


def test_a_row_that_fails_to_reconcile_is_postponed_and_the_others_go_on(world: ExecutorWorld) -> None:
    failing = _unknown_never_booked(world)
    booked = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    assert execute_intent(world.deps(), booked, lambda: NOW).state == "UNKNOWN"
    world.pg.execute(  # `failing` is examined first
        "UPDATE order_intents SET updated_at = now() - CASE WHEN intent_id = %s THEN interval '2 minutes'"
        " ELSE interval '1 minute' END",
        (failing,),
    )
    before: datetime = world.row(failing)["updated_at"]
    # every lookup of the first order fails (the client's three attempts), then the exchange recovers
    world.exchange.faults.set(FaultMode.SERVER_ERROR, count=3, paths=["/data/order/*"])

    outcome = reconcile(world.deps(), ReconcileSettings(grace_s=0))

    assert dict(outcome.outcomes) == {"error": 1, "FILLED": 1}
    row = world.row(failing)
    assert row["state"] == "UNKNOWN" and row["reconcile_attempts"] == 0  # nothing decided about it
    assert row["updated_at"] > before  # to the back of the queue: it cannot starve the others
    assert world.row(booked)["state"] == "FILLED"


# --- fail closed without configuration -----------------------------------------------------------
@pytest.fixture
def cold_executor(world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from omegacopy.wiring.executor import executor_deps

    for k, v in world.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("SSM_PREFIX", "/omegacopy/nothing-here")  # no tunables readable
    executor_deps.cache_clear()
    yield load_handler_module("executor").lambda_handler
    executor_deps.cache_clear()


def test_without_tunables_the_executor_posts_nothing_and_the_intent_waits(
    world: ExecutorWorld, cold_executor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    intent_id = world.intent()
    with pytest.raises(TunablesUnavailableError):
        execute_intent(world.deps(SSM_PREFIX="/omegacopy/nothing-here"), intent_id, lambda: NOW)
    event = direct_event([(world.message(intent_id), "w-follower")])
    capsys.readouterr()

    # every record failed: the whole batch goes back to the queue for redelivery
    with pytest.raises(BatchProcessingError, match="All records failed"):
        cold_executor(event, FakeLambdaContext())

    # the intent is untouched and nothing was sent
    assert world.row(intent_id)["state"] == "NEW"
    assert world.exchange.requests["/order"] == 0 and world.exchange.ledger() == []
    assert '"TunablesUnavailable"' in capsys.readouterr().out


def test_a_dead_lettered_new_intent_is_expired_and_releases_its_capital(world: ExecutorWorld) -> None:
    from omegacopy.adapters.pg_monitor_store import PgMonitorStore

    def reserved() -> Any:
        with PgMonitorStore(world.env["DATABASE_URL"]).session() as session:
            (followed,) = [s for s in session.load_strategies() if s.config.strategy_id == "s-exec"]
            return followed.portfolio.reserved_usd

    abandoned = world.intent(usd=Decimal("60"))
    fresh = world.intent(usd=Decimal("40"))
    # sent, then dead-lettered: never delivered again, and older than any intent may execute
    world.pg.execute(
        "UPDATE order_intents SET last_sent_at = now() - interval '2 hours', send_count = 1,"
        " created_at = now() - interval '2 hours' WHERE intent_id = %s",
        (abandoned,),
    )
    assert reserved() == Decimal("100")

    summary = reconcile(world.deps())

    assert summary.outcomes["expired_unsent"] == 1
    assert (world.row(abandoned)["state"], world.row(abandoned)["reason_code"]) == ("EXPIRED", "intent_too_old")
    assert world.row(fresh)["state"] == "NEW"  # young enough to be delivered: untouched
    assert reserved() == Decimal("40")
    assert world.exchange.ledger() == []
