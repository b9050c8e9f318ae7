"""What every HTTP channel does the same way: POST JSON, and turn failures into DeliveryErrors
that carry no secret."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from supplier_pipeline.lib.alerting.message import DeliveryError
from supplier_pipeline.lib.alerting.redact import redact


def scrub(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """`text` without the channel's own secrets (they may not come from a variable redact()
    knows, e.g. a token typed into dg.EnvVar under another name) and without what redact() finds."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact(text)


def url_secrets(url: str) -> tuple[str, ...]:
    """A webhook URL is itself the credential, and an error page may echo only its path."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return (url, path) if len(path) > 1 else (url,)


def post_json(channel: str, url: str, payload: dict, *, timeout: float,
              headers: dict[str, str] | None = None,
              secrets: tuple[str | None, ...] = ()) -> httpx.Response:
    """POST `payload` and return the answer, whatever its status; a transport failure is a
    DeliveryError. `from None`: httpx's exception carries the URL (a token for Slack webhooks
    and Telegram), and a chained cause would print it in the traceback."""
    try:
        return httpx.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(scrub(f"{channel}: {type(exc).__name__}: {exc}", secrets)) from None


def require_success(channel: str, response: httpx.Response,
                    secrets: tuple[str | None, ...] = ()) -> None:
    if not response.is_success:
        raise DeliveryError(scrub(
            f"{channel}: HTTP {response.status_code}: {response.text[:300]}", secrets))


def read_json(channel: str, response: httpx.Response,
              secrets: tuple[str | None, ...] = ()) -> dict:
    """The answer's JSON object; anything else (a proxy's HTML error page) is a DeliveryError."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DeliveryError(scrub(
            f"{channel}: HTTP {response.status_code}, not a JSON object: {response.text[:300]}",
            secrets))
    return body
