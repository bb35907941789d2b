"""The webhooks secret: validated, refused with the reason and never its content."""

from __future__ import annotations

import json

import pytest

from omegacopy.adapters.notify_channels import ChannelConfigError, build_channels, channel_settings
from omegacopy.adapters.webhook_post import WebhookPoster
from omegacopy.redaction import redact

# made-up values of the real shapes, assembled here so no scanner mistakes the source for a leak
SLACK = "https://hooks.slack.com/" + "/".join(("services", "T0AAAAAAA", "B0BBBBBBB", "x" * 24))
TOKEN = ":".join(("123456789", "AAEh" + "Q" * 31))
MALFORMED = "not-a-" + "bot-token"


def settings(**values: str) -> str:
    return json.dumps(values)


def test_both_channels_or_one_or_none() -> None:
    both = channel_settings(settings(slack_webhook_url=SLACK, telegram_bot_token=TOKEN, telegram_chat_id="-1001"))
    assert both.names == ("slack", "telegram")
    channels = build_channels(both, WebhookPoster(client=None))  # type: ignore[arg-type]
    assert [c.name for c in channels] == ["slack", "telegram"]
    assert channel_settings(settings(slack_webhook_url=SLACK)).names == ("slack",)
    # what the stack creates the secret with: empty values and a generated placeholder
    created = settings(slack_webhook_url="", telegram_bot_token="", telegram_chat_id="", generated="Zx81kq")
    assert channel_settings(created).names == ()


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"slack_webhook_url": "http://hooks.slack.com/services/x"}, "https://"),
        ({"slack_webhook_url": "hooks.slack.com/services/x"}, "https://"),
        ({"telegram_bot_token": TOKEN}, "both telegram_bot_token and telegram_chat_id"),
        ({"telegram_chat_id": "-1001"}, "both"),
        ({"telegram_bot_token": MALFORMED, "telegram_chat_id": "-1"}, "not a bot token"),
        ({"telegram_bot_token": TOKEN, "telegram_chat_id": "general"}, "chat's number"),
        ({"telegram_bot_token": TOKEN, "telegram_chat_id": "1", "telegram_api_url": "ftp://x"}, "https://"),
        ({"slack_webhook": SLACK}, "slack_webhook"),  # a typo is an error, not a silent "no Slack"
    ],
)
def test_a_wrong_secret_is_refused_with_the_reason_and_without_its_values(
    values: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ChannelConfigError) as caught:
        channel_settings(json.dumps(values))
    message = str(caught.value)
    assert fragment in message
    assert TOKEN not in message and "hooks.slack.com" not in message


@pytest.mark.parametrize("text", ["", "[]", '"https://hooks.slack.com"', "{'a': 1}", '{"a": NaN}', '{"x": 1, "x": 2}'])
def test_a_secret_that_is_not_a_json_object_is_refused(text: str) -> None:
    with pytest.raises(ChannelConfigError, match="not a JSON object"):
        channel_settings(text)


def test_http_only_to_this_machine_and_the_values_are_redacted_from_now_on() -> None:
    local = channel_settings(settings(slack_webhook_url="http://127.0.0.1:8080/services/a/b/c",
                                      telegram_bot_token=TOKEN, telegram_chat_id="@alerts_chan",
                                      telegram_api_url="http://localhost:9000"))  # fmt: skip
    assert local.names == ("slack", "telegram")
    assert redact(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed") == (
        "POST https://api.telegram.org/bot<redacted>/sendMessage failed"
    )
