"""Drills for hostile or broken supplier servers (#16): a gzip bomb, a huge page, a slow-loris
server, redirect loops and redirects to another host, malformed headers, feeds that loop or
answer HTML, login forms that point elsewhere, logins over plain http, secrets in URLs.

The server is a raw HTTP/1.1 server on 127.0.0.1 whose routes write bytes, so that an answer
can be as broken as a real hostile server's. `localhost` reaches the same server under another
host name: that is "another host" here, and the server records which host each request named,
so a test can prove that nothing was sent there.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts, redact_text, redact_url
from supplier_pipeline.lib.scraping.scrape import scrape
from supplier_pipeline.lib.scraping.session import CookieStore
from supplier_pipeline.lib.suppliers.config import Limits, Politeness, SupplierConfig

POLITENESS = Politeness(respect_robots=False, robots_override_reason="test server",
                        rate_limit_per_second=1000, max_retries=0, timeout_seconds=5)


@dataclass
class Request:
    method: str
    host: str
    path: str  # with its query
    body: bytes


Route = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


def answer(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None,
           length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def static(status: int = 200, body: bytes | str = b"", **headers: str) -> Route:
    data = answer(status, body.encode() if isinstance(body, str) else body,
                  {k.replace("_", "-"): v for k, v in headers.items()})

    async def route(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)

    return route


class RawServer:
    """Routes by path (query included when a route names one); unknown paths are 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def other_host(self) -> str:
        return f"http://localhost:{self.port}"

    def hosts_asked(self) -> set[str]:
        return {r.host.split(":")[0] for r in self.requests}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            request = Request(method, headers.get("host", ""), path, body)
            self.requests.append(request)
            route = self.routes.get(path) or self.routes.get(path.split("?")[0])
            await (route or static(404, "not here"))(request, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def shut() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:  # trickling answers still running
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def server():
    running = RawServer()
    yield running
    running.stop()


def fetch(server: RawServer, path: str, limits: Limits | None = None, method: str = "GET",
          **kwargs) -> tuple[FetchFailed | None, list]:
    """One request through a Fetcher kept to the server's own host: (failure, fetch log)."""

    async def run():
        async with Fetcher("hostile", POLITENESS, limits=limits or Limits(),
                           hosts=SupplierHosts(server.url)) as fetcher:
            try:
                await fetcher.request(method, server.url + path, **kwargs)
            except FetchFailed as exc:
                return exc, fetcher.log
            return None, fetcher.log

    return asyncio.run(run())


def gzip_bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = b"\0" * 2**20
    return b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()


# --- bounded answers ----------------------------------------------------------------------

def test_a_gzip_bomb_is_refused_without_unpacking_it(server):
    bomb = gzip_bomb(256)  # 256 MB of zeros in about 250 KB
    server.routes["/bomb"] = static(200, bomb, content_encoding="gzip",
                                    content_type="text/html")
    tracemalloc.start()
    try:
        failure, log = fetch(server, "/bomb", Limits(max_body_mb=2))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert failure.outcome is Outcome.TOO_LARGE
    assert log[-1].outcome is Outcome.TOO_LARGE and "after decompression" in log[-1].error
    # The whole unpacked body would need 256 MB. One 16 KB network chunk unpacks to about
    # 16 MB (zlib's buffer growth makes that about 45 MB at the peak) and is refused there.
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_stacked_gzip_is_refused(server):
    twice = gzip.compress(gzip.compress(b"x" * 1000))
    server.routes["/twice"] = static(200, twice, content_encoding="gzip, gzip")
    failure, log = fetch(server, "/twice")
    assert failure.outcome is Outcome.HTTP_ERROR and "stacked" in log[-1].error


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_a_10_mb_page_over_the_limit_is_refused(server, declared):
    page = b"<html>" + b"a" * (10 * 2**20) + b"</html>"

    async def big(request, writer):
        writer.write(answer(200, page, {"Content-Type": "text/html"}, length=declared))

    server.routes["/big"] = big
    failure, log = fetch(server, "/big", Limits(max_body_mb=5))
    assert failure.outcome is Outcome.TOO_LARGE
    assert "5 MB" in str(failure) and log[-1].outcome is Outcome.TOO_LARGE


def test_a_10_mb_page_within_the_default_limit_is_read(server):
    server.routes["/big"] = static(200, b"a" * (10 * 2**20))
    failure, log = fetch(server, "/big")
    assert failure is None and log[-1].bytes == 10 * 2**20


def test_a_slow_loris_server_is_cut_off_by_the_total_limit(server):
    """One byte every 50 ms never trips the per-read timeout (5 s); the total limit ends it."""

    async def trickle(request, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(2000):
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.05)

    server.routes["/slow"] = trickle
    failure, log = fetch(server, "/slow", Limits(total_seconds=1))
    assert failure.outcome is Outcome.TIMEOUT
    assert "limits.total_seconds" in log[-1].error


def test_trickled_headers_are_cut_off_too(server):
    async def trickle(request, writer):
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)

    server.routes["/slow-head"] = trickle
    failure, _ = fetch(server, "/slow-head", Limits(total_seconds=1))
    assert failure.outcome is Outcome.TIMEOUT


