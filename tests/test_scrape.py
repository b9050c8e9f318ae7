"""Scraping the demo shops over real HTTP (and Chromium for the JavaScript shop): every
product and field must match the shop's ground truth, and every failure must be recorded
with its outcome."""

import asyncio
import contextlib
import http.server
import threading
from decimal import Decimal

import pytest

from supplier_pipeline.demo.catalog import money
from supplier_pipeline.demo.market import Market
from supplier_pipeline.demo.server import Faults
from supplier_pipeline.demo.shops.ricambi_italia import quantity_breaks
from supplier_pipeline.demo.world import DemoCredentials, demo_shops
from supplier_pipeline.lib.scraping import normalise
from supplier_pipeline.lib.scraping.fetch import Fetcher
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.scrape import scrape
from supplier_pipeline.lib.scraping.session import CookieStore
from supplier_pipeline.lib.suppliers.config import load_suppliers

VAT_IT = Decimal("1.22")


def expected_state(shop: str, stock: int) -> tuple[str, int | None]:
    if stock == 0:
        return "out", 0
    if shop == "teile_feed":
        return ("low" if stock < 4 else "in"), stock
    if stock <= 3:
        return "low", stock
    return "in", None


def assert_matches_market(result, market: Market) -> None:
    offers = {o.sku: o for o in market.offers[result.supplier_id]}
    assert result.error is None
    assert {o.supplier_sku for o in result.observations} == set(offers)
    for obs in result.observations:
        truth = market.quote(offers[obs.supplier_sku])
        if result.supplier_id == "ricambi_italia":  # shows gross prices only
            assert obs.price_gross == money(float(truth.price_net * VAT_IT)), obs
            assert abs(obs.price_net - truth.price_net) <= Decimal("0.01"), obs
        else:
            assert obs.price_net == truth.price_net, obs
        assert obs.currency == "EUR"
        assert (obs.stock_state, obs.stock_qty) == expected_state(result.supplier_id,
                                                                  truth.stock), obs
        assert not obs.problems, obs


@pytest.mark.parametrize("supplier_id", ["ricambi_italia", "fixparts_js", "teile_feed"])
def test_prices_and_stock_match_the_shop(shop_env, supplier_id):
    config = load_suppliers()[supplier_id]
    result = scrape(config, "prices")
    assert_matches_market(result, shop_env.market)
    assert all(f.outcome is Outcome.OK for f in result.fetches)


@pytest.mark.parametrize("supplier_id", ["ricambi_italia", "fixparts_js", "teile_feed"])
def test_catalog_sync_reads_part_attributes(shop_env, supplier_id):
    result = scrape(load_suppliers()[supplier_id], "catalog")
    offers = {o.sku: o for o in shop_env.market.offers[supplier_id]}
    assert len(result.observations) == len(offers)
    for obs in result.observations:
        part = offers[obs.supplier_sku].part
        assert obs.brand == part.brand.lower()
        assert obs.device_model == normalise.device_model(part.brand, part.device_model)
        assert (obs.part_type, obs.quality, obs.colour) == (part.part_type, part.quality,
                                                           part.colour), obs
        assert obs.ean in (None, part.ean)
        if supplier_id == "ricambi_italia":  # quantity breaks, gross, on about half the parts
            truth = quantity_breaks(shop_env.market.quote(offers[obs.supplier_sku]))
            assert [(n, gross) for n, _, gross in obs.price_breaks] == truth, obs
            assert all(net < gross for _, net, gross in obs.price_breaks), obs


def test_wrong_password_is_login_failed_without_retry_storm(shop_env, monkeypatch):
    monkeypatch.setenv("RICAMBI_ITALIA_PASSWORD", "wrong")
    result = scrape(load_suppliers()["ricambi_italia"], "prices")
    assert result.error_outcome is Outcome.LOGIN_FAILED
    assert "RICAMBI_ITALIA_PASSWORD" in result.error and "wrong" not in result.error
    assert [f.outcome for f in result.fetches].count(Outcome.LOGIN_FAILED) == 1
    assert len(result.fetches) <= 3  # robots aside: the form and one POST
    assert result.observations == []


