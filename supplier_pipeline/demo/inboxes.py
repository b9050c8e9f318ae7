"""Local stand-ins for where alerts go, on 127.0.0.1: the team's webhook, an SMTP server for the
owner's e-mail, and the WhatsApp Business Cloud API. They keep what they receive, so `make demo`
and the tests can show it."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.webhook import build_app as webhook_app

WHATSAPP_VERSION = "v21.0"
PHONE_NUMBER_ID = "100000000000001"


@dataclass
class Inboxes:
    webhook: list[dict] = field(default_factory=list)  # JSON payloads
    emails: list = field(default_factory=list)  # email.message.EmailMessage
    whatsapp: list[dict] = field(default_factory=list)  # Cloud API request bodies


def whatsapp_app(received: list[dict], token: str) -> Starlette:
    """Answers POST /v21.0/{phone-number-id}/messages as the Cloud API does."""

    async def messages(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": {"message": "Invalid OAuth access token.",
                                           "type": "OAuthException", "code": 190}}, 401)
        body = await request.json()
        received.append(body)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": f"wamid.demo{len(received)}"}]})

    return Starlette(routes=[Route(f"/{WHATSAPP_VERSION}/{PHONE_NUMBER_ID}/messages", messages,
                                   methods=["POST"])])


class _Mailbox:
    def __init__(self, received: list) -> None:
        self.received = received

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    # aiosmtpd checks its server by connecting to the port it was given: it cannot take 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def alert_inboxes() -> Iterator[tuple[Inboxes, dict[str, str]]]:
    """The three stand-ins, running, and the environment that points the channels at them."""
    from aiosmtpd.controller import Controller  # a dev dependency: only the demo and tests

    inboxes = Inboxes()
    token = secrets.token_urlsafe(24)  # made up for this run: the stand-in checks it
    webhook = BackgroundServer(webhook_app(inboxes.webhook)).start()
    whatsapp = BackgroundServer(whatsapp_app(inboxes.whatsapp, token)).start()
    smtp = Controller(_Mailbox(inboxes.emails), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    environment = {
        "ALERT_WEBHOOK_URL": f"{webhook.url}/hook",
        # a relay on this machine: plain SMTP without a login (never allowed to another host)
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
        "SMTP_FROM": "supplier-pipeline@repair-shop.example",
        "WHATSAPP_API_URL": f"{whatsapp.url}/{WHATSAPP_VERSION}",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, "WHATSAPP_TOKEN": token,
        "WHATSAPP_TEMPLATE": "supplier_alert", "WHATSAPP_TEMPLATE_LANGUAGE": "it",
    }
    try:
        yield inboxes, environment
    finally:
        smtp.stop()
        whatsapp.stop()
        webhook.stop()
