"""Exactly one order per intent whatever fails: crashes at each boundary, exchange faults, poison.

Crashes are simulated at the edge: `CrashingExchanges` wraps the real CLOB client (a port fake, not
a patch of our code) and dies before or after the POST like a Lambda killed at that instant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from omegacopy.app.execute_intent import ExchangeHaltedError, RetryLaterError, apply_post_result, execute_intent
from omegacopy.app.reconcile import ReconcileSettings, reconcile
from omegacopy.devstack.local_run import lambda_sqs_event
from omegacopy.devstack.paper import FaultMode
from omegacopy.domain.clob_models import PostOutcome, PostResult
from omegacopy.ports import Exchange, Exchanges
from tests.integration.executor.conftest import ExecutorWorld
from tests.support.lambda_runtime import fresh_container

ALWAYS = 20_000
RECONCILE_NOW = ReconcileSettings(grace_s=0)


class SimulatedCrash(BaseException):
    """The Lambda dies: nothing after this point runs (BaseException so no handler swallows it)."""


@dataclass
class CrashingExchange:
    inner: Exchange
    crash_before_post: bool = False
    crash_after_post: bool = False

    @property
    def api_key(self) -> str:
        return self.inner.api_key

    def order_book(self, token_id: str) -> Any:
        return self.inner.order_book(token_id)

    def post_order(self, body: bytes, *, order_hash: str) -> PostResult:
        if self.crash_before_post:
            raise SimulatedCrash("killed after signing, before the POST")
        result = self.inner.post_order(body, order_hash=order_hash)
        if self.crash_after_post:
            raise SimulatedCrash("killed after the reply, before the commit")
        return result

    def get_order(self, order_hash: str) -> Any:
        return self.inner.get_order(order_hash)

    def cancel_order(self, order_hash: str) -> object:
        return self.inner.cancel_order(order_hash)

    def trades(self, *, token_id: str | None = None, after: int | None = None) -> Any:
        return self.inner.trades(token_id=token_id, after=after)

    def last_trade_price(self, token_id: str) -> Any:
        return self.inner.last_trade_price(token_id)

    def balance_allowance(self, asset_type: str = "COLLATERAL", token_id: str | None = None) -> Any:
        return self.inner.balance_allowance(asset_type, token_id)


@dataclass
class CrashingExchanges:
    inner: Exchanges
    crash_before_post: bool = False
    crash_after_post: bool = False

    def for_wallet(self, wallet_id: str) -> Exchange:
        return CrashingExchange(self.inner.for_wallet(wallet_id), self.crash_before_post, self.crash_after_post)


@pytest.mark.parametrize("boundary", ["after_signing", "after_reply_before_commit"])
def test_killed_at_a_boundary_still_one_order(world: ExecutorWorld, boundary: str) -> None:
    intent_id = world.intent()
    dying = world.deps()
    dying.exchanges = CrashingExchanges(
        dying.exchanges,
        crash_before_post=boundary == "after_signing",
        crash_after_post=boundary == "after_reply_before_commit",
    )
    with pytest.raises(SimulatedCrash):
        execute_intent(dying, intent_id, lambda: ALWAYS)
    assert world.row(intent_id)["state"] == "SUBMITTING"  # the signed order was committed first

    redelivered = execute_intent(world.deps(), intent_id, lambda: ALWAYS)

    assert redelivered.state == "FILLED"
    assert len(world.exchange.ledger()) == 1


def test_killed_after_the_post_bytes_were_sent_is_reconciled(world: ExecutorWorld) -> None:
    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    deps = world.deps()

    first = execute_intent(deps, intent_id, lambda: ALWAYS)
    assert first.state == "UNKNOWN"

    summary = reconcile(deps, RECONCILE_NOW)

    assert summary.outcomes["FILLED"] == 1
    assert world.row(intent_id)["state"] == "FILLED"
    assert len(world.exchange.ledger()) == 1
    assert world.position() is not None


def test_unknown_then_redelivered_looks_up_before_any_resend(world: ExecutorWorld) -> None:
    intent_id = world.intent()
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    deps = world.deps()
    execute_intent(deps, intent_id, lambda: ALWAYS)
    posts_before = world.exchange.requests["/order"]

    again = execute_intent(deps, intent_id, lambda: ALWAYS)

    assert again.state == "FILLED"
    assert world.exchange.requests["/order"] == posts_before  # found by hash: no second POST
    assert len(world.exchange.ledger()) == 1


def test_a_duplicate_reply_means_accepted_earlier(world: ExecutorWorld) -> None:
    intent_id = world.intent()
    dying = world.deps()
    dying.exchanges = CrashingExchanges(dying.exchanges, crash_after_post=True)
    with pytest.raises(SimulatedCrash):
        execute_intent(dying, intent_id, lambda: ALWAYS)
    deps = world.deps()
    row = world.row(intent_id)

    # A racing attempt re-sends the stored identical bytes: the exchange answers "duplicate".
    reply = deps.exchanges.for_wallet(row["wallet_id"]).post_order(
        row["order_body"].encode(), order_hash=row["order_hash"]
    )
    result = apply_post_result(deps, intent_id, reply)

    assert reply.outcome is PostOutcome.DUPLICATE
    assert result.state == "FILLED"
    assert len(world.exchange.ledger()) == 1
    assert world.position() is not None


@pytest.mark.parametrize("mode", [FaultMode.RATE_LIMITED, FaultMode.SERVER_ERROR])
def test_throttling_and_5xx_are_retried_boundedly(world: ExecutorWorld, mode: FaultMode) -> None:
    intent_id = world.intent()
    world.exchange.faults.set(mode, count=1, paths=["/order"], retry_after="0")
    deps = world.deps()

    try:
        result = execute_intent(deps, intent_id, lambda: ALWAYS)
    except RetryLaterError:
        result = execute_intent(deps, intent_id, lambda: ALWAYS)
    if result.state == "UNKNOWN":  # a 5xx on POST is never trusted as "not booked"
        reconcile(deps, RECONCILE_NOW)

    assert world.row(intent_id)["state"] == "FILLED"
    assert world.exchange.requests["/order"] <= 3
    assert len(world.exchange.ledger()) == 1


def test_halt_stops_new_posts_and_alarms(world: ExecutorWorld, capsys: pytest.CaptureFixture[str]) -> None:
    from omegacopy.observability import metrics

    first, second = world.intent(), world.intent()
    world.exchange.faults.set(FaultMode.TRADING_DISABLED)
    deps = world.deps()
    metrics.clear_metrics()

    with pytest.raises(ExchangeHaltedError):
        execute_intent(deps, first, lambda: ALWAYS)
    posts = world.exchange.requests["/order"]
    with pytest.raises(ExchangeHaltedError):
        execute_intent(deps, second, lambda: ALWAYS)

    assert world.exchange.requests["/order"] == posts == 1
    metrics.flush_metrics()
    assert '"ExchangeHalted":[1.0]' in capsys.readouterr().out
    assert world.row(second)["state"] == "NEW"


def test_poison_goes_to_the_dlq_while_other_groups_flow(world: ExecutorWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_container("executor", world.env, monkeypatch) as invoke:
        arn = world.sqs.get_queue_attributes(QueueUrl=world.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        good = [world.intent() for _ in range(2)]
        world.sqs.send_message(QueueUrl=world.queue_url, MessageBody='{"intent_id": "not-a-uuid"}',
                               MessageGroupId="w-poison", MessageDeduplicationId="poison")  # fmt: skip
        for i, intent_id in enumerate(good):
            world.sqs.send_message(QueueUrl=world.queue_url, MessageBody=world.message(intent_id),
                                   MessageGroupId="w-follower", MessageDeduplicationId=intent_id + str(i))  # fmt: skip

        # The Lambda event source: receive, invoke, delete what succeeded, let failures become visible again.
        for _ in range(8):
            msgs = world.sqs.receive_message(QueueUrl=world.queue_url, MaxNumberOfMessages=10,
                                             AttributeNames=["All"]).get("Messages", [])  # fmt: skip
            if not msgs:
                break
            try:
                reply = invoke(lambda_sqs_event(msgs, arn))
                failed = {f["itemIdentifier"] for f in reply["batchItemFailures"]}
            except BatchProcessingError:  # every record failed: Lambda returns the whole batch
                failed = {m["MessageId"] for m in msgs}
            for m in msgs:
                if m["MessageId"] in failed:
                    world.sqs.change_message_visibility(QueueUrl=world.queue_url, ReceiptHandle=m["ReceiptHandle"],
                                                        VisibilityTimeout=0)  # fmt: skip
                else:
                    world.sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=m["ReceiptHandle"])

    assert [world.row(i)["state"] for i in good] == ["FILLED", "FILLED"]
    dead = world.sqs.receive_message(QueueUrl=world.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"]) for m in dead] == [{"intent_id": "not-a-uuid"}]


def test_a_tampered_key_blob_signs_nothing(world: ExecutorWorld, capsys: pytest.CaptureFixture[str]) -> None:
    from omegacopy.adapters.wallet_keys import KeyUnwrapError
    from omegacopy.observability import metrics

    world.pg.execute(
        "UPDATE wallets SET key_ciphertext = set_byte(key_ciphertext, 0, (get_byte(key_ciphertext, 0) + 1) % 256)"
    )
    intent_id = world.intent()
    metrics.clear_metrics()

    with pytest.raises(KeyUnwrapError):
        execute_intent(world.deps(), intent_id, lambda: ALWAYS)

    assert world.row(intent_id)["state"] == "NEW"
    assert world.exchange.requests["/order"] == 0
    metrics.flush_metrics()
    assert '"KeyDecryptFailed":[1.0]' in capsys.readouterr().out


@pytest.fixture
def everything_seen(world: ExecutorWorld, capsys: pytest.CaptureFixture[str], caplog: Any) -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    seen.append(capsys.readouterr().out)
    seen.append(caplog.text)


def test_canary_secrets_never_leave_the_signing_call(world: ExecutorWorld, everything_seen: list[str]) -> None:
    deps = world.deps()
    intents = [world.intent() for _ in range(3)]
    world.exchange.faults.set(FaultMode.DROP_AFTER_ACCEPT, count=1, paths=["/order"])
    for intent_id in intents:
        try:
            execute_intent(deps, intent_id, lambda: ALWAYS)
        except Exception as exc:
            everything_seen.append(repr(exc))
    reconcile(deps, RECONCILE_NOW)
    for table in ("order_intents", "wallets", "strategy_trades", "wallet_monitor_signals", "strategy_positions"):
        rows = world.pg.execute(f"SELECT t::text FROM {table} t").fetchall()
        everything_seen.extend(r[0] for r in rows)
    everything_seen.append(repr(deps))
    text = "\n".join(everything_seen)
    for canary in world.canaries:
        assert canary not in text
        assert canary.lower() not in text.lower()
    assert len(world.exchange.ledger()) == 3
