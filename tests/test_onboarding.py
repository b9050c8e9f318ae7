"""Onboarding shops shaped like real ones (#17), each with one supplier file: a PrestaShop-like
shop (a login, nine categories, "Mostrando 1-24 di N articoli" pagers, listings without codes,
per-price VAT labels, back-orders, JSON-LD on half the pages) and a WooCommerce-like one (a
`/mio-account/` login that needs its submit button, a session lost silently, variable products,
`/negozio/page/N/`, a product sitemap).

Both are the shops of `supplier_pipeline.demo.shapes`, which the scraping benchmark serves at
2,000 offers; here they hold 40, on 127.0.0.1, read through their supplier files. Every
scrape's offers are checked against each shop's ground truth.
"""

from __future__ import annotations

import gzip

import pytest

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.shapes.prestashop import PrestaShop
from supplier_pipeline.demo.shapes.serve import SUPPLIERS
from supplier_pipeline.demo.shapes.woocommerce import COOKIE, WooShop
from supplier_pipeline.lib.scraping.listing import numbered_page, pages_from_total
from supplier_pipeline.lib.scraping.quality import gate
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.scrape import scrape
from supplier_pipeline.lib.scraping.session import CookieStore
from supplier_pipeline.lib.scraping.sitemap import parse_sitemap
from supplier_pipeline.lib.suppliers.config import Politeness, SupplierConfig, load_supplier

POLITE_FOR_TESTS = Politeness(rate_limit_per_second=1000, concurrency=4, max_retries=0,
                              timeout_seconds=5)
USER, PASSWORD = "buyer@example.test", "b2b-secret"
PRESTA_ENV = {"PRESTA_SHOP_EMAIL": USER, "PRESTA_SHOP_PASSWORD": PASSWORD}
WOO_ENV = {"WOO_SHOP_USER": USER, "WOO_SHOP_PASSWORD": PASSWORD}


def supplier(file: str, url_variable: str, url: str, **listing: object) -> SupplierConfig:
    """The shape's supplier file pointed at `url`, with test politeness and `listing` changed."""
    config = load_supplier(SUPPLIERS / file, environ={url_variable: url})
    return config.model_copy(update={"politeness": POLITE_FOR_TESTS,
                                     "listing": config.listing.model_copy(update=listing)})


def right(obs, truth, quantity_shown: bool = True) -> bool:
    """Price, stock and SKU as the shop holds them; a listing shows a quantity only for the
    last pieces."""
    quantity = obs.stock_qty == truth.quantity or (not quantity_shown and obs.stock_qty is None)
    return (obs.supplier_sku == truth.sku and obs.price_net == truth.price_net
            and obs.stock_state == truth.stock_state and quantity)


def gate_blocks(result) -> list[str]:
    return [c.name for c in gate(result.observations, result.error, None, [])
            if c.blocking and not c.passed]


# ---------------------------------------------------------------- PrestaShop-like shop

# Two categories' pagers show no count and their last page links on: to a 404, to an empty page.
UNCOUNTED = {"14-display-compatibili": "404", "16-vetri-posteriori": "empty"}


@pytest.fixture(scope="module")
def presta():
    shop = PrestaShop(40, per_page=4, email=USER, password=PASSWORD, uncounted=UNCOUNTED)
    server = BackgroundServer(shop.app()).start()
    yield shop, server.url
    server.stop()


def presta_config(url: str, **listing: object) -> SupplierConfig:
    return supplier("presta_shop.yaml", "PRESTA_SHOP_URL", url, **listing)


def presta_scrape(url: str, mode: str, **listing: object):
    return scrape(presta_config(url, **listing), mode, environ=PRESTA_ENV)


def test_the_test_shop_has_every_habit_of_the_shape(presta):
    shop, _ = presta
    assert len(shop.categories) == 9
    assert {t.stock_state for t in shop.truth().values()} == {"in", "low", "out", "backorder"}
    assert {p.gross for p in shop.products} == {p.json_ld for p in shop.products} == {True,
                                                                                     False}
    assert any(p.discount for p in shop.products)
    assert {p.stock_text() for p in shop.products} >= {"Su ordinazione", "In arrivo"}


def test_several_categories_are_one_supplier_with_each_product_once(presta):
    shop, url = presta
    shop.requests.clear()
    result = presta_scrape(url, "prices")
    assert result.error is None
    urls = [o.url for o in result.observations]
    assert len(urls) == len(set(urls)) == len(shop.products)
    truth = {p.url: shop.truth()[p.sku] for p in shop.products}
    for obs in result.observations:
        expected = truth[obs.url.split(url, 1)[1]]
        assert obs.price_net == expected.price_net and obs.stock_state == expected.stock_state
    # each price by its own label, gross and net in one listing
    assert {o.sources["vat_included"] for o in result.observations} == {
        f"{kind} by selector .product-price-and-shipping .tax-label::text 'IVA {word}'"
        for kind, word in (("gross", "inclusa"), ("net", "esclusa"))}
    # the pager's count gave display's page count: every page read, nothing beyond it
    display = sorted(r for r in shop.requests if r.startswith("/it/12-display"))
    assert display == ["/it/12-display-originali", "/it/12-display-originali?page=2",
                       "/it/12-display-originali?page=3"]
    # an uncounted listing's page past the end was a 404, the other's an empty listing: each
    # ended its listing
    assert "/it/14-display-compatibili?page=4" in shop.requests
    assert "/it/16-vetri-posteriori?page=2" in shop.requests
    assert [f.outcome for f in result.fetches].count(Outcome.NOT_FOUND) == 1


