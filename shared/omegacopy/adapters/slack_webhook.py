"""A Slack incoming webhook as a notice channel.

Slack's format: a JSON body with `text` (the fallback shown in notifications) and `blocks` (a
header, mrkdwn sections, and the facts as section fields). Its limits are kept: a header's text
at most 150 characters, a section's 3,000, at most 10 fields of 2,000, at most 50 blocks; `&`, `<`
and `>` are escaped as mrkdwn asks. Slack answers 200 `ok`; 429 with Retry-After when rate limited
(about one message a second per webhook); 400/403/404/410 with a short error code
(`invalid_payload`, `action_prohibited`, `channel_not_found`, `channel_is_archived`), which is never
worth a retry.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from omegacopy.adapters.webhook_post import Verdict, WebhookPoster
from omegacopy.domain.notifications import Level, Notice

HEADER_MAX: Final = 150
SECTION_MAX: Final = 3_000
FIELD_MAX: Final = 2_000
MAX_FIELDS: Final = 10
MAX_BLOCKS: Final = 50
_BADGE: Final = {Level.ALERT: "🔴 ", Level.RESOLVED: "✅ ", Level.INFO: ""}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notice: Notice) -> dict[str, Any]:
    title = _cut(_BADGE[notice.level] + notice.title, HEADER_MAX)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}]
    for chunk in _chunks([escape(line) for line in notice.lines], SECTION_MAX):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    fields = [
        {"type": "mrkdwn", "text": _cut(f"*{escape(label)}*\n{escape(value)}", FIELD_MAX)}
        for label, value in notice.facts[:MAX_FIELDS]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], {"type": "section", "text": {"type": "mrkdwn", "text": "…"}}]
    return {"text": _cut(escape(_BADGE[notice.level] + notice.title), SECTION_MAX), "blocks": blocks}


def judge(response: httpx.Response) -> Verdict:
    if 200 <= response.status_code < 300:
        return Verdict(delivered=True)
    code = response.text.strip()[:60] or f"HTTP {response.status_code}"
    if response.status_code == 429:
        return Verdict(retry=True, reason=f"HTTP 429 {code}")
    return Verdict(reason=f"HTTP {response.status_code} {code}")


class SlackWebhook:
    def __init__(self, url: str, poster: WebhookPoster) -> None:
        self._url = url
        self._poster = poster

    @property
    def name(self) -> str:
        return "slack"

    def send(self, notice: Notice) -> None:
        self._poster.post(self.name, self._url, slack_payload(notice), judge)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters (a longer line is cut)."""
    chunks: list[str] = []
    current = ""
    for line in (_cut(x, limit) for x in lines):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks
