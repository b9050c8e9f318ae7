"""Take secrets out of text that leaves the pipeline (alerts, error messages, attempt logs)."""

from __future__ import annotations

import os
import re
from functools import lru_cache

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
# What each pattern cannot match without (lower case): most texts, such as a scrape's URLs and
# error lines, hold none, and the patterns' backtracking over long hyphenated words cost a
# scrape more than a tenth of a millisecond a URL.
_NEEDS = ((_URL_PASSWORD, ("@",)), (_BEARER, ("bearer",)),
          (_SECRET_PAIR, ("password", "passwd", "pwd", "secret", "token", "key", "auth")),
          (_URL_TOKENS, ("hooks.slack.com/services/", "/bot")))


@lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    return _SECRET_NAMES.search(name) is not None


_names: tuple[frozenset, tuple[str, ...]] = (frozenset(), ())  # (environment keys, secret names)


def _secret_names() -> tuple[str, ...]:
    """The names of the environment's secret variables, worked out again only when the set of
    variables changed: decoding every name at every call cost a scrape a tenth of a
    millisecond a URL. Their values are read at each call."""
    global _names
    keys = os.environ._data.keys()  # the raw names: comparing them decodes nothing
    if keys != _names[0]:
        _names = (frozenset(keys), tuple(n for n in os.environ if _secret_name(n)))
    return _names[1]


def redact(text: str) -> str:
    """`text` with credentials replaced by ***: every value of a secret environment variable,
    passwords in URLs, secret key=value pairs and bearer tokens."""
    for name in _secret_names():  # read now: a secret set after start is redacted too
        if len(value := os.environ.get(name, "")) >= 6:
            text = text.replace(value, "***")
    lowered = text.lower()
    for pattern, needs in _NEEDS:
        if any(word in lowered for word in needs):
            text = pattern.sub(lambda m: m.group("head") + "***", text)
    return text
