"""Where notices go: the webhooks secret (Secrets Manager `omegacopy/<stage>/notify-webhooks`),
validated, and the channels it names.

The secret is a JSON object; every key is optional, an empty value means "not this channel":

    {"slack_webhook_url": "https://hooks.slack.com/services/…",
     "telegram_bot_token": "<the token @BotFather gave>", "telegram_chat_id": "-1001234567890"}

`telegram_api_url` (default https://api.telegram.org) is for a Bot API server of your own. URLs
must be https (plain http only to this machine, for a local receiver). The stack creates the secret
with empty values and a `generated` placeholder, which is ignored. A secret that is not such an
object is refused with the reason, never its content; its values are registered for redaction, so
no log line or error carries them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from omegacopy.adapters.slack_webhook import SlackWebhook
from omegacopy.adapters.telegram_bot import TelegramChat
from omegacopy.adapters.webhook_post import WebhookPoster
from omegacopy.ports import NoticeChannel
from omegacopy.redaction import register
from omegacopy.strict_json import JsonInputError, loads

_LOOPBACK: Final = {"127.0.0.1", "localhost", "::1"}
_BOT_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")
_CHAT_ID = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")


class ChannelConfigError(ValueError):
    """The webhooks secret is not a valid channel configuration (the message never quotes it)."""


def _check_url(value: str, what: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError(f"{what} is not a URL") from None
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return value
    if parts.scheme == "http" and host in _LOOPBACK:
        return value
    raise ValueError(f"{what} must be an https:// URL (http:// only to this machine)")


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    slack_webhook_url: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_chat_id: Annotated[str, Field(max_length=40)] | None = None
    telegram_api_url: str = "https://api.telegram.org"
    generated: str | None = None  # the placeholder the stack creates the secret with

    _blanks = field_validator(
        "slack_webhook_url", "telegram_bot_token", "telegram_chat_id", "telegram_api_url", mode="before"
    )(_blank_is_none)

    @field_validator("slack_webhook_url")
    @classmethod
    def _slack(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _check_url(value.get_secret_value(), "slack_webhook_url")
        return value

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _api(cls, value: Any) -> Any:
        return "https://api.telegram.org" if value is None else _check_url(str(value), "telegram_api_url")

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("telegram_bot_token is not a bot token (digits, ':', then the key BotFather gave)")
        return value

    @field_validator("telegram_chat_id")
    @classmethod
    def _chat(cls, value: str | None) -> str | None:
        if value is not None and not _CHAT_ID.fullmatch(value):
            raise ValueError("telegram_chat_id is a chat's number (-100… for a group) or a channel's @name")
        return value

    @model_validator(mode="after")
    def _pairs(self) -> ChannelSettings:
        if (self.telegram_bot_token is None) != (self.telegram_chat_id is None):
            raise ValueError("telegram needs both telegram_bot_token and telegram_chat_id")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, on in (("slack", self.slack_webhook_url), ("telegram", self.telegram_bot_token))
            if on is not None
        )


def channel_settings(text: str) -> ChannelSettings:
    """The secret's text, validated; its values registered for redaction first."""
    try:
        data = loads(text, max_depth=2, max_bytes=16_384)
    except JsonInputError as exc:
        raise ChannelConfigError(f"the webhooks secret is not a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise ChannelConfigError("the webhooks secret is not a JSON object")
    register(*(v for k, v in data.items() if isinstance(v, str) and k != "generated"))
    try:
        return ChannelSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False, include_context=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        problem = f"{where + ': ' if where else ''}{str(first['msg']).removeprefix('Value error, ')}"
    # raised outside the handler: the validation error (which quotes the values) is not its context
    raise ChannelConfigError(f"the webhooks secret: {problem}")


def build_channels(settings: ChannelSettings, poster: WebhookPoster) -> list[NoticeChannel]:
    channels: list[NoticeChannel] = []
    if settings.slack_webhook_url is not None:
        channels.append(SlackWebhook(settings.slack_webhook_url.get_secret_value(), poster))
    if settings.telegram_bot_token is not None and settings.telegram_chat_id is not None:
        token = settings.telegram_bot_token.get_secret_value()
        channels.append(TelegramChat(settings.telegram_api_url, token, settings.telegram_chat_id, poster))
    return channels
