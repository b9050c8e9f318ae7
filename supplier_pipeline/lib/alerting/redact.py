"""Take secrets out of text that leaves the pipeline (alerts, error messages, attempt logs)."""

from __future__ import annotations

import os
import re

# scheme://user:password@host -> scheme://user:***@host (DSNs, URLs with credentials)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)", re.I)
# key=value and key: value pairs whose key names a secret (password=..., "token": "...")
_SECRET_PAIR = re.compile(
    r"(?P<head>\b[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)"
    r"[\w-]*[\"']?\s*[=:]\s*[\"']?)(?!Bearer\b|Basic\b|\*\*\*)[^\s\"'&,;)\]}]+", re.I)
_BEARER = re.compile(r"(?P<head>\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.I)
# Slack webhook paths and Telegram bot tokens travel inside URLs
_URL_TOKENS = re.compile(r"(?P<head>hooks\.slack\.com/services/|/bot)[A-Za-z0-9:_/-]{8,}")
# environment variables whose value is a secret: their values are removed wherever they appear
_SECRET_NAMES = re.compile(r"(PASSWORD|TOKEN|SECRET|DSN|WEBHOOK_URL|API_KEY)$")


def redact(text: str) -> str:
    """`text` with credentials replaced by ***: every value of a secret environment variable,
    passwords in URLs, secret key=value pairs and bearer tokens."""
    for name, value in os.environ.items():
        if _SECRET_NAMES.search(name) and len(value) >= 6:
            text = text.replace(value, "***")
    for pattern in (_URL_PASSWORD, _BEARER, _SECRET_PAIR, _URL_TOKENS):
        text = pattern.sub(lambda m: m.group("head") + "***", text)
    return text
