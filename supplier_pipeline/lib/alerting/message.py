"""What a channel is given to deliver: one message for one recipient, and the interface every
channel implements (lib/alerting/channels/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Recipient:
    """A person or team alerts go to, with an address on each channel they use (from the rules
    file; addresses are not secrets, tokens and passwords are)."""

    name: str
    email: str | None = None
    whatsapp: str | None = None  # E.164 phone number, "+393331234567"
    slack_channel: str | None = None  # only for a Slack bot token; an incoming webhook has one
    telegram_chat_id: str | None = None


@dataclass(frozen=True)
class Line:
    """One alert inside a message: a digest has many, an instant message one."""

    severity: str  # "high" | "normal" | "low"
    kind: str  # the event kind: price_up, out_of_stock, data_stale, po_waiting...
    supplier: str | None
    part: str | None
    text: str  # one line, already saying what it means ("... 3 repairs are waiting for it")


@dataclass(frozen=True)
class Message:
    """One delivery. `key` is the same on every attempt of the same delivery: channels that
    support idempotency send it (header, Message-ID...) so a retry after a crash between
    "sent" and "recorded" is dropped by the receiver."""

    key: str
    subject: str  # one line, no newline
    text: str  # plain-text body (several lines for a digest)
    lines: tuple[Line, ...] = field(default_factory=tuple)
    link: str | None = None  # the asset or run in the Dagster UI, when its base URL is set

    @property
    def severity(self) -> str:
        order = {"high": 0, "normal": 1, "low": 2}
        return min((line.severity for line in self.lines), key=order.get, default="normal")


class DeliveryError(Exception):
    """The channel did not take the message; the outbox keeps it and tries again later.
    Messages never contain a secret (tokens, passwords, webhook URLs are redacted)."""


class Channel(Protocol):
    name: str

    def reaches(self, recipient: Recipient) -> bool:
        """Whether this recipient has an address on this channel."""

    def send(self, message: Message, recipient: Recipient) -> str | None:
        """Deliver or raise DeliveryError; returns the provider's message id when it gives one."""
