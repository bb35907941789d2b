"""Slack's and Telegram's message formats, within the limits their APIs document."""

from __future__ import annotations

import httpx

from omegacopy.adapters import slack_webhook, telegram_bot
from omegacopy.adapters.slack_webhook import slack_payload
from omegacopy.adapters.telegram_bot import TEXT_MAX, telegram_payload, telegram_text
from omegacopy.domain.notifications import Level, Notice

ALERT = Notice("alarm", Level.ALERT, "omegacopy-prod-no-tick firing", ("No tick for 3 minutes <3 & worse>",),
               (("state", "OK → ALARM"), ("stage", "prod")))  # fmt: skip


def test_slack_payload_has_a_fallback_text_a_header_sections_and_fields_escaped() -> None:
    payload = slack_payload(ALERT)
    assert payload["text"] == "🔴 omegacopy-prod-no-tick firing"
    header, section, fields = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "🔴 omegacopy-prod-no-tick firing",
                                                 "emoji": True}}  # fmt: skip
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "No tick for 3 minutes &lt;3 &amp; worse&gt;"},
    }
    assert fields["fields"] == [{"type": "mrkdwn", "text": "*state*\nOK → ALARM"},
                                {"type": "mrkdwn", "text": "*stage*\nprod"}]  # fmt: skip


def test_slack_limits_header_150_sections_3000_ten_fields_50_blocks() -> None:
    huge = Notice("summary", Level.INFO, "T" * 400, tuple("x" * 2_500 for _ in range(80)),
                  tuple((f"k{i}", "v") for i in range(15)))  # fmt: skip
    blocks = slack_payload(huge)["blocks"]
    assert len(blocks) == 50
    assert len(blocks[0]["text"]["text"]) == 150
    assert all(len(b["text"]["text"]) <= 3_000 for b in blocks[1:] if "text" in b)
    assert (
        slack_payload(Notice("m", Level.INFO, "t", (), tuple((f"k{i}", "v") for i in range(15))))["blocks"][1][
            "fields"
        ][9]["text"]
        == "*k9*\nv"
    )


def test_slack_replies_are_read_as_its_docs_say() -> None:
    assert slack_webhook.judge(httpx.Response(200, text="ok")).delivered
    limited = slack_webhook.judge(httpx.Response(429, text="rate_limited"))
    assert limited.retry and not limited.delivered
    refused = slack_webhook.judge(httpx.Response(410, text="channel_is_archived"))
    assert not refused.retry and refused.reason == "HTTP 410 channel_is_archived"


def test_telegram_html_is_escaped_bold_title_and_silent_for_information() -> None:
    payload = telegram_payload(ALERT, "-1001234567890")
    assert payload["chat_id"] == -1001234567890 and payload["parse_mode"] == "HTML"
    assert payload["text"] == (
        "<b>🔴 omegacopy-prod-no-tick firing</b>\nNo tick for 3 minutes &lt;3 &amp; worse&gt;\n"
        "<b>state</b>: OK → ALARM\n<b>stage</b>: prod"
    )
    assert payload["disable_notification"] is False  # an alarm rings
    assert payload["link_preview_options"] == {"is_disabled": True}
    info = telegram_payload(Notice("fill", Level.INFO, "s1 bought"), "@omegacopy_alerts")
    assert info["chat_id"] == "@omegacopy_alerts" and info["disable_notification"] is True


def test_telegram_text_fits_4096_by_dropping_whole_lines() -> None:
    text = telegram_text(Notice("summary", Level.INFO, "Daily", tuple(f"line {i} " + "y" * 90 for i in range(100))))
    assert len(text) <= TEXT_MAX and text.endswith("\n…") and text.startswith("<b>Daily</b>")
    assert all(line.startswith(("<b>", "line ", "…")) for line in text.splitlines())
    only_title = telegram_text(Notice("m", Level.INFO, "z" * 5000))
    assert len(only_title) <= TEXT_MAX and only_title.endswith("…</b>")


def test_telegram_replies_are_read_as_its_docs_say() -> None:
    assert telegram_bot.judge(httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})).delivered
    limited = telegram_bot.judge(httpx.Response(429, json={"ok": False, "error_code": 429, "description": "Too Many",
                                                           "parameters": {"retry_after": 7}}))  # fmt: skip
    assert limited.retry and limited.wait_s == 7.0
    refused = telegram_bot.judge(httpx.Response(400, json={"ok": False, "error_code": 400,
                                                           "description": "Bad Request: chat not found"}))  # fmt: skip
    assert not refused.retry and refused.reason == "HTTP 400 400 Bad Request: chat not found"
    assert not telegram_bot.judge(httpx.Response(200, text="<html>")).delivered  # a 200 that is not the API