# --- redirects ----------------------------------------------------------------------------

def test_a_redirect_loop_ends_at_the_redirect_limit(server):
    server.routes["/a"] = static(302, location="/b")
    server.routes["/b"] = static(302, location="/a")
    failure, log = fetch(server, "/a", Limits(max_redirects=4))
    assert failure.outcome is Outcome.TOO_MANY_REDIRECTS
    assert len(server.requests) == 5  # the first request and four redirects, then stop
    assert len(log) == 1 and log[-1].outcome is Outcome.TOO_MANY_REDIRECTS


def test_redirects_within_the_limit_are_followed(server):
    server.routes["/old"] = static(301, location="/new")
    server.routes["/new"] = static(200, "moved here")
    failure, log = fetch(server, "/old")
    assert failure is None and log[-1].outcome is Outcome.OK


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_redirect_to_another_host_is_not_followed(server, method):
    server.routes["/away"] = static(307, location=server.other_host + "/steal")
    failure, log = fetch(server, "/away", method=method, data={"password": "hunter22"})
    assert failure.outcome is Outcome.OFF_SITE and "localhost" in log[-1].error
    assert server.hosts_asked() == {"127.0.0.1"}  # nothing, not even the body, went there


def test_allowed_hosts_are_followed(server):
    server.routes["/cdn"] = static(302, location=server.other_host + "/file")
    server.routes["/file"] = static(200, "price list")

    async def run():
        hosts = SupplierHosts(server.url, ["localhost"])
        async with Fetcher("hostile", POLITENESS, hosts=hosts) as fetcher:
            return (await fetcher.get(server.url + "/cdn")).text

    assert asyncio.run(run()) == "price list"


def test_a_link_to_another_host_is_refused_before_any_request(server):
    async def run():
        async with Fetcher("hostile", POLITENESS, hosts=SupplierHosts(server.url)) as fetcher:
            with pytest.raises(FetchFailed) as refused:
                await fetcher.get(server.other_host + "/product/1")
            return refused.value, fetcher.log

    refused, log = asyncio.run(run())
    assert refused.outcome is Outcome.OFF_SITE and log[-1].outcome is Outcome.OFF_SITE
    assert "allowed_hosts" in log[-1].error
    assert "localhost" not in server.hosts_asked()


# --- broken transports --------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nBroken header without colon\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little",
    b"",  # the connection closes without an answer
], ids=["bad-length", "no-colon", "nul-byte", "not-http", "cut-body", "hang-up"])
def test_a_malformed_answer_is_an_http_error_not_a_crash(server, raw):
    async def broken(request, writer):
        writer.write(raw)

    server.routes["/bad"] = broken
    failure, log = fetch(server, "/bad")
    # a dropped connection is not a timeout
    assert failure.outcome is Outcome.HTTP_ERROR, log[-1].error
    assert log[-1].outcome is Outcome.HTTP_ERROR and log[-1].error


