"""The notifier end to end: SNS events → the real handler → Slack and Telegram, as received by a
local webhook receiver (real HTTP on loopback) that checks each payload the way the services do."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from omegacopy.adapters.notify_channels import ChannelConfigError
from omegacopy.adapters.slack_webhook import SlackWebhook
from omegacopy.adapters.telegram_bot import TelegramChat
from omegacopy.adapters.webhook_post import PostPolicy, WebhookPoster
from omegacopy.app.notify import NotDeliveredError
from omegacopy.devstack.webhook_receiver import WebhookReceiver, WebhookReply
from omegacopy.domain.notifications import Level, Notice
from omegacopy.ports import DeliveryError
from tests.conftest import REPO
from tests.integration.notify.conftest import BOT_TOKEN, CHAT_ID, channels_json, store_secret
from tests.support.lambda_runtime import Invoke, fresh_container

ALARM_EVENT = json.loads((REPO / "events" / "notifier_alarm.json").read_text())
FILL_EVENT = json.loads((REPO / "events" / "notifier_fill.json").read_text())


def metric(out: str, name: str) -> float:
    """The total of one EMF metric in a handler's output."""
    docs = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return sum(sum(doc.get(name, [])) for doc in docs)


def test_an_alarm_reaches_slack_and_telegram_in_their_formats(
    notifier: Invoke, hooks: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    result = notifier(ALARM_EVENT)

    assert result == {"notices": ["alarm"], "delivered": ["slack", "telegram"]}
    (slack,) = hooks.slack_messages()
    assert slack["text"] == "🔴 omegacopy-prod-tick-failures firing"
    assert slack["blocks"][0]["text"]["text"] == "🔴 omegacopy-prod-tick-failures firing"
    assert "Runbook - TickFailures." in slack["blocks"][1]["text"]["text"]
    (telegram,) = hooks.telegram_messages()
    assert telegram["chat_id"] == int(CHAT_ID) and telegram["parse_mode"] == "HTML"
    assert telegram["text"].startswith("<b>🔴 omegacopy-prod-tick-failures firing</b>\n")
    assert telegram["disable_notification"] is False
    assert metric(capsys.readouterr().out, "NotificationsSent") == 2.0


def test_a_fill_reaches_both_quietly(notifier: Invoke, hooks: WebhookReceiver) -> None:
    assert notifier(FILL_EVENT)["notices"] == ["fill"]
    (telegram,) = hooks.telegram_messages()
    assert telegram["text"].startswith("<b>politics-core bought 96.5 shares at 0.62 ($59.83)</b>")
    assert telegram["disable_notification"] is True
    assert hooks.slack_messages()[0]["text"] == "politics-core bought 96.5 shares at 0.62 ($59.83)"


def test_a_refusing_channel_fails_the_invocation_after_the_other_delivered(
    notifier: Invoke, hooks: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    hooks.script("slack", WebhookReply(410, "channel_is_archived"))

    with pytest.raises(NotDeliveredError) as caught:
        notifier(ALARM_EVENT)

    assert "slack (alarm): slack refused the notice: HTTP 410 channel_is_archived" in str(caught.value)
    assert len(hooks.telegram_messages()) == 1  # Slack's failure did not silence Telegram
    assert [r.status for r in hooks.requests if r.service == "slack"] == [410]  # a 4xx is never retried
    out = capsys.readouterr().out
    assert metric(out, "NotificationsFailed") == 1.0
    assert hooks.slack_url not in out + str(caught.value)


def test_the_bot_token_never_leaves_in_an_error_or_a_log(
    moto_server: Any, hooks: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown_chat = channels_json(hooks, telegram_chat_id="-1009999999999")
    env = {"STAGE": "test", "NOTIFY_SECRET_ARN": store_secret(moto_server, unknown_chat), **moto_server.env}
    with fresh_container("notifier", env, monkeypatch) as run, pytest.raises(NotDeliveredError) as caught:
        run(ALARM_EVENT)
    assert "telegram refused the notice: HTTP 400 400 Bad Request: chat not found" in str(caught.value)
    assert BOT_TOKEN not in str(caught.value) + capsys.readouterr().out


def test_no_channel_configured_is_a_metric_not_a_failure(
    moto_server: Any, hooks: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    created = json.dumps({"slack_webhook_url": "", "telegram_bot_token": "", "telegram_chat_id": "", "generated": "x1"})
    env = {"STAGE": "test", "NOTIFY_SECRET_ARN": store_secret(moto_server, created), **moto_server.env}
    with fresh_container("notifier", env, monkeypatch) as run:
        assert run(ALARM_EVENT) == {"notices": ["alarm"], "delivered": []}
    assert hooks.requests == []
    assert metric(capsys.readouterr().out, "NotifierUnconfigured") == 1.0


def test_a_broken_secret_fails_with_the_reason_and_never_its_content(
    moto_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = '{"slack_webhook_url": "http://hooks.example.invalid/services/SECRETPART"}'
    env = {"STAGE": "test", "NOTIFY_SECRET_ARN": store_secret(moto_server, broken), **moto_server.env}
    with fresh_container("notifier", env, monkeypatch) as run, pytest.raises(ChannelConfigError) as caught:
        run(ALARM_EVENT)
    assert "slack_webhook_url must be an https:// URL" in str(caught.value)
    assert "SECRETPART" not in str(caught.value)


def test_an_unreadable_event_is_still_told_and_counted(
    notifier: Invoke, hooks: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = {"kind": {"Type": "String", "Value": "fill"}}
    record = {"Sns": {"Message": '{"schema_version": 1}', "MessageAttributes": kind}}
    assert notifier({"Records": [record]})["notices"] == ["unreadable"]
    assert hooks.telegram_messages()[0]["text"].startswith("<b>🔴 Unreadable fill event</b>")
    assert metric(capsys.readouterr().out, "NotifierInvalidMessages") == 1.0


# --- retries, at the poster (its waits recorded, not slept) ---------------------------------------


def poster(waits: list[float], **policy: Any) -> WebhookPoster:
    return WebhookPoster(httpx.Client(timeout=5), PostPolicy(**policy), sleep=waits.append, now_s=lambda: 0.0)


NOTICE = Notice("alarm", Level.ALERT, "omegacopy-test-no-tick firing", ("No tick for 3 minutes.",))


def test_slack_rate_limits_and_server_errors_are_retried_as_it_asks(hooks: WebhookReceiver) -> None:
    hooks.script("slack", WebhookReply.slack_rate_limited(retry_after=2), WebhookReply.server_error())
    waits: list[float] = []

    SlackWebhook(hooks.slack_url, poster(waits)).send(NOTICE)

    assert [r.status for r in hooks.requests] == [429, 500, 200]
    assert waits == [2.0, 1.0]  # Retry-After, then the backoff's second step
    assert len(hooks.slack_messages()) == 1


def test_telegram_rate_limit_waits_what_its_body_says(hooks: WebhookReceiver) -> None:
    hooks.script("telegram", WebhookReply.telegram_rate_limited(retry_after=3))
    waits: list[float] = []

    TelegramChat(hooks.telegram_api_url, BOT_TOKEN, CHAT_ID, poster(waits)).send(NOTICE)

    assert waits == [3.0] and len(hooks.telegram_messages()) == 1


def test_a_wait_longer_than_allowed_or_too_many_failures_give_up_with_a_clean_error(hooks: WebhookReceiver) -> None:
    hooks.script("telegram", WebhookReply.telegram_rate_limited(retry_after=60))
    chat = TelegramChat(hooks.telegram_api_url, BOT_TOKEN, CHAT_ID, poster([], max_wait_s=10))
    with pytest.raises(DeliveryError, match="asked to wait 60s") as caught:
        chat.send(NOTICE)
    assert BOT_TOKEN not in str(caught.value)

    hooks.script("slack", *[WebhookReply.server_error()] * 3)
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="did not take the notice after 3 attempts: HTTP 500"):
        SlackWebhook(hooks.slack_url, poster(waits)).send(NOTICE)
    assert waits == [0.5, 1.0]


def test_an_unreachable_webhook_is_retried_then_reported_without_its_url(hooks: WebhookReceiver) -> None:
    url = hooks.slack_url
    hooks.stop()
    with pytest.raises(DeliveryError, match="after 3 attempts: ConnectError") as caught:
        SlackWebhook(url, poster([])).send(NOTICE)
    assert "127.0.0.1" not in str(caught.value)


def test_the_largest_notices_are_within_what_both_services_accept(hooks: WebhookReceiver) -> None:
    huge = Notice("summary", Level.INFO, "Daily summary " + "x" * 300, tuple(f"• 0x{i:040x}: <b> & " + "y" * 120
                                                                              for i in range(300)),
                  tuple((f"fact {i}", "v" * 3_000) for i in range(20)))  # fmt: skip
    waits: list[float] = []
    SlackWebhook(hooks.slack_url, poster(waits)).send(huge)
    TelegramChat(hooks.telegram_api_url, BOT_TOKEN, CHAT_ID, poster(waits)).send(huge)
    assert [r.status for r in hooks.requests] == [200, 200] and waits == []
