"""Telegram through the Bot API: a plain-text message to each recipient's chat."""

from __future__ import annotations

from supplier_pipeline.lib.alerting.channels._http import post_json, read_json, scrub
from supplier_pipeline.lib.alerting.message import DeliveryError, Message, Recipient

TEXT_MAX = 4096  # the Bot API's limit for a message's text


class TelegramChannel:
    name = "telegram"

    def __init__(self, *, token: str, timeout: float,
                 api_url: str | None = None) -> None:
        self._token = token
        api_url = (api_url or "https://api.telegram.org").rstrip("/")
        self._url = f"{api_url}/bot{token}/sendMessage"  # the token is in the URL
        self._timeout = timeout

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.telegram_chat_id)

    def send(self, message: Message, recipient: Recipient) -> str | None:
        text = f"{message.subject}\n{message.text}" + (f"\n{message.link}" if message.link else "")
        if len(text) > TEXT_MAX:
            text = text[: TEXT_MAX - 1] + "…"
        payload = {"chat_id": recipient.telegram_chat_id, "text": text,
                   "disable_web_page_preview": True}
        secrets = (self._token,)
        response = post_json(self.name, self._url, payload, timeout=self._timeout,
                             secrets=secrets)
        answer = read_json(self.name, response, secrets)
        # failures come as {"ok": false, "error_code": 400, "description": "..."}
        if not (response.is_success and answer.get("ok")):
            raise DeliveryError(scrub(
                f"telegram: HTTP {response.status_code}: {answer.get('description')}", secrets))
        message_id = (answer.get("result") or {}).get("message_id")
        return None if message_id is None else str(message_id)
