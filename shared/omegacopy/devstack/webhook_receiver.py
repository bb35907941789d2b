"""A local stand-in for Slack incoming webhooks and the Telegram Bot API, over HTTP on loopback.

Test API::

    with start_webhook_receiver(bot_token=TOKEN, chat_id="-1001") as hooks:
        settings = {"slack_webhook_url": hooks.slack_url, "telegram_bot_token": TOKEN,
                    "telegram_chat_id": "-1001", "telegram_api_url": hooks.telegram_api_url}
        ... notify ...
        hooks.slack_messages(), hooks.telegram_messages()   # what each accepted, in order
        hooks.script("slack", WebhookReply.slack_rate_limited(retry_after=1))  # the next reply, then normal
        hooks.requests                                       # every request, accepted or not

It checks a request the way the services document them, so a payload they would refuse is refused
here too:
- Slack (`POST /services/…`): a JSON object with `text` or `blocks`; a header block's plain text
  at most 150 characters, a section's text at most 3,000, at most 10 fields of 2,000, at most 50
  blocks. Accepted: 200 `ok`; refused: 400 `invalid_payload` / `invalid_blocks`; an unknown hook
  path: 404 `no_service`.
- Telegram (`POST /bot<token>/sendMessage`): the token (else 401 Unauthorized), a known `chat_id`
  (else 400 chat not found), `text` of 1 to 4,096 characters, and with `parse_mode` HTML only the
  tags Telegram knows, balanced (else 400 can't parse entities). Accepted: `{"ok": true, "result":
  {message}}`; refused: `{"ok": false, "error_code": …, "description": …}`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final

SLACK_PATH: Final = "/services/T00000000/B00000000/local"
_TELEGRAM_TAGS: Final = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler"}
_TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^>]*)?>")


@dataclass(frozen=True, slots=True)
class WebhookReply:
    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def slack_rate_limited(cls, retry_after: int = 1) -> WebhookReply:
        return cls(429, "rate_limited", (("Retry-After", str(retry_after)),))

    @classmethod
    def telegram_rate_limited(cls, retry_after: int = 1) -> WebhookReply:
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after}}  # fmt: skip
        return cls(429, json.dumps(body))

    @classmethod
    def server_error(cls) -> WebhookReply:
        return cls(500, "rollup_error")


@dataclass(frozen=True, slots=True)
class Received:
    service: str  # slack | telegram | unknown
    path: str
    body: Any  # the JSON body, or the raw text when it was not JSON
    status: int  # what the receiver answered


@dataclass
class WebhookReceiver:
    bot_token: str
    chat_ids: frozenset[str]
    requests: list[Received] = field(default_factory=list)
    _scripted: dict[str, deque[WebhookReply]] = field(default_factory=lambda: {"slack": deque(), "telegram": deque()})
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _message_id: int = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def slack_url(self) -> str:
        return self.base_url + SLACK_PATH

    @property
    def telegram_api_url(self) -> str:
        return self.base_url

    def script(self, service: str, *replies: WebhookReply) -> None:
        """The next replies of `service`, in order, instead of its normal answer."""
        with self._lock:
            self._scripted[service].extend(replies)

    def slack_messages(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.service == "slack" and r.status == 200]

    def telegram_messages(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.service == "telegram" and r.status == 200]

    # -- serving
    def handle(self, path: str, raw: bytes, content_type: str) -> WebhookReply:
        service = "slack" if path.startswith("/services/") else "telegram" if path.startswith("/bot") else "unknown"
        try:
            body: Any = json.loads(raw) if "json" in content_type else raw.decode("utf-8", "replace")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            scripted = self._scripted.get(service)
            reply = scripted.popleft() if scripted else None
            if reply is None:
                reply = self._slack(path, body) if service == "slack" else self._telegram(path, body)
            self.requests.append(Received(service, path, body, reply.status))
        return reply

    def _slack(self, path: str, body: Any) -> WebhookReply:
        if path != SLACK_PATH:
            return WebhookReply(404, "no_service")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return WebhookReply(400, "invalid_payload")
        if not _slack_blocks_ok(body.get("blocks", [])):
            return WebhookReply(400, "invalid_blocks")
        return WebhookReply(200, "ok")

    def _telegram(self, path: str, body: Any) -> WebhookReply:
        problem = self._telegram_problem(path, body)
        if problem is not None:
            return _telegram_error(*problem)
        self._message_id += 1
        message = {"message_id": self._message_id, "chat": {"id": body["chat_id"]}, "text": body["text"]}
        return WebhookReply(200, json.dumps({"ok": True, "result": message}))

    def _telegram_problem(self, path: str, body: Any) -> tuple[int, str] | None:
        token, _, method = path.removeprefix("/bot").partition("/")
        text = body.get("text") if isinstance(body, dict) else None
        checks: list[tuple[bool, int, str]] = [
            (token != self.bot_token, 401, "Unauthorized"),
            (method != "sendMessage", 404, "Not Found: method not found"),
            (not isinstance(body, dict) or str(body.get("chat_id")) not in self.chat_ids, 400,
             "Bad Request: chat not found"),
            (not isinstance(text, str) or not text.strip(), 400, "Bad Request: message text is empty"),
            (isinstance(text, str) and len(text) > 4096, 400, "Bad Request: message is too long"),
            (isinstance(body, dict) and body.get("parse_mode") == "HTML" and isinstance(text, str)
             and not _telegram_html_ok(text), 400, "Bad Request: can't parse entities"),
        ]  # fmt: skip
        return next(((code, why) for failed, code, why in checks if failed), None)

    # -- lifecycle
    def start(self) -> WebhookReceiver:
        receiver = self

        class WebhookHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                reply = receiver.handle(self.path, self.rfile.read(length), self.headers.get("Content-Type") or "")
                payload = reply.body.encode()
                self.send_response(reply.status)
                json_body = reply.body.startswith("{")
                self.send_header("Content-Type", "application/json" if json_body else "text/html")
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookHandler)
        threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_webhook_receiver(*, bot_token: str, chat_id: str) -> WebhookReceiver:
    return WebhookReceiver(bot_token=bot_token, chat_ids=frozenset({chat_id})).start()


def _telegram_error(code: int, description: str) -> WebhookReply:
    return WebhookReply(code, json.dumps({"ok": False, "error_code": code, "description": description}))


def _slack_blocks_ok(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    return all(isinstance(block, dict) and _slack_block_ok(block) for block in blocks)


def _slack_block_ok(block: dict[str, Any]) -> bool:
    text = block.get("text") or {}
    if block.get("type") == "header":
        return text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= 150
    if block.get("type") != "section":
        return False
    fields = block.get("fields") or []
    text_ok = not text or 0 < len(text.get("text", "")) <= 3000
    fields_ok = len(fields) <= 10 and all(0 < len(f.get("text", "")) <= 2000 for f in fields)
    return bool(text or fields) and text_ok and fields_ok


def _telegram_html_ok(text: str) -> bool:
    """Only known tags, balanced, and no bare `<` or `&` that is not an entity."""
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1) == "/", match.group(2)
        if name not in _TELEGRAM_TAGS:
            return False
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    stripped = _TAG.sub("", text)
    if "<" in stripped or ">" in stripped:
        return False
    return re.search(r"&(?!(amp|lt|gt|quot|#[0-9]+);)", stripped) is None and not stack