def test_a_malformed_answer_is_retried_then_recorded_per_attempt(server):
    async def broken(request, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nBroken\r\n\r\n")

    server.routes["/bad"] = broken

    async def run():
        politeness = POLITENESS.model_copy(update={"max_retries": 2})
        async with Fetcher("hostile", politeness, backoff_base=0.01,
                           hosts=SupplierHosts(server.url)) as fetcher:
            with pytest.raises(FetchFailed):
                await fetcher.get(server.url + "/bad")
            return fetcher.log

    log = asyncio.run(run())
    assert [(f.outcome, f.attempt) for f in log] == [(Outcome.HTTP_ERROR, n) for n in (1, 2, 3)]


# --- feeds --------------------------------------------------------------------------------

def feed_supplier(server: RawServer, path: str, **feed: object) -> SupplierConfig:
    return SupplierConfig.model_validate({
        "id": "teile_feed", "name": "Hostile feed", "base_url": server.url, "engine": "feed",
        "feed": {"kind": "json_api", "path": path,
                 "columns": {"sku": "sku", "price": "price", "stock": "stock"}, **feed},
        "price": {"locale": "en", "vat_included": False, "vat_rate": 22},
        "politeness": POLITENESS.model_dump(),
    })


def items(first: int, n: int = 5) -> list[dict]:
    return [{"sku": f"S{i}", "price": 10 + i, "stock": "5"} for i in range(first, first + n)]


def json_page(body: object) -> Route:
    return static(200, json.dumps(body), content_type="application/json")


def test_a_feed_whose_next_page_loops_ends_with_a_clear_error(server):
    server.routes["/api?page=1"] = json_page({"items": items(0), "next_page": 2})
    server.routes["/api?page=2"] = json_page({"items": items(5), "next_page": 1})
    result = scrape(feed_supplier(server, "/api"), "prices")
    assert result.error_outcome is Outcome.PARSE_ERROR
    assert "loops" in result.error
    assert len(server.requests) == 2  # each page once, then stop
    assert [f.outcome for f in result.fetches] == [Outcome.OK, Outcome.PARSE_ERROR]


def test_a_feed_longer_than_its_page_cap_ends_with_a_clear_error(server):
    for n in range(1, 10):
        server.routes[f"/api?page={n}"] = json_page({"items": items(n * 5), "next_page": n + 1})
    result = scrape(feed_supplier(server, "/api", max_pages=3), "prices")
    assert result.error_outcome is Outcome.PARSE_ERROR and "max_pages" in result.error
    assert len(server.requests) == 3


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    ("<html><body>Maintenance</body></html>", "text/html", "not JSON"),
    (json.dumps({"data": items(0)}), "application/json", "no 'items'"),
    (json.dumps([1, 2, 3]), "application/json", "no 'items'"),
    (json.dumps({"items": "none"}), "application/json", "not a list"),
    (json.dumps({"items": [1, 2]}), "application/json", "not a list"),
    (json.dumps({"items": items(0), "next_page": {"page": 2}}), "application/json",
     "not a page"),
], ids=["html", "other-key", "list", "string-items", "number-items", "object-next"])
def test_a_feed_answer_of_the_wrong_shape_is_a_parse_error(server, body, content_type,
                                                           expected):
    server.routes["/api"] = static(200, body, content_type=content_type)
    result = scrape(feed_supplier(server, "/api"), "prices")
    assert result.error_outcome is Outcome.PARSE_ERROR, result.error
    assert expected in result.error
    assert result.fetches[-1].outcome is Outcome.PARSE_ERROR
    assert result.observations == []


def test_a_price_list_that_is_no_table_is_a_parse_error(server):
    server.routes["/listino.xlsx"] = static(200, "<html>login first</html>")
    config = feed_supplier(server, "/listino.xlsx")
    config = config.model_copy(update={"feed": config.feed.model_copy(update={"kind": "csv"})})
    result = scrape(config, "prices")
    assert result.error_outcome is Outcome.PARSE_ERROR and "not a price list" in result.error


def test_a_gzip_bomb_from_a_feed_fails_the_scrape_with_its_reason(server):
    server.routes["/api"] = static(200, gzip_bomb(64), content_encoding="gzip",
                                   content_type="application/json")
    config = feed_supplier(server, "/api").model_copy(update={"limits": Limits(max_body_mb=1)})
    result = scrape(config, "prices")
    assert result.error_outcome is Outcome.TOO_LARGE and "max_body_mb" in result.error


# --- logins -------------------------------------------------------------------------------

def html_supplier(server: RawServer, base_url: str | None = None, **login: object
                  ) -> SupplierConfig:
    return SupplierConfig.model_validate({
        "id": "hostile_shop", "name": "Hostile shop", "base_url": base_url or server.url,
        "engine": "html",
        "login": {"form_path": "/login", "username_field": "email",
                  "password_field": "password", "username_env": "SHOP_USER",
                  "password_env": "SHOP_PASSWORD", "session_cookie": "sid",
                  "login_path_marker": "/login", **login},
        "listing": {"start_path": "/list", "item": "div.p", "next_page": "a.next::attr(href)",
                    "product_link": "a.name::attr(href)",
                    "fields": {"sku": "::attr(data-sku)", "price": "span.price::text"}},
        "product": {"fields": {"price": "span.price::text"}},
        "price": {"locale": "en", "vat_included": False, "vat_rate": 22},
        "politeness": POLITENESS.model_dump(),
    })


