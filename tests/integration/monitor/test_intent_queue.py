"""SQS FIFO as the intent queue (moto): one message per intent, written by the type the executor reads."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from omegacopy.adapters.intent_message import IntentMessage
from omegacopy.adapters.sqs_intent_queue import SqsIntentQueue
from omegacopy.domain.intent import Intent, IntentDraft, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction
from tests.integration.monitor.conftest import MonitorWorld


def _intent(n: int, *, wallet: str = "w-follower", correlation_id: str | None = None) -> Intent:
    return Intent(
        intent_id=intent_id_for("s-q", f"t-{n}"),
        strategy_id="s-q",
        wallet_id=wallet,
        source_trade_id=f"t-{n}",
        correlation_id=correlation_id or f"c-{n}",
        draft=IntentDraft(
            TradeAction.BUY, "1", "0xc", Decimal("0.5"), Decimal("0.52"), Decimal("10"), None, OrderStyle.FAK
        ),
    )


def _read(message: dict[str, Any]) -> tuple[str, str]:
    """(intent id, correlation id), read the executor's way from the body as the wire carried it."""
    read = IntentMessage.parse(json.dumps(message["body"], separators=(",", ":")))
    return str(read.intent_id), read.correlation_id


def test_every_intent_goes_out_once_in_its_wallets_group(world: MonitorWorld) -> None:
    queue = SqsIntentQueue(world.sqs, world.queue_url)
    intents = [_intent(n, wallet=f"w-{n % 2}") for n in range(12)]  # more than one batch of 10

    result = queue.send(intents)
    again = queue.send(intents[:3])  # a resend within the deduplication window

    assert sorted(result.sent) == sorted(i.intent_id for i in intents) and result.failed == {}
    assert again.failed == {}
    messages = world.drain()
    assert len(messages) == 12
    read = {_read(m)[0]: m for m in messages}
    for intent in intents:
        message = read[intent.intent_id]
        assert _read(message) == (intent.intent_id, intent.correlation_id)
        assert message["MessageGroupId"] == intent.wallet_id
        assert message["MessageDeduplicationId"] == intent.intent_id


def test_an_intent_the_executor_could_not_read_is_held_back_not_sent(world: MonitorWorld) -> None:
    queue = SqsIntentQueue(world.sqs, world.queue_url)
    good, bad = _intent(1), _intent(2, correlation_id="c with spaces")

    result = queue.send([good, bad])

    assert result.sent == (good.intent_id,)
    assert result.failed == {bad.intent_id: "invalid_message"}
    assert [_read(m)[0] for m in world.drain()] == [good.intent_id]
