"""Slack, through an incoming webhook (the channel is fixed by the webhook) or a bot token
(chat.postMessage, so each recipient can have their own channel). Both send the same Block Kit
message, with `text` as the fallback notifications show."""

from __future__ import annotations

from supplier_pipeline.lib.alerting.channels._http import (
    post_json,
    read_json,
    require_success,
    scrub,
    url_secrets,
)
from supplier_pipeline.lib.alerting.message import DeliveryError, Line, Message, Recipient

HEADER_MAX = 150  # Slack's limit for the plain_text of a header block
SECTION_MAX = 3000  # Slack's limit for the text of a section block
# Slack refuses a message of more than 50 blocks; 45 leaves room for the header and contexts
MAX_BLOCKS = 45
_MARK = {"high": ":red_circle: "}  # so urgent lines stand out in a long digest


def escape(text: str) -> str:
    """Slack reads &, < and > as control characters (links, mentions): escape them as its
    formatting reference says, so a part named "<Display> & frame" shows as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int) -> str:
    """`text` escaped and cut to `limit` characters, without leaving half an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp >= len(cut) - 4:  # an entity starting this late may be cut ("&am")
        cut = cut[:amp]
    return cut + "…"


def _digest_sections(lines: tuple[Line, ...], limit: int) -> tuple[list[str], int]:
    """Sections of at most SECTION_MAX characters, one or more per supplier, at most `limit`
    of them; and how many lines they hold."""
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.supplier or "Other", []).append(line)
    sections: list[str] = []
    shown = 0
    for supplier, group in groups.items():
        current = f"*{escape(supplier)}*"
        for line in group:
            item = "\n• " + _mrkdwn(_MARK.get(line.severity, "") + line.text, SECTION_MAX // 2)
            if len(current) + len(item) > SECTION_MAX:
                sections.append(current)
                current = f"*{escape(supplier)}* (continued)"
            if len(sections) == limit:
                return sections, shown
            current += item
            shown += 1
        sections.append(current)
        if len(sections) == limit:
            break
    return sections, shown


def blocks(message: Message) -> list[dict]:
    header = {"type": "header", "text": {"type": "plain_text", "emoji": True, "text":
              message.subject if len(message.subject) <= HEADER_MAX
              else message.subject[: HEADER_MAX - 1] + "…"}}
    if len(message.lines) > 1:
        sections, shown = _digest_sections(message.lines, MAX_BLOCKS - 3)
    else:
        sections, shown = [_mrkdwn(message.text, SECTION_MAX)] if message.text else [], 1
    contexts = [f"… and {len(message.lines) - shown} more"] if shown < len(message.lines) else []
    if message.link:
        contexts.append(f"<{escape(message.link).replace('|', '%7C')}|Open in Dagster>")
    return [header, *({"type": "section", "text": {"type": "mrkdwn", "text": text}}
                      for text in sections),
            *({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
              for text in contexts)]


class SlackChannel:
    name = "slack"

    def __init__(self, *, timeout: float, webhook_url: str | None = None,
                 bot_token: str | None = None, api_url: str | None = None,
                 default_channel: str | None = None) -> None:
        self._webhook_url, self._bot_token = webhook_url, bot_token
        self._api_url = (api_url or "https://slack.com/api").rstrip("/")
        self._default_channel, self._timeout = default_channel, timeout

    def reaches(self, recipient: Recipient) -> bool:
        if self._bot_token is None:
            return True  # the incoming webhook posts to its own channel
        return bool(recipient.slack_channel or self._default_channel)

    def send(self, message: Message, recipient: Recipient) -> str | None:
        payload = {"text": _mrkdwn(f"{message.subject}\n{message.text}", SECTION_MAX),
                   "blocks": blocks(message)}
        if self._bot_token is None:
            secrets = url_secrets(self._webhook_url)
            response = post_json(self.name, self._webhook_url, payload, timeout=self._timeout,
                                 secrets=secrets)
            require_success(self.name, response, secrets)
            return None
        secrets = (self._bot_token,)
        payload["channel"] = recipient.slack_channel or self._default_channel
        response = post_json(self.name, f"{self._api_url}/chat.postMessage", payload,
                             timeout=self._timeout, secrets=secrets,
                             headers={"Authorization": f"Bearer {self._bot_token}"})
        require_success(self.name, response, secrets)
        answer = read_json(self.name, response, secrets)
        # Slack's Web API answers 200 with {"ok": false, "error": "channel_not_found"} on failure
        if not answer.get("ok"):
            raise DeliveryError(scrub(f"slack: chat.postMessage: {answer.get('error')}", secrets))
        return answer.get("ts")