ENV = {"SHOP_USER": "buyer@example.com", "SHOP_PASSWORD": "s3cret-password"}


@pytest.mark.parametrize("action", ["{other}/steal", "//localhost:{port}/steal"],
                         ids=["absolute", "protocol-relative"])
def test_a_login_form_pointing_at_another_host_gets_no_credentials(server, tmp_path, action):
    action = action.format(other=server.other_host, port=server.port)
    server.routes["/login"] = static(200, f'<form action="{action}" method="post">'
                                          '<input name="email"><input name="password"></form>',
                                     content_type="text/html")
    result = scrape(html_supplier(server), "prices", environ=ENV,
                    store=CookieStore("hostile_shop", tmp_path))
    assert result.error_outcome is Outcome.LOGIN_FAILED
    assert "localhost" in result.error and "before sending credentials" in result.error
    assert result.fetches[-1].outcome is Outcome.OFF_SITE
    assert [r.method for r in server.requests] == ["GET"]  # the form, and nothing posted
    assert "localhost" not in server.hosts_asked()


def test_a_configured_submit_path_with_userinfo_tricks_goes_nowhere_else(server, tmp_path):
    """`base_url + "@other.host/x"` would name other.host as the host: refused."""
    server.routes["/login"] = static(200, "<form><input name=email></form>",
                                     content_type="text/html")
    config = html_supplier(server, submit_path=f"@localhost:{server.port}/steal")
    result = scrape(config, "prices", environ=ENV, store=CookieStore("hostile_shop", tmp_path))
    assert result.fetches[-1].outcome is Outcome.OFF_SITE
    assert not any(r.method == "POST" for r in server.requests)


def test_a_relative_action_like_userinfo_stays_on_the_shop(server, tmp_path):
    """`action="@localhost/x"` resolves to a path on the shop itself, as a browser reads it."""
    server.routes["/login"] = static(200, '<form action="@localhost/steal"></form>',
                                     content_type="text/html")
    scrape(html_supplier(server), "prices", environ=ENV,
           store=CookieStore("hostile_shop", tmp_path))
    posts = [r for r in server.requests if r.method == "POST"]
    assert [(r.host.split(":")[0], r.path) for r in posts] == [("127.0.0.1", "/@localhost/steal")]


def test_a_plain_http_login_to_a_public_host_is_refused_before_any_request(tmp_path):
    server = None  # no request may leave: the check comes first
    config = html_supplier(server, base_url="http://shop.example.test")  # type: ignore[arg-type]
    result = scrape(config, "prices", environ=ENV, store=CookieStore("hostile_shop", tmp_path))
    assert result.error_outcome is Outcome.LOGIN_FAILED and "https" in result.error
    assert [f.outcome for f in result.fetches] == [Outcome.INSECURE]


def test_plain_http_login_needs_a_written_reason_unless_loopback():
    from supplier_pipeline.lib.scraping.session import LoginFailed, Session

    async def check(base_url: str, **login: object) -> bool:
        config = html_supplier(None, base_url=base_url, **login)  # type: ignore[arg-type]
        async with Fetcher(config.id, config.politeness) as fetcher:
            session = Session(fetcher, config.login, config.base_url, ENV, CookieStore("x"))
            try:
                session.check_destination(config.base_url + "/login")
                return True
            except LoginFailed:
                return False

    def destination_ok(base_url: str, **login: object) -> bool:
        return asyncio.run(check(base_url, **login))

    assert not destination_ok("http://shop.example.test")
    assert destination_ok("http://shop.example.test",
                          allow_plain_http_reason="intranet supplier on the shop's VPN")
    assert destination_ok("https://shop.example.test")
    assert destination_ok("http://127.0.0.1:8701") and destination_ok("http://localhost:8701")
    assert destination_ok("http://[::1]:8701")


# --- links on pages -----------------------------------------------------------------------

