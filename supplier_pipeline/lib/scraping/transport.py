"""One HTTP exchange within the supplier's limits, and every way it can fail named as a fetch
outcome.

A client bounds each read and connect, not the whole answer: a server that trickles a byte a
second, a gzip bomb or an endless redirect chain would hold a scrape or its memory forever.
Here the answer is read as a stream, counted after decompression, within one deadline for the
whole exchange, and redirects are followed one hop at a time so that each hop's host is checked
before anything (cookies, a form's body) is sent to it.

The exchange runs on aiohttp's connection pool, C HTTP parser and cookie jar, and hands its
callers an httpx.Response: httpx's own client on top of aiohttp (httpx-aiohttp) cost some
0.6 ms of CPU a request, an eighth of a heavy page's.
"""

from __future__ import annotations

import asyncio
import codecs
from typing import TYPE_CHECKING

import aiohttp
import httpx
from httpx._decoders import SUPPORTED_DECODERS  # httpx's content decoders, as httpx reads
from yarl import URL

from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, host_of, redact_text
from supplier_pipeline.lib.suppliers.config import Limits

if TYPE_CHECKING:
    from parsel import Selector

# gzip and deflate unpack at most about 1,000 times a chunk's size, so one 16 KB chunk of a
# bomb is at most 16 MB before it is counted; stacked codings would multiply that (refused).
ACCEPT_ENCODING = "gzip, deflate"
CHUNK_BYTES = 16 * 1024
_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
REDIRECTS = {301, 302, 303, 307, 308}


class Refused(Exception):
    """The exchange was stopped on purpose (too big, too slow, off-site, looping)."""

    def __init__(self, outcome: Outcome, detail: str):
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


async def exchange(session: aiohttp.ClientSession, method: str, url: httpx.URL, limits: Limits,
                   hosts: SupplierHosts | None, data: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
    """The request sent, its redirects followed within `hosts` and the redirect limit, and the
    final answer read whole within the size limit, all within the total time limit."""
    try:
        async with asyncio.timeout(limits.total_seconds) as deadline:
            return await _follow(session, method, url, limits, hosts, data, headers)
    except TimeoutError:
        if deadline.expired():
            raise Refused(Outcome.TIMEOUT, f"no complete answer within {limits.total_seconds:g}"
                          " s (limits.total_seconds)") from None
        raise


async def _follow(session: aiohttp.ClientSession, method: str, url: httpx.URL, limits: Limits,
                  hosts: SupplierHosts | None, data: dict[str, str] | None,
                  headers: dict[str, str] | None) -> httpx.Response:
    for _ in range(limits.max_redirects + 1):
        async with session.request(method, URL(str(url), encoded=True), data=data,
                                   headers=headers, allow_redirects=False) as answer:
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or location is None:
                return await _read_bounded(answer, httpx.Request(method, url),
                                           int(limits.max_body_mb * 1024 * 1024))
        url, method, data, headers = _redirected(url, location, answer.status, method, data,
                                                 headers)
        if hosts is not None and not hosts.allows(str(url)):
            raise Refused(Outcome.OFF_SITE, f"redirect to {host_of(str(url))!r} refused: "
                          f"not one of the supplier's hosts ({hosts})")
    raise Refused(Outcome.TOO_MANY_REDIRECTS,
                  f"more than {limits.max_redirects} redirects (a redirect loop?)")


def _redirected(url: httpx.URL, location: str, status: int, method: str,
                data: dict[str, str] | None, headers: dict[str, str] | None
                ) -> tuple[httpx.URL, str, dict[str, str] | None, dict[str, str] | None]:
    """The next hop as a browser (and httpx) makes it: a 303, or a 301/302 after a POST,
    becomes a GET without the body; credentials in headers do not travel to another origin."""
    target = url.join(location)
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, data = "GET", None
    if headers and (target.scheme, target.host, target.port) != (url.scheme, url.host, url.port):
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    return target, method, data, headers


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


async def _read_bounded(answer: aiohttp.ClientResponse, request: httpx.Request,
                        max_bytes: int) -> httpx.Response:
    """The answer with its body read and decoded, or Refused once the decoded body outgrows
    `max_bytes`. A coding httpx does not know is kept as sent, as httpx does."""
    codings = [c.strip().lower() for c in answer.headers.get("content-encoding", "").split(",")
               if c.strip().lower() not in ("", "identity")]
    if len(codings) > 1:
        raise Refused(Outcome.HTTP_ERROR,
                      f"stacked content encodings refused ({', '.join(codings)})")
    too_large = Refused(Outcome.TOO_LARGE, f"answer larger than {max_bytes / 2**20:g} MB "
                        "after decompression (limits.max_body_mb)")
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    decoder = SUPPORTED_DECODERS[codings[0]]() if codings and codings[0] in SUPPORTED_DECODERS \
        else None
    size, chunks = 0, []
    async for raw in answer.content.iter_chunked(CHUNK_BYTES):
        chunk = decoder.decode(raw) if decoder else raw  # counts what decompression makes
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    if decoder and (tail := decoder.flush()):
        if size + len(tail) > max_bytes:
            raise too_large
        chunks.append(tail)
    # The body is decoded already: the response must not decode it again.
    headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in _BODY_HEADERS]
    return _Answer(answer.status, headers=headers, content=b"".join(chunks), request=request)


def transport_outcome(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome and a redacted detail for whatever a request raised: aiohttp's errors as
    they are (a timeout is one of its TimeoutErrors), httpx's (a body that does not decode)
    by the error they wrap."""
    if isinstance(exc, Refused):
        return exc.outcome, redact_text(exc.detail)
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) and exc.__cause__ else exc
    timed_out = isinstance(cause, TimeoutError)
    message = (str(cause).strip().splitlines() or [""])[0][:200]
    detail = f"{type(cause).__name__}: {message}" if message else type(cause).__name__
    return (Outcome.TIMEOUT if timed_out else Outcome.HTTP_ERROR), redact_text(detail)
