"""E-mail over SMTP with STARTTLS: a plain-text part, and an HTML part whose table makes a
digest readable."""

from __future__ import annotations

import html
import ipaddress
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from supplier_pipeline.lib.alerting.channels._http import scrub
from supplier_pipeline.lib.alerting.message import DeliveryError, Message, Recipient

# characters RFC 5322 allows in the left part of a Message-ID
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _html(message: Message) -> str:
    if len(message.lines) > 1:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(value or '')}</td>" for value in
                             (line.severity, line.supplier, line.part, line.text)) + "</tr>"
            for line in message.lines)
        body = ("<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>Severity</th>"
                f"<th>Supplier</th><th>Part</th><th>What happened</th></tr>{rows}</table>")
    else:
        body = "<p>" + html.escape(message.text).replace("\n", "<br>\n") + "</p>"
    if message.link:
        link = html.escape(message.link, quote=True)
        body += f'\n<p><a href="{link}">Open in Dagster</a></p>'
    return f"<html><body>\n<h3>{html.escape(message.subject)}</h3>\n{body}\n</body></html>\n"


def build_email(message: Message, sender: str, to: str) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = to
    email["Date"] = formatdate(localtime=True)
    # the same on every attempt, so a retried send is recognisably the same message
    email["Message-ID"] = f"<{_NOT_ATEXT.sub('-', message.key)}@supplier-pipeline>"
    email.set_content(message.text + (f"\n\n{message.link}\n" if message.link else "\n"))
    email.add_alternative(_html(message), subtype="html")
    return email


class EmailChannel:
    name = "email"

    def __init__(self, *, host: str, sender: str, timeout: float, port: int | None = None,
                 user: str | None = None, password: str | None = None,
                 starttls: bool | None = None, ca_file: str | None = None) -> None:
        self._host, self._port, self._sender = host, port or 587, sender
        self._user, self._password = user, password
        self._starttls = starttls is not False  # on unless explicitly turned off
        self._ca_file, self._timeout = ca_file, timeout

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, message: Message, recipient: Recipient) -> str | None:
        login = bool(self._user and self._password)
        if login and not self._starttls and not _is_loopback(self._host):
            raise DeliveryError(
                f"email: refusing to log in to {self._host} without STARTTLS: plain SMTP would "
                "expose the password on the network (set SMTP_STARTTLS, or use a relay on "
                "this machine)")
        email = build_email(message, self._sender, recipient.email)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    # verifies the certificate and the host name; an internal relay's CA via
                    # smtp_ca_file, else the system's trust store
                    smtp.starttls(context=ssl.create_default_context(cafile=self._ca_file))
                if login:
                    smtp.login(self._user, self._password)
                smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            raise DeliveryError(scrub(f"email: {type(exc).__name__}: {exc}",
                                      (self._password,))) from None
        return None
