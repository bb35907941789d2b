"""A Telegram chat (through a bot) as a notice channel.

Telegram's format: `POST {api}/bot<token>/sendMessage` with a JSON body `chat_id`, `text` (1-4,096
characters), `parse_mode` `HTML` (so only `&`, `<` and `>` need escaping), link previews off, and
`disable_notification` for what is only information (fills, summaries): alarms ring. It answers
`{"ok": true, "result": …}`, or `{"ok": false, "error_code": …, "description": …}` with
`parameters.retry_after` (seconds) on 429. The bot token is in the URL: it is the secret, and no
error text carries the URL.
"""

from __future__ import annotations

import json
from typing import Any, Final

import httpx

from omegacopy.adapters.webhook_post import Verdict, WebhookPoster
from omegacopy.domain.notifications import Level, Notice

TEXT_MAX: Final = 4_096
_BADGE: Final = {Level.ALERT: "🔴 ", Level.RESOLVED: "✅ ", Level.INFO: ""}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram_text(notice: Notice) -> str:
    """The notice as Telegram HTML, whole lines dropped from the end (never a cut tag) to fit."""
    head = f"<b>{escape(_BADGE[notice.level] + notice.title)}</b>"
    body = [escape(line) for line in notice.lines]
    body += [f"<b>{escape(label)}</b>: {escape(value)}" for label, value in notice.facts]
    text = "\n".join([head, *body])
    while len(text) > TEXT_MAX and body:
        body.pop()
        text = "\n".join([head, *body, "…"])
    return text if len(text) <= TEXT_MAX else head[: TEXT_MAX - 5] + "…</b>"


def telegram_payload(notice: Notice, chat_id: str) -> dict[str, Any]:
    return {
        "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        "text": telegram_text(notice),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "disable_notification": notice.level is Level.INFO,
    }


def judge(response: httpx.Response) -> Verdict:
    try:
        reply = json.loads(response.text)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        return Verdict(retry=response.status_code == 429, reason=f"HTTP {response.status_code} (not JSON)")
    if reply.get("ok") is True and 200 <= response.status_code < 300:
        return Verdict(delivered=True)
    code = reply.get("error_code", response.status_code)
    description = str(reply.get("description") or "")[:100]
    reason = f"HTTP {response.status_code} {code} {description}".strip()
    if response.status_code == 429 or code == 429:
        parameters = reply.get("parameters")
        after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        wait = float(after) if isinstance(after, int | float) and not isinstance(after, bool) and after >= 0 else None
        return Verdict(retry=True, wait_s=wait, reason=reason)
    return Verdict(reason=reason)


class TelegramChat:
    def __init__(self, api_url: str, bot_token: str, chat_id: str, poster: WebhookPoster) -> None:
        self._url = f"{api_url.rstrip('/')}/bot{bot_token}/sendMessage"
        self._chat_id = chat_id
        self._poster = poster

    @property
    def name(self) -> str:
        return "telegram"

    def send(self, notice: Notice) -> None:
        self._poster.post(self.name, self._url, telegram_payload(notice, self._chat_id), judge)
