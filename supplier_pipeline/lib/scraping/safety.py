"""Where a scrape may go and what it may write down.

A supplier's pages are not trusted: a link, a redirect or a login form's action may point
anywhere, and a URL may carry a secret (price-list links often hold `?key=` or `?token=`).
Requests go only to the supplier's own hosts, credentials only to its base URL's origin and
over https (loopback aside), and every URL or error text is redacted before it is stored or
logged.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from supplier_pipeline.lib.alerting.redact import redact

# A query or path parameter is secret when one of its words is one of these (access_token,
# apiKey, X-Amz-Signature, jsessionid); `keyword` or `design` are not.
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "pwd", "pass", "signature",
                 "sig", "auth", "authorization", "session", "sessionid", "sid", "credential",
                 "credentials")
_SECRET_ENDINGS = ("key", "token", "secret", "password", "signature", "sessionid")
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# A URL with no user info, query, fragment or `;` path parameters, which splitting and
# joining would give back unchanged: taking it apart cost a listing's offer a tenth of its CPU.
_PLAIN_URL = re.compile(r"https?://[^/?#;@\s]+(?:/[^?#;@\s]*)?")


def _secret_name(name: str) -> bool:
    words = re.split(r"[^a-z0-9]+", _CAMEL.sub("_", name).lower())
    return any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words if w)


def _redact_pairs(text: str, separator: str) -> str:
    pairs = []
    for pair in text.split(separator):
        name, equals, value = pair.partition("=")
        pairs.append(f"{name}=***" if equals and value and _secret_name(name) else pair)
    return separator.join(pairs)


def redact_url(url: str) -> str:
    """`url` without its secrets: user info, and the values of parameters whose names say
    they are secret (query and `;name=value` path parameters), then `redact`'s rules."""
    if _PLAIN_URL.fullmatch(url):  # most of a scrape's URLs: nothing to take apart
        return redact(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    segments = [_redact_pairs(s, ";") if ";" in s else s for s in parts.path.split("/")]
    cleaned = urlunsplit((parts.scheme, netloc, "/".join(segments),
                          _redact_pairs(parts.query, "&"), parts.fragment))
    return redact(cleaned)


def redact_text(text: str) -> str:
    """Error texts and log lines: every URL in them redacted, then `redact`'s rules."""
    return redact(_URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # an unparseable port matches no origin
    return scheme, host_of(url), port or {"http": 80, "https": 443}.get(scheme)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SupplierHosts:
    """The hosts a supplier's scrape may talk to: its base URL's and its `allowed_hosts`
    (`*.example.com` for sub-domains). Ports are not compared: one shop, one host name."""

    def __init__(self, base_url: str, allowed: Iterable[str] = ()):
        names = [host_of(base_url)] + [h.lower().rstrip(".") for h in allowed]
        self.exact = {n for n in names if n and not n.startswith("*.")}
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    def allows(self, url: str) -> bool:
        host = host_of(url)
        return host in self.exact or any(host.endswith(s) for s in self.suffixes)

    def __str__(self) -> str:
        return ", ".join(sorted(self.exact) + ["*" + s for s in self.suffixes])