def test_expired_session_logs_in_again_once(shop_env, tmp_path):
    store = CookieStore("ricambi_italia", tmp_path)
    store.save({"RISESSID": "expired-session-id"})
    result = scrape(load_suppliers()["ricambi_italia"], "prices", store=store)
    outcomes = [f.outcome for f in result.fetches]
    assert outcomes.count(Outcome.SESSION_EXPIRED) == 1
    assert result.error is None and result.observations
    assert store.load()["RISESSID"] != "expired-session-id"
    assert (store.path.stat().st_mode & 0o777) == 0o600


def test_stored_session_is_reused_without_login(shop_env, tmp_path):
    store = CookieStore("ricambi_italia", tmp_path)
    config = load_suppliers()["ricambi_italia"]
    scrape(config, "prices", store=store)
    second = scrape(config, "prices", store=store)
    assert not any("/login" in f.url for f in second.fetches)
    assert second.error is None


def test_robots_disallow_is_honoured(shop_env):
    config = load_suppliers()["ricambi_italia"]
    listing = config.listing.model_copy(update={"start_path": "/account/orders"})
    result = scrape(config.model_copy(update={"listing": listing, "login": None}), "prices")
    assert result.error_outcome is Outcome.ROBOTS_DISALLOWED
    assert result.fetches[-1].outcome is Outcome.ROBOTS_DISALLOWED


def test_layout_change_is_a_parse_error_not_an_empty_shop(shop_env):
    config = load_suppliers()["ricambi_italia"]
    listing = config.listing.model_copy(update={"item": "div.product-tile"})
    result = scrape(config.model_copy(update={"listing": listing}), "prices")
    assert result.error_outcome is Outcome.PARSE_ERROR
    assert "layout" in result.error
    assert result.fetches[-1].outcome is Outcome.PARSE_ERROR


def test_unknown_product_page_is_not_found(shop_env):
    from supplier_pipeline.lib.scraping.fetch import FetchFailed

    config = load_suppliers()["fixparts_js"]

    async def fetch():
        async with Fetcher(config.id, config.politeness) as fetcher:
            with pytest.raises(FetchFailed) as failure:
                await fetcher.get(config.url("/product/NOPE"))
            return failure.value, fetcher.log

    error, log = asyncio.run(fetch())
    assert error.outcome is Outcome.NOT_FOUND and log[-1].status == 404
    assert len(log) == 1  # a 404 is not retried


def test_rate_limits_and_server_errors_are_retried_until_right():
    faults = Faults(server_error=0.10, rate_limited=0.10, seed=3, retry_after_seconds=1)
    credentials = DemoCredentials("buyer@demo.invalid", "pw-for-faults", "token-for-faults")
    with demo_shops(credentials=credentials, faults=faults) as shops:
        env = {**shops.environment()}
        for supplier_id in ("ricambi_italia", "teile_feed"):
            config = load_suppliers(environ=env)[supplier_id]
            result = scrape(config, "prices", environ=env, backoff_base=0.05,
                            store=CookieStore(supplier_id, None))
            assert_matches_market(result, shops.market)
        outcomes = {f.outcome for f in result.fetches}
        assert Outcome.OK in outcomes


def test_fault_outcomes_are_logged_with_attempts():
    faults = Faults(server_error=0.25, rate_limited=0.25, seed=5, retry_after_seconds=1)
    with demo_shops(faults=faults) as shops:
        env = shops.environment()
        config = load_suppliers(environ=env)["ricambi_italia"]
        result = scrape(config, "prices", environ=env, backoff_base=0.05,
                        store=CookieStore("ricambi_italia", None))
    outcomes = [f.outcome for f in result.fetches]
    assert Outcome.RATE_LIMITED in outcomes and Outcome.HTTP_ERROR in outcomes
    retried = [f for f in result.fetches if f.attempt > 1 and f.outcome is Outcome.OK]
    assert retried, "a failed request must be retried and then succeed"
    rate_limited = [f for f in result.fetches if f.outcome is Outcome.RATE_LIMITED]
    assert all(f.status == 429 for f in rate_limited)


