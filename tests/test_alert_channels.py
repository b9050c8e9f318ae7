"""The alert channels against real servers on 127.0.0.1: an HTTP server standing in for the
webhook, Slack, WhatsApp Cloud API and Telegram endpoints (answering as they document), and an
aiosmtpd SMTP server that requires STARTTLS and AUTH."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import smtplib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from supplier_pipeline.lib.alerting.channels import ChannelSettings, configured_channels
from supplier_pipeline.lib.alerting.channels.email import EmailChannel
from supplier_pipeline.lib.alerting.channels.slack import MAX_BLOCKS, SlackChannel
from supplier_pipeline.lib.alerting.channels.telegram import TelegramChannel
from supplier_pipeline.lib.alerting.channels.webhook import WebhookChannel
from supplier_pipeline.lib.alerting.channels.whatsapp import PARAMETER_MAX, WhatsAppChannel
from supplier_pipeline.lib.alerting.message import DeliveryError, Line, Message, Recipient

OWNER = Recipient("Owner", email="owner@shop.invalid", whatsapp="+393331234567",
                  slack_channel="#acquisti", telegram_chat_id="-100123")
INSTANT = Message(
    key="alert-7f3a", subject="Price up: iPhone 12 display <OLED> at Ricambi & Co",
    text="Display <OLED> & frame: 89,00 → 99,00 (+11%); 3 repairs are waiting for it",
    lines=(Line("high", "price_up", "Ricambi & Co", "IP12-OLED",
                "Display <OLED> & frame: 89,00 → 99,00 (+11%)"),),
    link="http://dagster.local/assets/offers?a=1&b=2")


def digest(count: int, suppliers: int) -> Message:
    lines = tuple(Line("normal" if i % 3 else "high", "price_up", f"Supplier {i % suppliers}",
                       f"PART-{i}", f"Part {i} <script>alert(1)</script> went up by {i}%")
                  for i in range(count))
    return Message(key="digest-2024-05-06", subject=f"{count} supplier changes",
                   text="\n".join(line.text for line in lines), lines=lines)


class FakeApi:
    """An HTTP server on 127.0.0.1 that keeps each request and answers with `respond`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.respond = lambda request: (200, {"ok": True})
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                request = {"path": self.path, "json": json.loads(raw),
                           "headers": {k.lower(): v for k, v in self.headers.items()}}
                api.requests.append(request)
                status, answer = api.respond(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.close()


# --- webhook -------------------------------------------------------------------------------


def test_webhook_posts_the_alerts_with_an_idempotency_key(api):
    WebhookChannel(f"{api.url}/hook", timeout=5).send(INSTANT, OWNER)
    (request,) = api.requests
    assert request["path"] == "/hook"
    assert request["headers"]["idempotency-key"] == "alert-7f3a"
    assert request["json"] == {
        "text": f"{INSTANT.subject}\n{INSTANT.text}", "subject": INSTANT.subject,
        "severity": "high", "key": "alert-7f3a", "link": INSTANT.link,
        "alerts": [{"severity": "high", "kind": "price_up", "supplier": "Ricambi & Co",
                    "part": "IP12-OLED", "text": "Display <OLED> & frame: 89,00 → 99,00 (+11%)"}]}


def test_webhook_error_names_the_status_without_the_secret_url(api):
    api.respond = lambda request: (500, {"error": f"cannot route {request['path']}"})
    channel = WebhookChannel(f"{api.url}/hooks/T0KEN-abcdef123456", timeout=5)
    with pytest.raises(DeliveryError) as error:
        channel.send(INSTANT, OWNER)
    assert "HTTP 500" in str(error.value)
    assert "T0KEN-abcdef123456" not in str(error.value)


# --- Slack ---------------------------------------------------------------------------------


def test_slack_webhook_sends_block_kit_with_escaped_mrkdwn(api):
    SlackChannel(webhook_url=f"{api.url}/services/T000/B000/XXXX", timeout=5).send(INSTANT, OWNER)
    payload = api.requests[0]["json"]
    header, section, link = payload["blocks"]
    # plain_text is shown as written; mrkdwn has Slack's control characters escaped
    assert header == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                 "text": INSTANT.subject}}
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "Display &lt;OLED&gt; &amp; frame" in section["text"]["text"]
    assert "<" not in section["text"]["text"]
    assert link["type"] == "context"
    assert link["elements"][0]["text"] == (
        "<http://dagster.local/assets/offers?a=1&amp;b=2|Open in Dagster>")
    assert payload["text"].startswith("Price up: iPhone 12 display &lt;OLED&gt; at Ricambi &amp;")


