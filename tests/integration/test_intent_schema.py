"""The intent's states in the domain are the states the database allows, and its indexes cover the
state sets the stores query by."""

from __future__ import annotations

import re
from typing import Any

import psycopg

from omegacopy.domain.intent import RECONCILABLE_STATES, RESERVING_STATES, IntentState

_QUOTED = re.compile(r"'([A-Z_]+)'::text")


def _states_in(definition: str) -> set[str]:
    return set(_QUOTED.findall(definition))


def test_the_state_check_allows_exactly_the_intent_states(pg: psycopg.Connection[Any]) -> None:
    checks = [
        r[0]
        for r in pg.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'order_intents'::regclass AND contype = 'c'"
        ).fetchall()
        if "state" in r[0]
    ]
    assert len(checks) == 1, checks
    assert _states_in(checks[0]) == {s.value for s in IntentState}


def test_the_partial_indexes_cover_the_queried_state_sets(pg: psycopg.Connection[Any]) -> None:
    indexes = dict(
        pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'order_intents' AND indexdef LIKE '%WHERE%'"
        ).fetchall()
    )
    # reconcile's pick list, and the monitor's capital still reserved by pending entries
    assert _states_in(indexes["order_intents_live"]) == {s.value for s in RECONCILABLE_STATES}
    assert _states_in(indexes["order_intents_open"]) == {s.value for s in RESERVING_STATES}
