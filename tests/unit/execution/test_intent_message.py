"""The queue message is written and read by one type: what the monitor sends, the executor reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omegacopy.adapters.intent_message import IntentMessage, PoisonMessageError
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction

D = Decimal


def _intent(correlation_id: str = "c-0123abcd") -> Intent:
    return Intent(
        intent_id=intent_id_for("s-1", "t-1"),
        strategy_id="s-1",
        wallet_id="w-1",
        source_trade_id="t-1",
        correlation_id=correlation_id,
        draft=IntentDraft(TradeAction.BUY, "1", "0xc", D("0.5"), D("0.52"), D("10"), None, OrderStyle.FAK),
    )


def test_the_body_carries_ids_only_and_reads_back() -> None:
    intent = _intent()
    body = IntentMessage.of(intent).body()
    assert body == f'{{"intent_id":"{intent.intent_id}","correlation_id":"c-0123abcd","schema_version":1}}'
    read = IntentMessage.parse(body)
    assert (str(read.intent_id), read.correlation_id) == (intent.intent_id, intent.correlation_id)


def test_an_intent_whose_message_could_not_be_read_is_never_written() -> None:
    with pytest.raises(ValueError, match="correlation_id"):
        IntentMessage.of(_intent(correlation_id="c with spaces"))


@pytest.mark.parametrize(
    "body",
    [
        '{"intent_id":"not-a-uuid","correlation_id":"c","schema_version":1}',
        '{"intent_id":"6f6d6567-6163-6f70-7969-6e74656e7473","correlation_id":"c","schema_version":2}',
        '{"intent_id":"6f6d6567-6163-6f70-7969-6e74656e7473","correlation_id":"c","schema_version":NaN}',
        '{"intent_id":"6f6d6567-6163-6f70-7969-6e74656e7473","correlation_id":"c","schema_version":1,"x":1}',
    ],
)
def test_a_body_that_can_never_be_processed_is_poison(body: str) -> None:
    with pytest.raises(PoisonMessageError):
        IntentMessage.parse(body)
