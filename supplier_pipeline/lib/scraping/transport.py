"""One HTTP exchange within the supplier's limits, and every way it can fail named as a fetch
outcome.

httpx bounds each read and connect, not the whole answer: a server that trickles a byte a
second, a gzip bomb or an endless redirect chain would hold a scrape or its memory forever.
Here the answer is read as a stream, counted after decompression, within one deadline for the
whole exchange, and redirects are followed one hop at a time so that each hop's host is checked
before anything (cookies, a form's body) is sent to it.
"""

from __future__ import annotations

import asyncio
import codecs
from typing import TYPE_CHECKING

import httpx

from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, host_of, redact_text
from supplier_pipeline.lib.suppliers.config import Limits

if TYPE_CHECKING:
    from parsel import Selector

# gzip and deflate unpack at most about 1,000 times a chunk's size, so one 16 KB chunk of a
# bomb is at most 16 MB before it is counted; stacked codings would multiply that (refused).
ACCEPT_ENCODING = "gzip, deflate"
_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class Refused(Exception):
    """The exchange was stopped on purpose (too big, too slow, off-site, looping)."""

    def __init__(self, outcome: Outcome, detail: str):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


async def exchange(client: httpx.AsyncClient, request: httpx.Request, limits: Limits,
                   hosts: SupplierHosts | None) -> httpx.Response:
    """`request` sent, its redirects followed within `hosts` and the redirect limit, and the
    final answer read whole within the size limit, all within the total time limit."""
    try:
        async with asyncio.timeout(limits.total_seconds) as deadline:
            return await _follow(client, request, limits, hosts)
    except TimeoutError:
        if deadline.expired():
            raise Refused(Outcome.TIMEOUT, f"no complete answer within {limits.total_seconds:g}"
                          " s (limits.total_seconds)") from None
        raise


async def _follow(client: httpx.AsyncClient, request: httpx.Request, limits: Limits,
                  hosts: SupplierHosts | None) -> httpx.Response:
    for _ in range(limits.max_redirects + 1):
        response = await client.send(request, stream=True)
        try:
            if response.next_request is None:
                return await _read_bounded(response, int(limits.max_body_mb * 1024 * 1024))
            request = response.next_request
        finally:
            await response.aclose()
        if hosts is not None and not hosts.allows(str(request.url)):
            raise Refused(Outcome.OFF_SITE, f"redirect to {host_of(str(request.url))!r} refused: "
                          f"not one of the supplier's hosts ({hosts})")
    raise Refused(Outcome.TOO_MANY_REDIRECTS,
                  f"more than {limits.max_redirects} redirects (a redirect loop?)")


class PageText(str):
    """A response's text that still holds the UTF-8 bytes it was decoded from (`utf8`, None
    when the answer was not clean UTF-8), so that parsing a page or looking through its
    markup does not encode 60 KB of text back into the same bytes; and, once parsed, its
    tree (`tree`, see extract.parsed)."""

    utf8: bytes | None
    tree: Selector | None

    def __new__(cls, text: str, utf8: bytes | None) -> PageText:
        page = super().__new__(cls, text)
        page.utf8, page.tree = utf8, None
        return page


class _Answer(httpx.Response):
    """A response read within the limits: its text is a PageText."""

    @property
    def text(self) -> str:
        text = super().text
        if not isinstance(text, PageText):
            clean = (codecs.lookup(self.encoding or "utf-8").name == "utf-8"
                     and "\ufffd" not in text)
            text = self._text = PageText(text, self.content if clean else None)
        return text


async def _read_bounded(response: httpx.Response, max_bytes: int) -> httpx.Response:
    """The answer with its body read, or Refused once the body outgrows `max_bytes`."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")
               if c.strip().lower() not in ("", "identity")]
    if len(codings) > 1:
        raise Refused(Outcome.HTTP_ERROR,
                      f"stacked content encodings refused ({', '.join(codings)})")
    too_large = Refused(Outcome.TOO_LARGE, f"answer larger than {max_bytes / 2**20:g} MB "
                        "after decompression (limits.max_body_mb)")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    size, chunks = 0, []
    async for chunk in response.aiter_bytes():  # decoded: counts what decompression makes
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    # The body is decoded already: the new response must not decode it again.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return _Answer(response.status_code, headers=headers, content=b"".join(chunks),
                   request=response.request, extensions=response.extensions)


def transport_outcome(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome and a redacted detail for whatever a request raised. httpx-aiohttp turns
    aiohttp's errors into httpx's by class, and calls a dropped connection a ConnectTimeout;
    the aiohttp error it wraps says what happened, so that one is judged."""
    if isinstance(exc, Refused):
        return exc.outcome, redact_text(exc.detail)
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) and exc.__cause__ else exc
    timed_out = isinstance(cause, TimeoutError) or (
        cause is exc and isinstance(exc, httpx.TimeoutException))
    message = (str(cause).strip().splitlines() or [""])[0][:200]
    detail = f"{type(cause).__name__}: {message}" if message else type(cause).__name__
    return (Outcome.TIMEOUT if timed_out else Outcome.HTTP_ERROR), redact_text(detail)
