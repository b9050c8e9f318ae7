"""A generic JSON webhook: one POST per message, Slack-compatible `text` plus the alerts as data
for whatever receives them (a chat bridge, an automation tool, a ticketing system)."""

from __future__ import annotations

from supplier_pipeline.lib.alerting.channels._http import post_json, require_success, url_secrets
from supplier_pipeline.lib.alerting.message import Message, Recipient


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, *, timeout: float) -> None:
        self._url = url
        self._timeout = timeout

    def reaches(self, recipient: Recipient) -> bool:
        return True  # the URL is the address: everyone's alerts go to the same endpoint

    def send(self, message: Message, recipient: Recipient) -> str | None:
        payload = {
            # existing receivers (Slack-compatible endpoints) read only `text`
            "text": f"{message.subject}\n{message.text}",
            "subject": message.subject,
            "severity": message.severity,
            "key": message.key,
            "link": message.link,
            "alerts": [{"severity": line.severity, "kind": line.kind, "supplier": line.supplier,
                        "part": line.part, "text": line.text} for line in message.lines],
        }
        response = post_json(self.name, self._url, payload, timeout=self._timeout,
                             headers={"Idempotency-Key": message.key},
                             secrets=url_secrets(self._url))
        require_success(self.name, response, url_secrets(self._url))
        return None
