"""WhatsApp through the Business Cloud API (graph.facebook.com).

WhatsApp lets a business write first only with an approved template: a free-form text is
delivered only within 24 hours of the recipient's last message to the business number. Alerts
are business-initiated, so they go out as the template WHATSAPP_TEMPLATE when it is set, with
two body parameters, {{1}} the subject and {{2}} the alerts on one line."""

from __future__ import annotations

import re

from supplier_pipeline.lib.alerting.channels._http import post_json, read_json, scrub
from supplier_pipeline.lib.alerting.message import DeliveryError, Message, Recipient

# Cloud API limits: a template's body text parameter (a body with other components) and a text
# message's body
PARAMETER_MAX = 1024
TEXT_MAX = 4096
REENGAGEMENT_ERROR = 131047  # free-form message outside the 24-hour customer-service window
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parameter(text: str) -> str:
    """Template parameters may not hold newlines, tabs or more than 4 consecutive spaces."""
    return _clip(re.sub(r"\s+", " ", text).strip(), PARAMETER_MAX)


def _number(recipient: Recipient) -> str:
    """The recipient's number as the API's `to` takes it: country code and number, digits only."""
    number = recipient.whatsapp or ""
    if not _E164.fullmatch(number):
        raise DeliveryError(
            f"whatsapp: the number {number!r} of {recipient.name} is not in E.164 form: '+', the "
            "country code and the number, digits only (+393331234567)")
    return number[1:]


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, *, token: str, phone_number_id: str, timeout: float,
                 api_url: str | None = None, template: str | None = None,
                 template_language: str | None = None) -> None:
        self._token = token
        api_url = (api_url or "https://graph.facebook.com/v21.0").rstrip("/")
        self._url = f"{api_url}/{phone_number_id}/messages"
        self._template, self._language = template, template_language or "it"
        self._timeout = timeout

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.whatsapp)

    def _content(self, message: Message) -> dict:
        if self._template is None:
            body = f"{message.subject}\n{message.text}" + (
                f"\n{message.link}" if message.link else "")
            return {"type": "text", "text": {"preview_url": False, "body": _clip(body, TEXT_MAX)}}
        alerts = " · ".join(line.text for line in message.lines) or message.text
        parameters = [{"type": "text", "text": _parameter(text)}
                      for text in (message.subject, alerts)]
        return {"type": "template", "template": {
            "name": self._template, "language": {"code": self._language},
            "components": [{"type": "body", "parameters": parameters}]}}

    def send(self, message: Message, recipient: Recipient) -> str | None:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": _number(recipient), **self._content(message)}
        secrets = (self._token,)
        response = post_json(self.name, self._url, payload, timeout=self._timeout,
                             secrets=secrets, headers={"Authorization": f"Bearer {self._token}"})
        answer = read_json(self.name, response, secrets)
        if response.is_success and answer.get("messages"):
            return answer["messages"][0].get("id")
        error = answer.get("error") or {}
        if error.get("code") == REENGAGEMENT_ERROR:
            raise DeliveryError(
                f"whatsapp: {recipient.name} has not written to the business number in the last "
                "24 hours, and WhatsApp delivers free-form messages only within that window: "
                "configure WHATSAPP_TEMPLATE (an approved template with two body parameters)")
        raise DeliveryError(scrub(
            f"whatsapp: HTTP {response.status_code}: {error.get('code')} {error.get('type')}: "
            f"{error.get('message') or response.text[:300]}", secrets))
