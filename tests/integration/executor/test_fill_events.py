"""Booked fills are announced on the fill topic (SNS, moto) once, after the books have them, without a
secret; the notifier turns the announcement into a Slack and a Telegram message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.fill_event_message import FillEventMessage
from omegacopy.devstack.webhook_receiver import WebhookReceiver
from tests.integration.executor.conftest import STRATEGY_ID, YES, ExecutorWorld, direct_event
from tests.integration.notify.conftest import hooks, notifier, notifier_env  # noqa: F401 - fixtures
from tests.support.lambda_runtime import Invoke, fresh_container


def announced(moto_server: Any, queue_url: str) -> list[dict[str, Any]]:
    """The SNS envelopes delivered to the subscribed queue (what a Lambda SNS record carries)."""
    sqs = moto_server.client("sqs")
    out: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return out


@pytest.fixture
def executor(world: ExecutorWorld, fill_topic: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with fresh_container("executor", {**world.env, "FILL_TOPIC_ARN": fill_topic[0]}, monkeypatch) as run:
        yield run


def test_a_fill_is_announced_once_with_what_the_books_hold(
    world: ExecutorWorld, executor: Invoke, fill_topic: tuple[str, str], moto_server: Any
) -> None:
    intent_id = world.intent(usd=Decimal("60"), worst=Decimal("0.62"))
    event = direct_event([(world.message(intent_id), "w-follower")])

    for _ in range(3):  # redeliveries book nothing new, so announce nothing new
        assert executor(event) == {"batchItemFailures": []}

    (envelope,) = announced(moto_server, fill_topic[1])
    assert envelope["MessageAttributes"]["kind"] == {"Type": "String", "Value": "fill"}
    message = FillEventMessage.parse(envelope["Message"])
    row = world.row(intent_id)
    assert (message.strategy_id, message.intent_id, message.side, message.token_id) == (
        STRATEGY_ID, intent_id, "BUY", YES,
    )  # fmt: skip
    assert message.shares == row["filled_shares"] and message.usd == row["filled_usd"] == Decimal("59.83")
    assert message.position_shares == world.position()["shares"]  # type: ignore[index]
    assert message.price == Decimal("0.6")  # the book's best ask, under the 0.62 limit
    assert envelope["Subject"] == f"{STRATEGY_ID} bought {message.shares.normalize():f} shares at 0.6 ($59.83)"
    for canary in world.canaries:  # the wallet key, the CLOB secret and passphrase
        assert canary not in json.dumps(envelope)
    assert row["order_body"] not in envelope["Message"]


def test_the_announcement_reaches_slack_and_telegram(
    world: ExecutorWorld,
    executor: Invoke,
    fill_topic: tuple[str, str],
    moto_server: Any,
    notifier: Invoke,  # noqa: F811 - the fixture
    hooks: WebhookReceiver,  # noqa: F811 - the fixture
) -> None:
    intent_id = world.intent(usd=Decimal("60"), worst=Decimal("0.62"))
    executor(direct_event([(world.message(intent_id), "w-follower")]))
    (envelope,) = announced(moto_server, fill_topic[1])

    assert notifier({"Records": [{"EventSource": "aws:sns", "Sns": envelope}]})["notices"] == ["fill"]

    (telegram,) = hooks.telegram_messages()
    assert telegram["text"].startswith(f"<b>{STRATEGY_ID} bought ")
    assert f"<b>intent</b>: {intent_id}" in telegram["text"]
    assert hooks.slack_messages()[0]["text"].endswith("at 0.6 ($59.83)")


def test_an_announcement_that_fails_never_fails_the_fill(
    world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "arn:aws:sns:eu-west-1:123456789012:no-such-topic"
    intent_id = world.intent()
    with fresh_container("executor", {**world.env, "FILL_TOPIC_ARN": missing}, monkeypatch) as run:
        assert run(direct_event([(world.message(intent_id), "w-follower")])) == {"batchItemFailures": []}

    assert world.row(intent_id)["state"] == "FILLED" and len(world.orders_for(intent_id)) == 1
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert sum(sum(doc.get("FillEventsFailed", [])) for doc in docs) == 1