def test_links_to_other_hosts_are_not_followed(server, tmp_path):
    other = server.other_host
    server.routes["/list"] = static(200, (
        '<div class="p" data-sku="A1"><a class="name" href="/p/A1">A1</a>'
        '<span class="price">10.00</span></div>'
        f'<div class="p" data-sku="B2"><a class="name" href="{other}/p/B2">B2</a>'
        '<span class="price">12.00</span></div>'
        f'<a class="next" href="{other}/list?page=2">next</a>'), content_type="text/html")
    server.routes["/p/A1"] = static(200, '<span class="price">9.50</span>',
                                    content_type="text/html")
    config = html_supplier(server).model_copy(update={"login": None})
    listing_only = scrape(config, "prices")
    assert listing_only.error_outcome is Outcome.OFF_SITE  # the next page is elsewhere
    catalog = scrape(config.model_copy(update={"listing": config.listing.model_copy(
        update={"next_page": None})}), "catalog")
    by_sku = {o.supplier_sku: o for o in catalog.observations}
    assert str(by_sku["A1"].price_net) == "9.50"
    assert by_sku["B2"].problems == ["product page: off_site"]  # listing values kept
    assert "localhost" not in server.hosts_asked()



XHTML = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 '
         'Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
         '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Shop</title></head>'
         '<body>{}</body></html>')


def test_xhtml_pages_with_an_xml_prolog_are_read_as_html(server):
    """Older shop software serves XHTML that opens with `<?xml`: parsel took it for XML, where
    no selector with an element name finds anything in the XHTML namespace."""
    server.routes["/list"] = static(200, XHTML.format(
        '<div class="p" data-sku="A1"><a class="name" href="/p/A1">A1</a>'
        '<span class="price">10.00</span></div>'), content_type="text/html")
    server.routes["/p/A1"] = static(200, XHTML.format('<span class="price">9.50</span><br/>'),
                                    content_type="text/html")
    config = html_supplier(server).model_copy(update={"login": None})
    listing_only = scrape(config, "prices")
    assert [(o.supplier_sku, str(o.price_net)) for o in listing_only.observations] == [
        ("A1", "10.00")]
    catalog = scrape(config, "catalog")
    assert [(o.supplier_sku, str(o.price_net), o.problems) for o in catalog.observations] == [
        ("A1", "9.50", [])]

