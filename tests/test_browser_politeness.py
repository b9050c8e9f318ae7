"""Pages rendered in Chromium follow the same politeness as every request: robots.txt, the
supplier's hosts, the rate limit and slots, retries with backoff."""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.lib.scraping.browser import Browser
from supplier_pipeline.lib.scraping.fetch import Fetcher, FetchFailed
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.safety import SupplierHosts
from supplier_pipeline.lib.suppliers.config import Politeness


@pytest.fixture
def shop():
    hits: dict[str, int] = {}

    def page(request):
        hits[request.url.path] = hits.get(request.url.path, 0) + 1
        if request.url.path == "/flaky" and hits["/flaky"] == 1:
            return PlainTextResponse("busy", status_code=503)
        return HTMLResponse("<html><body><p class='price'>12,50</p></body></html>")

    app = Starlette(routes=[
        Route("/robots.txt", lambda _: PlainTextResponse("User-agent: *\nDisallow: /private\n")),
        Route("/{path:path}", page)])
    server = BackgroundServer(app).start()
    yield server.url, hits
    server.stop()


def test_a_rendered_page_obeys_robots_retries_and_stays_on_the_suppliers_hosts(shop):
    base, hits = shop

    async def scrape():
        fetcher = Fetcher("shop", Politeness(max_retries=2), backoff_base=0.01,
                          hosts=SupplierHosts(base, []))
        async with fetcher, Browser("shop", fetcher.user_agent, 20) as browser:
            page = await fetcher.render(browser, f"{base}/flaky", "p.price")
            with pytest.raises(FetchFailed) as private:
                await fetcher.render(browser, f"{base}/private/list", None)
            with pytest.raises(FetchFailed) as elsewhere:
                await fetcher.render(browser, "http://192.0.2.1/x", None)
            return page, private.value.outcome, elsewhere.value.outcome, fetcher.log

    page, private, elsewhere, log = asyncio.run(scrape())
    assert "12,50" in page
    assert [(f.outcome, f.attempt) for f in log if f.url.endswith("/flaky")] == [
        (Outcome.HTTP_ERROR, 1), (Outcome.OK, 2)]  # retried after the 503
    assert private is Outcome.ROBOTS_DISALLOWED and "/private/list" not in hits
    assert elsewhere is Outcome.OFF_SITE