def test_a_prices_scrape_without_codes_passes_the_gate_then_carries_the_catalogues_codes(
        presta):
    shop, url = presta
    first = presta_scrape(url, "prices")
    assert all(o.supplier_sku == "url:" + o.url.split(url, 1)[1] for o in first.observations)
    assert gate_blocks(first) == []
    catalog = presta_scrape(url, "catalog")
    assert catalog.error is None
    truth = shop.truth()
    assert sorted(o.supplier_sku for o in catalog.observations) == sorted(truth)
    shop.requests.clear()
    prices = presta_scrape(url, "prices")
    assert gate_blocks(prices) == []
    assert sorted(o.supplier_sku for o in prices.observations) == sorted(truth)
    for obs in prices.observations:
        assert right(obs, truth[obs.supplier_sku], quantity_shown=False), obs
        assert obs.sources["sku"] == "catalogue sync, by product URL"
    assert not any(r.endswith(".html") for r in shop.requests)  # listings only


def test_the_catalogue_sync_reads_every_offer_right(presta):
    shop, url = presta
    result = presta_scrape(url, "catalog")
    truth = shop.truth()
    assert result.error is None and len(result.observations) == len(truth)
    wrong = [o for o in result.observations if not right(o, truth[o.supplier_sku])]
    assert wrong == []
    sources = {o.sources["vat_included"] for o in result.observations}
    assert sources == {f"{kind} by label beside selector .product-prices .current-price-value"
                       f"::text 'IVA {word}'" for kind, word in (("gross", "inclusa"),
                                                                 ("net", "esclusa"))}
    assert {o.sources["price"] for o in result.observations} >= {"json-ld"}


def test_product_pages_start_while_the_listing_is_still_being_read(presta):
    shop, url = presta
    shop.requests.clear()
    result = presta_scrape(url, "catalog", start_paths=["/it/14-display-compatibili"])
    listed = shop.categories["14-display-compatibili"][1]
    assert result.error is None and len(result.observations) == len(listed)
    last_listing = max(i for i, r in enumerate(shop.requests) if r.startswith("/it/14-"))
    first_product = min(i for i, r in enumerate(shop.requests) if r.endswith(".html"))
    assert first_product < last_listing


def test_a_missing_category_ends_that_listing_and_a_layout_change_ends_the_scrape(presta):
    shop, url = presta
    result = presta_scrape(url, "prices",
                           start_paths=["/it/12-display-originali", "/it/99-sparita"])
    assert result.error is None
    assert len(result.observations) == len(shop.categories["12-display-originali"][1])
    broken = presta_scrape(url, "prices", item=".product-tile")
    assert broken.error_outcome is Outcome.PARSE_ERROR and "listings shows products" in (
        broken.error)


@pytest.mark.parametrize(("text", "shown", "configured", "pages"), [
    ("Mostrando 1-24 di 440 articoli", 24, False, 19),
    ("Showing 1–24 of 440 results", 24, False, 19),
    ("1-24 von 1.440", 24, False, 60),
    ("Articoli 1 - 12 di 30", 12, False, 3),
    ("Visualizzazione di 1–12 di 26 risultati", 12, False, 3),
    ("Ci sono 440 prodotti.", 24, True, 19),
    ("Ci sono 440 prodotti.", 24, False, None),
    ("Showing all 7 results", 7, False, None),
])
def test_page_count_from_the_pagers_total(text, shown, configured, pages):
    assert pages_from_total(text, shown, configured) == pages


@pytest.mark.parametrize(("second", "page", "expected"), [
    ("http://s/negozio/page/2/", 5, "http://s/negozio/page/5/"),
    ("http://s/it/12-display?page=2", 3, "http://s/it/12-display?page=3"),
    ("http://s/catalog/category/view/id/12?p=2", 4, "http://s/catalog/category/view/id/12?p=4"),
    ("http://s/collections/all?page=2&sort=x", 9, "http://s/collections/all?page=9&sort=x"),
    ("http://s/it/12-display", 3, None),
])
def test_numbered_pages_from_the_next_link(second, page, expected):
    assert numbered_page(second, page) == expected


# ---------------------------------------------------------------- WooCommerce-like shop


@pytest.fixture(scope="module")
def woo():
    shop = WooShop(40, per_page=12, user=USER, password=PASSWORD)
    server = BackgroundServer(shop.app()).start()
    yield shop, server.url
    server.stop()


@pytest.fixture
def fresh_woo(woo):
    shop, url = woo
    shop.reset()
    return shop, url