# --- secrets in URLs ----------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("https://shop.test/listino.csv?key=abc123&lang=it",
     "https://shop.test/listino.csv?key=***&lang=it"),
    ("https://shop.test/x?access_token=abc&apiKey=def&X-Amz-Signature=ghi&keyword=glass",
     "https://shop.test/x?access_token=***&apiKey=***&X-Amz-Signature=***&keyword=glass"),
    ("https://buyer:pw123@shop.test/feed", "https://***@shop.test/feed"),
    ("https://tok_12345@shop.test/feed", "https://***@shop.test/feed"),
    ("https://shop.test/cart;jsessionid=ABC?page=2", "https://shop.test/cart;jsessionid=***?page=2"),
    ("https://shop.test/catalogo?pagina=2", "https://shop.test/catalogo?pagina=2"),
    # plain URLs (the fast path) still lose what redact() takes out
    ("https://shop.test/prodotto/vetro-iphone-11/", "https://shop.test/prodotto/vetro-iphone-11/"),
    ("http://127.0.0.1:8711/p/api_key=abc123def/x", "http://127.0.0.1:8711/p/api_key=***"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/***"),
    ("https://shop.test/a;sid=abc", "https://shop.test/a;sid=***"),
])
def test_secrets_in_urls_are_redacted(url, expected):
    assert redact_url(url) == expected


def test_error_texts_lose_the_secrets_of_the_urls_they_quote():
    text = redact_text("timeout: https://u:p4ss@shop.test/a?token=zzz9 after 3 tries")
    assert "p4ss" not in text and "zzz9" not in text and "shop.test/a" in text


def test_the_fetch_log_and_errors_hold_no_url_secrets(server):
    server.routes["/listino.csv"] = static(500, "down")
    failure, log = fetch(server, "/listino.csv?token=SEKRIT-42&lang=de")
    assert "SEKRIT-42" not in str(failure)
    assert all("SEKRIT-42" not in (f.url + (f.error or "")) for f in log)
    assert log[-1].url.endswith("/listino.csv?token=***&lang=de")


# --- a whole supplier run -----------------------------------------------------------------

def test_a_hostile_feed_run_ends_with_its_row_and_keeps_the_good_data(server, tmp_path,
                                                                      monkeypatch):
    """Three windows of one supplier through the Dagster asset: a good run, a feed that
    loops, and a run whose supplier file broke in between. Each ends with its scrape_runs row
    (failed, with the reason) and the good window's offers stay as they were."""
    from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource
    from supplier_pipeline.defs.scrape.assets import supplier_offers
    from supplier_pipeline.lib.warehouse import Warehouse

    suppliers_dir = tmp_path / "suppliers"
    suppliers_dir.mkdir()
    monkeypatch.setenv("SUPPLIERS_DIR", str(suppliers_dir))
    supplier_file = suppliers_dir / "teile_feed.yaml"
    server.routes["/good"] = json_page({"items": items(0, 10)})
    server.routes["/loop?page=1"] = json_page({"items": items(0, 10), "next_page": 2})
    server.routes["/loop?page=2"] = json_page({"items": items(10, 10), "next_page": 1})
    duckdb_path = tmp_path / "warehouse.duckdb"
    resources = {"suppliers": SuppliersResource(),
                 "warehouse": WarehouseResource(duckdb_path=str(duckdb_path))}

    def run(window: datetime, path: str | None):
        if path:
            config = feed_supplier(server, path)
            supplier_file.write_text(json.dumps(config.model_dump(mode="json")))
        else:
            supplier_file.write_text("id: teile_feed\nbase_url: [broken\n")
        key = dg.MultiPartitionKey({"supplier": "teile_feed",
                                    "window": f"{window:%Y-%m-%d-%H:%M}"})
        moment = (window + timedelta(minutes=5)).isoformat()  # observed in its own window
        return dg.materialize([supplier_offers], resources=resources, partition_key=key,
                              raise_on_error=False, run_config={"ops": {"raw__supplier_offers": {
                                  "config": {"observed_at": moment}}}})

    windows = [datetime(2026, 3, 2, h, tzinfo=UTC) for h in (8, 12, 16)]
    assert run(windows[0], "/good").success
    looped = run(windows[1], "/loop")
    broken = run(windows[2], None)
    assert not looped.success and not broken.success  # blocking checks: someone hears of it

    store = Warehouse(None, duckdb_path)
    runs = store.read("select window_start, status, reason from raw.scrape_runs "
                      "where supplier_id = 'teile_feed' order by window_start")
    assert list(runs["status"]) == ["ok", "failed", "failed"]
    assert "parse_error" in runs["reason"][1] and "loops" in runs["reason"][1]
    assert "skipped" in runs["reason"][2] and "teile_feed.yaml" in runs["reason"][2]
    offers = store.read("select window_start, count(*) as n from raw.supplier_offers "
                        "group by window_start order by window_start")
    assert offers["n"].tolist()[0] == 10
    log = store.read("select outcome, error from raw.fetch_log where window_start = ? "
                     "order by fetched_at", [windows[1]])
    assert log["outcome"].tolist() == ["ok", "parse_error"]
    assert "loops" in log["error"].iloc[1]


def test_limits_have_defaults_for_real_shops_and_are_set_per_supplier(tmp_path):
    from supplier_pipeline.lib.suppliers.config import SupplierConfigError, load_supplier

    defaults = Limits()
    assert (defaults.max_body_mb, defaults.total_seconds, defaults.max_redirects) == (20, 60, 10)
    config = html_supplier(None, base_url="https://shop.example.test")  # type: ignore[arg-type]
    raw = config.model_dump(mode="json", exclude={"limits", "allowed_hosts"})
    path = tmp_path / "hostile_shop.yaml"
    path.write_text(json.dumps({**raw, "limits": {"max_body_mb": 50, "total_seconds": 120},
                                "allowed_hosts": ["*.cdn.example.test"]}))
    loaded = load_supplier(path, environ={})
    assert (loaded.limits.max_body_mb, loaded.limits.total_seconds) == (50, 120)
    assert loaded.limits.max_redirects == 10
    hosts = SupplierHosts(loaded.base_url, loaded.allowed_hosts)
    assert hosts.allows("https://img.cdn.example.test/a.csv")
    assert hosts.allows("https://SHOP.example.test./x")
    assert not hosts.allows("https://cdn.example.test.evil.test/a.csv")
    assert not hosts.allows("https://example.test/")
    path.write_text(json.dumps({**raw, "login": {**raw["login"], "allow_plain_http_reason": ""}}))
    with pytest.raises(SupplierConfigError, match="allow_plain_http_reason"):
        load_supplier(path, environ={})
