"""The intent's state machine: which moves are legal, what is terminal, and where an exchange
status leaves an intent."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.exchange_replies import OrderStatus, state_for_exchange_status
from omegacopy.domain.intent import (
    IN_FLIGHT_STATES,
    RECONCILABLE_STATES,
    TERMINAL_STATES,
    IllegalTransitionError,
    IntentState,
    can_move,
    next_state,
)

S = IntentState
D = Decimal
states = st.sampled_from(list(IntentState))


def test_terminal_states_never_move() -> None:
    for terminal in TERMINAL_STATES:
        assert terminal.is_terminal
        for target in IntentState:
            assert can_move(terminal, target) == (target is terminal)


def test_every_state_is_reachable_from_new_and_every_path_can_end() -> None:
    reachable = {S.NEW}
    queue = deque([S.NEW])
    while queue:
        here = queue.popleft()
        for there in IntentState:
            if there not in reachable and can_move(here, there):
                reachable.add(there)
                queue.append(there)
    assert reachable == set(IntentState)
    for state in set(IntentState) - TERMINAL_STATES:
        assert any(can_move(state, t) for t in TERMINAL_STATES), state


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEW, S.ACCEPTED),  # nothing reaches the exchange unsigned
        (S.NEW, S.UNKNOWN),
        (S.NEW, S.LOST),
        (S.ACCEPTED, S.NEW),
        (S.ACCEPTED, S.SUBMITTING),
        (S.ACCEPTED, S.UNKNOWN),  # a booked order is never "unknown" again
        (S.FILLED, S.ACCEPTED),  # a stale reply never reopens a settled intent
        (S.PARTIALLY_FILLED, S.FILLED),
        (S.CANCELLED, S.REJECTED),
        (S.LOST, S.SUBMITTING),
    ],
)
def test_illegal_moves_are_refused(current: IntentState, target: IntentState) -> None:
    assert not can_move(current, target)
    with pytest.raises(IllegalTransitionError, match=f"from {current} to {target}"):
        next_state(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEW, S.SUBMITTING),
        (S.NEW, S.REJECTED),  # order or risk checks
        (S.NEW, S.CANCELLED),  # kill switch
        (S.NEW, S.EXPIRED),  # too old
        (S.SUBMITTING, S.UNKNOWN),
        (S.SUBMITTING, S.FILLED),
        (S.UNKNOWN, S.LOST),
        (S.ACCEPTED, S.ACCEPTED),  # a resting order looked up again
        (S.ACCEPTED, S.CANCELLED),  # past its life
        (S.LOST, S.FILLED),  # it showed up after all
        (S.LOST, S.EXPIRED),  # it never did
        (S.LOST, S.UNKNOWN),  # a redelivered message re-sent it
        (S.NEW, S.FAILED),  # no order book: the market cannot trade
        (S.SUBMITTING, S.FAILED),  # the exchange says the market is closed
    ],
)
def test_the_moves_the_executor_makes_are_legal(current: IntentState, target: IntentState) -> None:
    assert next_state(current, target) is target


@settings(deadline=None)
@given(st.lists(states, max_size=20))
def test_once_terminal_always_terminal(path: list[IntentState]) -> None:
    state = S.NEW
    for target in path:
        if can_move(state, target):
            was_terminal = state.is_terminal
            state = next_state(state, target)
            assert not was_terminal or state.is_terminal


def test_every_documented_status_ends_or_is_reconciled() -> None:
    for status in OrderStatus:
        for filled in (D("0"), D("4"), D("10")):
            state = state_for_exchange_status(f"ORDER_STATUS_{status.value.upper()}", filled=filled, ordered=D("10"))
            assert state.is_terminal or state in RECONCILABLE_STATES, (status, filled, state)


def test_in_flight_and_reconcilable_sets() -> None:
    assert {S.SUBMITTING, S.UNKNOWN, S.LOST} == IN_FLIGHT_STATES
    assert IN_FLIGHT_STATES | {S.ACCEPTED} == RECONCILABLE_STATES
    assert not (RECONCILABLE_STATES & TERMINAL_STATES)


@pytest.mark.parametrize(
    ("status", "filled", "ordered", "state"),
    [
        ("matched", D("10"), D("10"), S.FILLED),
        ("matched", D("4"), D("10"), S.PARTIALLY_FILLED),  # a FAK whose rest was killed
        ("live", D("0"), D("10"), S.ACCEPTED),
        ("delayed", D("0"), D("10"), S.ACCEPTED),
        ("live", D("3"), D("10"), S.ACCEPTED),  # resting, partly filled: still working
        ("canceled", D("0"), D("10"), S.CANCELLED),
        ("cancelled", D("2"), D("10"), S.PARTIALLY_FILLED),
        ("unmatched", D("0"), D("10"), S.CANCELLED),
        ("expired", D("0"), D("10"), S.EXPIRED),
        ("expired", D("1"), D("10"), S.PARTIALLY_FILLED),
        # every documented status, with or without its prefix, in any case
        ("ORDER_STATUS_LIVE", D("0"), D("10"), S.ACCEPTED),
        ("ORDER_STATUS_MATCHED", D("10"), D("10"), S.FILLED),
        ("ORDER_STATUS_INVALID", D("0"), D("10"), S.REJECTED),
        ("ORDER_STATUS_INVALID", D("2"), D("10"), S.PARTIALLY_FILLED),
        ("ORDER_STATUS_CANCELED_MARKET_RESOLVED", D("0"), D("10"), S.CANCELLED),
        ("canceled_market_resolved", D("5"), D("10"), S.PARTIALLY_FILLED),
        ("CANCELED_NOT_ENOUGH_BALANCE", D("0"), D("10"), S.CANCELLED),
        ("CANCELED_MARKET_NOT_FOUND", D("0"), D("10"), S.CANCELLED),
        ("CANCELED_ORDER_TIMED_OUT", D("0"), D("10"), S.CANCELLED),
        ("ORDER_STATUS_CANCELED_EXPIRED_ORDER", D("0"), D("10"), S.EXPIRED),
        ("UNMATCHED", D("0"), D("10"), S.CANCELLED),
        ("DELAYED", D("0"), D("10"), S.ACCEPTED),
        # what cannot be said is never guessed: reconciled by hash
        ("matched", D("0"), D("10"), S.UNKNOWN),  # matched, yet nothing matched
        ("something-new", D("0"), D("10"), S.UNKNOWN),
    ],
)
def test_where_an_exchange_status_leaves_an_intent(
    status: str, filled: Decimal, ordered: Decimal, state: IntentState
) -> None:
    assert state_for_exchange_status(status, filled=filled, ordered=ordered) is state