def woo_config(url: str, source: str = "listing", **login: object) -> SupplierConfig:
    """The supplier file reads the sitemap; with `listing`, /negozio/ by the same rules."""
    listing = {} if source == "sitemap" else {"start_path": "/negozio/", "sitemap": []}
    config = supplier("woo_shop.yaml", "WOO_SHOP_URL", url, **listing)
    return config.model_copy(update={"login": config.login.model_copy(update=login)})


def woo_scrape(url: str, mode: str, tmp_path, source: str = "listing", **login: object):
    return scrape(woo_config(url, source, **login), mode, environ=WOO_ENV,
                  store=CookieStore("woo_shop", tmp_path))


def assert_b2b_offers(shop: WooShop, result) -> None:
    truth = shop.truth()
    assert result.error is None
    assert sorted(o.supplier_sku for o in result.observations) == sorted(truth)
    assert [o for o in result.observations if not right(o, truth[o.supplier_sku])] == []


def test_woocommerce_login_posts_the_submit_button_and_variations_are_offers(fresh_woo,
                                                                            tmp_path):
    shop, url = fresh_woo
    result = woo_scrape(url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert shop.logins == 1 and {t.stock_state for t in shop.truth().values()} == {
        "in", "low", "out", "backorder"}
    variable = next(p for p in shop.products if p.variable)
    variation = variable.variations[1]
    obs = next(o for o in result.observations if o.supplier_sku == variation.sku)
    assert obs.title == f"{variable.name} - {variation.colour}"
    assert obs.sources["price"] == "variations form data-product_variations"
    # /negozio/page/2/ and /3/ read from the result count, nothing past the end
    assert sorted(r for r in shop.requests if r.startswith("/negozio")) == [
        "/negozio/", "/negozio/page/2/", "/negozio/page/3/"]


def test_woocommerce_prices_scrape_reads_variable_products_on_their_pages(fresh_woo, tmp_path):
    shop, url = fresh_woo
    shop.requests.clear()
    result = woo_scrape(url, "prices", tmp_path)
    assert result.error is None
    truth = shop.truth()
    assert sorted(o.supplier_sku for o in result.observations) == sorted(truth)
    products_read = sorted(r for r in shop.requests if r.startswith("/prodotto/"))
    assert products_read == sorted(f"/prodotto/{p.slug}/" for p in shop.products if p.variable)
    assert all(o.price_net == truth[o.supplier_sku].price_net for o in result.observations)


def test_woocommerce_product_sitemap_replaces_the_listing(fresh_woo, tmp_path):
    shop, url = fresh_woo
    result = woo_scrape(url, "prices", tmp_path, source="sitemap")
    assert_b2b_offers(shop, result)
    assert not any(r.startswith("/negozio") for r in shop.requests)
    assert not any("staging" in f.url or "chi-siamo" in f.url for f in result.fetches)


def test_a_silently_lost_session_is_renewed_and_never_stored_as_guest_prices(fresh_woo,
                                                                             tmp_path):
    shop, url = fresh_woo
    shop.drop_sessions_after = 15
    result = woo_scrape(url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert shop.logins == 2
    assert Outcome.SESSION_EXPIRED in [f.outcome for f in result.fetches]


def test_a_stale_stored_cookie_is_noticed_by_the_marker(fresh_woo, tmp_path):
    shop, url = fresh_woo
    CookieStore("woo_shop", tmp_path).save({COOKIE: "stale"})
    result = woo_scrape(url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert shop.logins == 1


def test_a_session_that_never_shows_the_marker_ends_the_scrape_with_its_reason(fresh_woo,
                                                                              tmp_path):
    shop, url = fresh_woo
    shop.ignore_sessions = True
    result = woo_scrape(url, "catalog", tmp_path)
    assert result.observations == []
    assert result.error_outcome is Outcome.SESSION_EXPIRED
    assert "logged_in_marker" in result.error and "guest" in result.error


def test_login_errors_tell_refused_credentials_from_a_form_not_understood(fresh_woo, tmp_path):
    shop, url = fresh_woo
    wrong = scrape(woo_config(url), "prices", environ={**WOO_ENV, "WOO_SHOP_PASSWORD": "nope"},
                   store=CookieStore("woo_shop", tmp_path))
    assert wrong.error_outcome is Outcome.LOGIN_FAILED and "credentials refused" in wrong.error
    assert "nope" not in wrong.error
    misread = woo_scrape(url, "prices", tmp_path, username_field="log")
    assert misread.error_outcome is Outcome.LOGIN_FAILED
    assert "not understood" in misread.error and "'log'" in misread.error
    assert shop.logins == 0


def test_sitemap_index_and_gzip_are_read():
    index = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
             b"<loc>https://s/p.xml.gz</loc></sitemap></sitemapindex>")
    assert parse_sitemap(index, "https://s/i.xml", 10_000) == (["https://s/p.xml.gz"], [])
    urlset = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                           b"<url><loc> https://s/a </loc></url></urlset>")
    assert parse_sitemap(urlset, "https://s/p.xml.gz", 10_000) == ([], ["https://s/a"])
    bomb = gzip.compress(b"<urlset>" + b" " * 1_000_000 + b"</urlset>")
    with pytest.raises(Exception, match="too_large"):
        parse_sitemap(bomb, "https://s/bomb.xml.gz", 10_000)
