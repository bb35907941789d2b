"""The notifier's channels (Slack, Telegram), from the webhooks secret, over one HTTP client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

import httpx
from aws_lambda_powertools.utilities import parameters

from omegacopy.adapters import notify_channels
from omegacopy.adapters.webhook_post import PostPolicy, WebhookPoster
from omegacopy.config import NotifierEnv
from omegacopy.ports import NoticeChannel


def build_channels(environ: Mapping[str, str]) -> list[NoticeChannel]:
    """The channels the webhooks secret names (read through Powertools' cache, 5 minutes)."""
    env = NotifierEnv.from_environ(environ)
    if env.notify_channels is not None:
        text = env.notify_channels.get_secret_value()
    elif env.notify_secret_arn:
        text = str(parameters.get_secret(env.notify_secret_arn, max_age=300))
    else:
        raise RuntimeError("notifier: set NOTIFY_SECRET_ARN (or NOTIFY_CHANNELS) in the environment")
    poster = WebhookPoster(
        _http_client(env.http_timeout_s), PostPolicy(max_attempts=env.max_attempts, max_wait_s=env.max_wait_s)
    )
    return notify_channels.build_channels(notify_channels.channel_settings(text), poster)


@cache
def _http_client(timeout_s: float) -> httpx.Client:
    return httpx.Client(timeout=timeout_s, follow_redirects=False)


def notifier_channels() -> list[NoticeChannel]:
    """Per invocation: a rotated or newly filled-in secret is picked up within the cache's 5 minutes."""
    return build_channels(os.environ)