def test_fetch_log_times_the_request_not_its_wait_for_a_slot(monkeypatch):
    """With one slot and 100 ms per answer, the fifth request waits 400 ms for its turn;
    the log's elapsed time is still about 100 ms. robots.txt is read once for all five."""
    with demo_shops(latency_ms=100) as shops:
        env = shops.environment()
        config = load_suppliers(environ=env)["teile_feed"]
        politeness = config.politeness.model_copy(update={"concurrency": 1,
                                                          "rate_limit_per_second": 50})

        async def fetch_five():
            async with Fetcher(config.id, politeness) as fetcher:
                await asyncio.gather(*(fetcher.get(config.url(f"/robots.txt?{n}"))
                                       for n in range(5)))
                return fetcher.log

        reads = []
        read_robots = Fetcher._read_robots

        async def counted(self, origin):
            reads.append(origin)
            return await read_robots(self, origin)

        monkeypatch.setattr(Fetcher, "_read_robots", counted)
        log = asyncio.run(fetch_five())
    assert len(reads) == 1
    assert len(log) == 5 and all(f.outcome is Outcome.OK for f in log)
    elapsed = [f.elapsed_ms for f in log]
    # Every request waited the shop's 100 ms; none counts the 100-400 ms it queued for its
    # slot (then the fifth would log about five times the first). Relative, not a timing bar.
    assert min(elapsed) >= 90 and max(elapsed) < 2.5 * min(elapsed), elapsed


def test_timeouts_are_recorded_and_end_the_run():
    faults = Faults(slow=1.0, slow_seconds=2.0)
    with demo_shops(faults=faults) as shops:
        env = shops.environment()
        config = load_suppliers(environ=env)["teile_feed"]
        politeness = config.politeness.model_copy(update={"timeout_seconds": 0.3,
                                                          "max_retries": 1})
        result = scrape(config.model_copy(update={"politeness": politeness}), "prices",
                        environ=env, backoff_base=0.01)
    assert result.error_outcome is Outcome.TIMEOUT
    assert [f.outcome for f in result.fetches if f.outcome is Outcome.TIMEOUT] == [
        Outcome.TIMEOUT, Outcome.TIMEOUT]


def test_csv_price_list_over_http(shop_env):
    config = load_suppliers()["teile_feed"]
    columns = {"sku": "Artikelnummer", "title": "Bezeichnung", "price": "Preis netto",
               "currency": "Währung", "vat_rate": "MwSt", "stock": "Bestand", "brand": "Marke",
               "device_model": "Modell", "part_type": "Kategorie", "quality": "Qualität",
               "colour": "Farbe", "ean": "EAN", "pack_size": "VPE"}
    feed = config.feed.model_copy(update={"kind": "csv", "path": "/export/preisliste.csv",
                                          "delimiter": ";", "columns": columns})
    result = scrape(config.model_copy(update={"feed": feed}), "prices")
    assert_matches_market(result, shop_env.market)


def test_xlsx_price_list_from_a_drop_folder(shop_env, tmp_path):
    import pandas as pd

    market = shop_env.market
    offers = market.offers["teile_feed"][:25]
    frame = pd.DataFrame([{"Code": o.sku, "Price": f"{market.quote(o).price_net}",
                           "Qty": market.quote(o).stock} for o in offers])
    frame.to_excel(tmp_path / "listino.xlsx", index=False)
    config = load_suppliers()["teile_feed"]
    feed = config.feed.model_copy(update={
        "kind": "csv", "path": None, "drop_folder": str(tmp_path),
        "columns": {"sku": "Code", "price": "Price", "stock": "Qty"}})
    result = scrape(config.model_copy(update={"feed": feed}), "prices")
    assert [o.supplier_sku for o in result.observations] == [o.sku for o in offers]
    assert [o.price_net for o in result.observations] == [market.quote(o).price_net
                                                          for o in offers]


def test_feed_with_a_wrong_token_is_login_failed(shop_env, monkeypatch):
    monkeypatch.setenv("TEILE_FEED_TOKEN", "not-the-token")
    result = scrape(load_suppliers()["teile_feed"], "prices")
    assert result.error_outcome is Outcome.LOGIN_FAILED
    assert result.fetches[-1].outcome is Outcome.LOGIN_FAILED


