"""The notifier's world: a local Slack/Telegram receiver on loopback, the webhooks secret in
Secrets Manager (moto), and the real handlers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from omegacopy.devstack.webhook_receiver import WebhookReceiver, start_webhook_receiver
from tests.support.lambda_runtime import Invoke, fresh_container

BOT_TOKEN = ":".join(("7012345678", "AAH-" + "t" * 31))  # a made-up token of the real shape
CHAT_ID = "-1001234567890"


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with start_webhook_receiver(bot_token=BOT_TOKEN, chat_id=CHAT_ID) as receiver:
        yield receiver


def channels_json(hooks: WebhookReceiver, **changes: str) -> str:
    values = {
        "slack_webhook_url": hooks.slack_url,
        "telegram_bot_token": BOT_TOKEN,
        "telegram_chat_id": CHAT_ID,
        "telegram_api_url": hooks.telegram_api_url,
        "generated": "placeholder-from-the-stack",
    }
    return json.dumps({**values, **changes})


def store_secret(moto_server: Any, text: str) -> str:
    sm = moto_server.client("secretsmanager")
    arn: str = sm.create_secret(Name=f"omegacopy/t{uuid.uuid4().hex[:8]}/notify-webhooks", SecretString=text)["ARN"]
    return arn


@pytest.fixture
def notifier_env(moto_server: Any, hooks: WebhookReceiver) -> dict[str, str]:
    return {"STAGE": "test", "NOTIFY_SECRET_ARN": store_secret(moto_server, channels_json(hooks)), **moto_server.env}


@pytest.fixture
def notifier(notifier_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with fresh_container("notifier", notifier_env, monkeypatch) as run:
        yield run
