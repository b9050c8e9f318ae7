"""The channels alerts are delivered on, each behind the Channel interface of message.py, and
which of them the settings configure. Settings come from the caller (the Dagster resource reads
them from the environment): nothing here reads os.environ."""

from __future__ import annotations

from dataclasses import dataclass

from supplier_pipeline.lib.alerting.channels.email import EmailChannel
from supplier_pipeline.lib.alerting.channels.slack import SlackChannel
from supplier_pipeline.lib.alerting.channels.telegram import TelegramChannel
from supplier_pipeline.lib.alerting.channels.webhook import WebhookChannel
from supplier_pipeline.lib.alerting.channels.whatsapp import WhatsAppChannel
from supplier_pipeline.lib.alerting.message import Channel


@dataclass(frozen=True)
class ChannelSettings:
    """None = unset. A channel is configured when its address setting is present (webhook_url,
    slack_webhook_url or slack_bot_token, smtp_host, whatsapp_token, telegram_bot_token)."""

    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None  # wins over slack_webhook_url when both are set
    slack_api_url: str | None = None  # default https://slack.com/api
    slack_channel: str | None = None  # for recipients without their own slack_channel
    smtp_host: str | None = None
    smtp_port: int | None = None  # default 587
    smtp_user: str | None = None
    smtp_password: str | None = None  # logs in only when user and password are both set
    smtp_from: str | None = None
    smtp_starttls: bool | None = None  # default True; off only for a relay on this machine
    smtp_ca_file: str | None = None  # CA bundle of an internal relay; default the system's
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str | None = None  # default https://graph.facebook.com/v21.0
    whatsapp_template: str | None = None  # needed to write first (outside the 24-hour window)
    whatsapp_template_language: str | None = None  # default "it"
    telegram_bot_token: str | None = None
    telegram_api_url: str | None = None  # default https://api.telegram.org
    timeout_seconds: float = 10.0


def _require(settings: ChannelSettings, channel: str, *names: str) -> None:
    """A half-configured channel is a mistake to report, not a channel to drop silently."""
    missing = [name for name in names if getattr(settings, name) is None]
    if missing:
        raise ValueError(f"alert channel {channel} is configured but {', '.join(missing)} "
                         "is not set")


def configured_channels(settings: ChannelSettings) -> dict[str, Channel]:
    s, timeout = settings, settings.timeout_seconds
    channels: dict[str, Channel] = {}
    if s.webhook_url:
        channels["webhook"] = WebhookChannel(s.webhook_url, timeout=timeout)
    if s.slack_bot_token or s.slack_webhook_url:
        channels["slack"] = SlackChannel(
            timeout=timeout, webhook_url=s.slack_webhook_url, bot_token=s.slack_bot_token,
            api_url=s.slack_api_url, default_channel=s.slack_channel)
    if s.smtp_host:
        _require(s, "email", "smtp_from")
        channels["email"] = EmailChannel(
            host=s.smtp_host, sender=s.smtp_from, timeout=timeout, port=s.smtp_port,
            user=s.smtp_user, password=s.smtp_password, starttls=s.smtp_starttls,
            ca_file=s.smtp_ca_file)
    if s.whatsapp_token:
        _require(s, "whatsapp", "whatsapp_phone_number_id")
        channels["whatsapp"] = WhatsAppChannel(
            token=s.whatsapp_token, phone_number_id=s.whatsapp_phone_number_id, timeout=timeout,
            api_url=s.whatsapp_api_url, template=s.whatsapp_template,
            template_language=s.whatsapp_template_language)
    if s.telegram_bot_token:
        channels["telegram"] = TelegramChannel(
            token=s.telegram_bot_token, timeout=timeout, api_url=s.telegram_api_url)
    return channels


def channel_settings(values: dict) -> ChannelSettings:
    """ChannelSettings from text settings (the environment's): a port number, STARTTLS as
    true/false; keys that are not channel settings are ignored."""
    names = set(ChannelSettings.__dataclass_fields__) - {"timeout_seconds"}
    chosen = {name: values[name] for name in names if values.get(name) not in (None, "")}
    if "smtp_port" in chosen:
        try:
            chosen["smtp_port"] = int(chosen["smtp_port"])
        except ValueError:
            raise ValueError(f"SMTP_PORT must be a number, not {chosen['smtp_port']!r}") from None
    if "smtp_starttls" in chosen:
        flag = str(chosen["smtp_starttls"]).strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"SMTP_STARTTLS must be true or false, not {flag!r}")
        chosen["smtp_starttls"] = flag in ("true", "1", "yes", "on")
    return ChannelSettings(**chosen)