def test_slack_header_is_cut_to_slacks_limit(api):
    long = Message(key="k", subject="x" * 400, text="body")
    SlackChannel(webhook_url=f"{api.url}/hook", timeout=5).send(long, OWNER)
    header_text = api.requests[0]["json"]["blocks"][0]["text"]["text"]
    assert len(header_text) == 150 and header_text.endswith("…")


def test_slack_digest_stays_within_slacks_block_limit_and_says_what_is_left_out(api):
    big = digest(200, suppliers=200)  # one section per supplier: more than fit
    SlackChannel(webhook_url=f"{api.url}/hook", timeout=5).send(big, OWNER)
    blocks = api.requests[0]["json"]["blocks"]
    assert len(blocks) <= MAX_BLOCKS < 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    shown = sum(text.count("\n• ") for text in sections)
    assert blocks[-1] == {"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"… and {200 - shown} more"}]}
    assert 0 < shown < 200


def test_slack_digest_groups_lines_by_supplier(api):
    SlackChannel(webhook_url=f"{api.url}/hook", timeout=5).send(digest(6, suppliers=2), OWNER)
    sections = [b["text"]["text"] for b in api.requests[0]["json"]["blocks"]
                if b["type"] == "section"]
    assert [text.split("\n")[0] for text in sections] == ["*Supplier 0*", "*Supplier 1*"]
    assert all(text.count("\n• ") == 3 for text in sections)
    assert ":red_circle: Part 0 &lt;script&gt;" in sections[0]
    assert not any(b["type"] == "context" for b in api.requests[0]["json"]["blocks"])


def test_slack_bot_posts_to_the_recipients_channel_with_its_token(api):
    api.respond = lambda request: (200, {"ok": True, "channel": "C1", "ts": "1715000000.000100"})
    channel = SlackChannel(bot_token="xoxb-test-token-123", api_url=f"{api.url}/api",
                           default_channel="#alerts", timeout=5)
    assert channel.send(INSTANT, OWNER) == "1715000000.000100"
    channel.send(INSTANT, Recipient("Shop"))
    first, second = api.requests
    assert first["path"] == "/api/chat.postMessage"
    assert first["headers"]["authorization"] == "Bearer xoxb-test-token-123"
    assert first["json"]["channel"] == "#acquisti"
    assert second["json"]["channel"] == "#alerts"
    assert first["json"]["blocks"][0]["type"] == "header"


def test_slack_bot_reaches_only_recipients_with_a_channel():
    without_default = SlackChannel(bot_token="xoxb-t", timeout=5)
    assert without_default.reaches(OWNER) and not without_default.reaches(Recipient("Shop"))
    assert SlackChannel(webhook_url="http://127.0.0.1:9/hook", timeout=5).reaches(
        Recipient("Shop"))


def test_slack_bot_error_in_an_http_200_answer_is_a_delivery_error(api):
    api.respond = lambda request: (200, {"ok": False, "error": "channel_not_found"})
    channel = SlackChannel(bot_token="xoxb-test-token-123", api_url=f"{api.url}/api", timeout=5)
    with pytest.raises(DeliveryError, match="channel_not_found") as error:
        channel.send(INSTANT, OWNER)
    assert "xoxb-test-token-123" not in str(error.value)


# --- e-mail --------------------------------------------------------------------------------

SMTP_USER, SMTP_PASSWORD = "alerts", "right-password-42"


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, envelope.original_content))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    # handled=False: aiosmtpd then answers 535 itself (handled=True would leave it to us)
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd on 127.0.0.1 that refuses mail before STARTTLS and AUTH before TLS."""
    cert_file, key_file = _self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=tls,
                            require_starttls=True, authenticator=_authenticate,
                            auth_require_tls=True)
    controller.start()
    yield mailbox, port, str(cert_file)
    controller.stop()


def _email_channel(port, ca_file, password=SMTP_PASSWORD, **kwargs):
    return EmailChannel(host="127.0.0.1", port=port, sender="pipeline@shop.invalid",
                        user=SMTP_USER, password=password, ca_file=ca_file, timeout=10, **kwargs)


def test_email_arrives_over_starttls_with_text_and_html_and_a_stable_message_id(smtp_server):
    mailbox, port, ca_file = smtp_server
    _email_channel(port, ca_file).send(digest(3, suppliers=2), OWNER)
    ((rcpt_tos, raw),) = mailbox.received
    assert rcpt_tos == ["owner@shop.invalid"]
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Subject"] == "3 supplier changes"
    assert received["Message-ID"] == "<digest-2024-05-06@supplier-pipeline>"
    assert received.get_content_type() == "multipart/alternative"
    assert "Part 2 <script>alert(1)</script> went up" in received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "<th>Severity</th><th>Supplier</th><th>Part</th><th>What happened</th>" in html
    assert "<td>high</td><td>Supplier 0</td><td>PART-0</td>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_email_wrong_password_is_a_delivery_error_without_the_password(smtp_server):
    mailbox, port, ca_file = smtp_server
    with pytest.raises(DeliveryError, match="SMTPAuthenticationError") as error:
        _email_channel(port, ca_file, password="wrong-password-77").send(INSTANT, OWNER)
    assert "wrong-password-77" not in str(error.value)
    assert mailbox.received == []


def test_email_does_not_trust_an_unknown_certificate(smtp_server):
    mailbox, port, _ = smtp_server
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
        _email_channel(port, None).send(INSTANT, OWNER)
    assert mailbox.received == []


def test_email_refuses_to_log_in_without_starttls_to_another_host(monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("connected before refusing")

    monkeypatch.setattr(smtplib, "SMTP", no_connection)
    channel = EmailChannel(host="smtp.example.invalid", sender="p@shop.invalid", user="alerts",
                           password="secret-password-9", starttls=False, timeout=5)
    with pytest.raises(DeliveryError, match="without STARTTLS") as error:
        channel.send(INSTANT, OWNER)
    assert "secret-password-9" not in str(error.value)


# --- WhatsApp ------------------------------------------------------------------------------

WA_TOKEN, WA_PHONE_ID, WAMID = "EAAG-test-token-123", "106540352242922", "wamid.HBgLMzkzMzMx"


def whatsapp_api(request):
    """Answers as the Cloud API does, after checking the request against its documentation."""
    if request["headers"].get("authorization") != f"Bearer {WA_TOKEN}":
        return 401, {"error": {"message": "Invalid OAuth access token.",
                               "type": "OAuthException", "code": 190}}
    body = request["json"]
    assert request["path"] == f"/v21.0/{WA_PHONE_ID}/messages"
    assert body["messaging_product"] == "whatsapp" and body["recipient_type"] == "individual"
    assert body["to"].isdigit()
    if body["type"] == "text":
        assert set(body) == {"messaging_product", "recipient_type", "to", "type", "text"}
        return 400, {"error": {
            "message": "(#131047) Re-engagement message", "type": "OAuthException",
            "code": 131047, "error_data": {"messaging_product": "whatsapp", "details":
                                           "More than 24 hours have passed since the recipient "
                                           "last replied to the sender number."}}}
    assert set(body) == {"messaging_product", "recipient_type", "to", "type", "template"}
    template = body["template"]
    assert set(template) == {"name", "language", "components"}
    assert template["language"] == {"code": "it"}
    (component,) = template["components"]
    assert component["type"] == "body"
    for parameter in component["parameters"]:
        assert parameter["type"] == "text"
        assert "\n" not in parameter["text"] and "\t" not in parameter["text"]
        assert "     " not in parameter["text"]
        assert 0 < len(parameter["text"]) <= PARAMETER_MAX
    return 200, {"messaging_product": "whatsapp",
                 "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                 "messages": [{"id": WAMID}]}


def _whatsapp(api, template="supplier_alert"):
    api.respond = whatsapp_api
    return WhatsAppChannel(token=WA_TOKEN, phone_number_id=WA_PHONE_ID, template=template,
                           api_url=f"{api.url}/v21.0", timeout=5)


def test_whatsapp_sends_the_template_as_the_cloud_api_documents(api):
    assert _whatsapp(api).send(INSTANT, OWNER) == WAMID
    assert api.requests[0]["json"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "393331234567",
        "type": "template", "template": {
            "name": "supplier_alert", "language": {"code": "it"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": INSTANT.subject},
                {"type": "text", "text": "Display <OLED> & frame: 89,00 → 99,00 (+11%)"}]}]}}


def test_whatsapp_template_parameters_are_flattened_and_cut_to_the_limit(api):
    lines = tuple(Line("normal", "price_up", "S", f"P{i}", f"Part {i}\tup\n  by      {i}%")
                  for i in range(100))
    big = Message(key="d", subject="100 changes\n(today)", text="x", lines=lines)
    assert _whatsapp(api).send(big, OWNER) == WAMID
    subject, alerts = api.requests[0]["json"]["template"]["components"][0]["parameters"]
    assert subject["text"] == "100 changes (today)"
    assert alerts["text"].startswith("Part 0 up by 0% · Part 1 up by 1% · ")
    assert len(alerts["text"]) == PARAMETER_MAX and alerts["text"].endswith("…")


def test_whatsapp_text_outside_the_24_hour_window_asks_for_a_template(api):
    with pytest.raises(DeliveryError, match="WHATSAPP_TEMPLATE") as error:
        _whatsapp(api, template=None).send(INSTANT, OWNER)
    assert api.requests[0]["json"]["text"] == {
        "preview_url": False,
        "body": f"{INSTANT.subject}\n{INSTANT.text}\n{INSTANT.link}"}
    assert WA_TOKEN not in str(error.value)


def test_whatsapp_api_errors_carry_code_and_message_without_the_token(api):
    channel = WhatsAppChannel(token="EAAG-wrong-token-456", phone_number_id=WA_PHONE_ID,
                              template="supplier_alert", api_url=f"{api.url}/v21.0", timeout=5)
    api.respond = whatsapp_api
    with pytest.raises(DeliveryError, match="HTTP 401: 190 OAuthException") as error:
        channel.send(INSTANT, OWNER)
    assert "EAAG-wrong-token-456" not in str(error.value)


@pytest.mark.parametrize("number", ["393331234567", "+39 333 1234567", "+0393331234567", "+39"])
def test_whatsapp_rejects_a_number_that_is_not_e164(api, number):
    with pytest.raises(DeliveryError, match="E.164"):
        _whatsapp(api).send(INSTANT, Recipient("Owner", whatsapp=number))
    assert api.requests == []


# --- Telegram ------------------------------------------------------------------------------

TG_TOKEN = "123456789:AAH-test_token-abcdefgh"


def test_telegram_sends_to_the_recipients_chat(api):
    api.respond = lambda request: (200, {"ok": True, "result": {"message_id": 42}})
    channel = TelegramChannel(token=TG_TOKEN, api_url=api.url, timeout=5)
    assert channel.send(INSTANT, OWNER) == "42"
    (request,) = api.requests
    assert request["path"] == f"/bot{TG_TOKEN}/sendMessage"
    assert request["json"] == {"chat_id": "-100123", "disable_web_page_preview": True,
                               "text": f"{INSTANT.subject}\n{INSTANT.text}\n{INSTANT.link}"}


def test_telegram_errors_do_not_show_the_token(api):
    api.respond = lambda request: (404, {"ok": False, "error_code": 404,
                                         "description": f"Not Found: {request['path']}"})
    with pytest.raises(DeliveryError, match="HTTP 404: Not Found") as error:
        TelegramChannel(token=TG_TOKEN, api_url=api.url, timeout=5).send(INSTANT, OWNER)
    assert "AAH-test_token" not in str(error.value)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the connection is refused
    with pytest.raises(DeliveryError, match="ConnectError") as error:
        TelegramChannel(token=TG_TOKEN, api_url=f"http://127.0.0.1:{port}", timeout=5).send(
            INSTANT, OWNER)
    assert "AAH-test_token" not in str(error.value)


# --- which channels are configured ---------------------------------------------------------


def test_configured_channels_are_only_those_with_settings():
    assert configured_channels(ChannelSettings()) == {}
    channels = configured_channels(ChannelSettings(
        webhook_url="http://127.0.0.1:9/hook", slack_bot_token="xoxb-t",
        telegram_bot_token=TG_TOKEN, timeout_seconds=3))
    assert sorted(channels) == ["slack", "telegram", "webhook"]
    assert all(channel.name == name for name, channel in channels.items())
    full = configured_channels(ChannelSettings(
        slack_webhook_url="http://127.0.0.1:9/hook", smtp_host="127.0.0.1",
        smtp_from="p@shop.invalid", whatsapp_token=WA_TOKEN, whatsapp_phone_number_id="1"))
    assert sorted(full) == ["email", "slack", "whatsapp"]
    assert not full["email"].reaches(Recipient("Shop"))
    assert full["whatsapp"].reaches(OWNER)


@pytest.mark.parametrize("settings, missing", [
    (ChannelSettings(smtp_host="mail.shop.invalid"), "smtp_from"),
    (ChannelSettings(whatsapp_token=WA_TOKEN), "whatsapp_phone_number_id"),
])
def test_a_half_configured_channel_is_an_error_naming_the_missing_setting(settings, missing):
    with pytest.raises(ValueError, match=missing):
        configured_channels(settings)