def test_listing_pages_are_fetched_concurrently_when_the_count_is_known(shop_env):
    result = scrape(load_suppliers()["ricambi_italia"], "prices")
    listing = [f for f in result.fetches if "/catalogo" in f.url]
    pages = {f.url for f in listing}
    assert len(pages) == -(-len(shop_env.market.offers["ricambi_italia"]) // 24)
    assert len(listing) == len(pages)  # each page exactly once


def test_circuit_breaker_stops_a_blocked_run():
    import asyncio

    from supplier_pipeline.lib.scraping.fetch import CircuitOpen, Fetcher, FetchFailed

    async def fetch_all(config, urls):
        async with Fetcher(config.id, config.politeness) as fetcher:
            async def one(url):
                with contextlib.suppress(FetchFailed):
                    await fetcher.get(url)
            with pytest.raises(CircuitOpen, match="blocked 5 times"):
                await asyncio.gather(*(one(u) for u in urls))
            return fetcher.log

    with demo_shops(faults=Faults(blocked=1.0)) as shops:
        env = shops.environment()
        config = load_suppliers(environ=env)["fixparts_js"]
        politeness = config.politeness.model_copy(update={"concurrency": 1})
        config = config.model_copy(update={"politeness": politeness})
        urls = [config.url(f"/product/{o.sku}") for o in shops.market.offers["fixparts_js"][:20]]
        log = asyncio.run(fetch_all(config, urls))
        browser_result = scrape(config, "prices", environ=env)
    blocked = [f for f in log if f.outcome is Outcome.BLOCKED]
    assert len(blocked) == 5 and all(f.status == 403 and f.attempt == 1 for f in blocked)
    # The browser engine records a bot wall as `blocked` too, not as a generic error.
    assert browser_result.fetches[-1].outcome is Outcome.BLOCKED


def test_hook_module_can_fix_or_drop_offers(shop_env, tmp_path, monkeypatch):
    (tmp_path / "odd_shop_hook.py").write_text(
        "def transform(observation):\n"
        "    if observation.supplier_sku.endswith('1'):\n"
        "        return None\n"
        "    observation.mpn = 'MPN-' + observation.supplier_sku\n"
        "    return observation\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = load_suppliers()["teile_feed"].model_copy(update={"hook": "odd_shop_hook"})
    result = scrape(config, "prices")
    assert result.observations
    assert all(not o.supplier_sku.endswith("1") for o in result.observations)
    assert all(o.mpn == "MPN-" + o.supplier_sku for o in result.observations)


class _CookieEcho(http.server.BaseHTTPRequestHandler):
    """/set sets a session cookie; any other path answers with the Cookie header it got."""

    def do_GET(self):
        body = (self.headers.get("Cookie") or "").encode()
        self.send_response(200)
        if self.path == "/set":
            self.send_header("Set-Cookie", "sid=abc123; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_cookies_live_in_the_fetchers_jar_only():
    """The session store, re-login and the browser all read or clear the fetcher's one jar: a
    cookie the shop set is there and sent back, and once cleared it is not sent any more
    (httpx must not keep a jar of its own beside it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CookieEcho)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # a host name, not an IP address: cookie jars that ignore cookies from IPs would hide a
    # second jar
    base = f"http://localhost:{server.server_address[1]}"
    politeness = load_suppliers(environ={})["teile_feed"].politeness.model_copy(
        update={"respect_robots": False, "robots_override_reason": "test server"})

    async def visit():
        async with Fetcher("cookies", politeness) as fetcher:
            await fetcher.get(base + "/set")
            stored = fetcher.cookie_values()
            sent = [(await fetcher.get(f"{base}/echo?{n}")).text for n in range(3)]
            fetcher.clear_cookies()
            after_clear = (await fetcher.get(base + "/echo")).text
        return stored, sent, after_clear

    try:
        stored, sent, after_clear = asyncio.run(visit())
    finally:
        server.shutdown()
    assert stored == {"sid": "abc123"}
    assert sent == ["sid=abc123"] * 3
    assert after_clear == ""


def test_a_listing_row_reads_each_field_once(monkeypatch):
    """A prices scrape reads a row's price to decide whether its product page is needed,
    then the whole row for the offer: the price is read once."""
    from parsel import Selector

    from supplier_pipeline.lib.scraping import listing
    from supplier_pipeline.lib.suppliers.config import FieldRule

    read: list[str] = []
    real = listing.extract_fields

    def counting(node, rules):
        read.extend(rules)
        return real(node, rules)

    monkeypatch.setattr(listing, "extract_fields", counting)
    row = Selector(text='<div><b class="p">12,50 €</b><i class="s">AB-1</i></div>')
    listed = listing.Listed(row, {"price": FieldRule(css=[".p::text"]),
                                  "sku": FieldRule(css=[".s::text"])}, "http://shop/p/1")
    assert listed.texts(["price"])[0] == {"price": "12,50 €"}
    values, sources = listed.texts()
    assert values == {"price": "12,50 €", "sku": "AB-1"}
    assert sources == {"price": "selector .p::text", "sku": "selector .s::text"}
    assert sorted(read) == ["price", "sku"]
