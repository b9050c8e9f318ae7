"""A shop described for search engines (#17): categories found in its menu, product sitemaps
named by its robots.txt (behind a Yoast-like index that also lists posts and categories), and
variants stated only in JSON-LD (a ProductGroup's hasVariant, offers with SKUs of their own).

The shop is a small starlette app on 127.0.0.1, written here; every scrape's offers are
checked against what it holds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.lib.scraping.probe import probe
from supplier_pipeline.lib.scraping.scrape import scrape
from supplier_pipeline.lib.scraping.sitemap import product_sitemaps
from supplier_pipeline.lib.scraping.variants import variation_fields, variations
from supplier_pipeline.lib.suppliers.config import SupplierConfig

SCHEMA = "https://schema.org/"


def offer(price: str, state: str, sku: str | None = None, quantity: int | None = None,
          **extra: object) -> dict:
    stated = {"@type": "Offer", "price": price, "priceCurrency": "EUR",
              "availability": SCHEMA + state, **extra}
    if sku:
        stated["sku"] = sku
    if quantity is not None:
        stated["inventoryLevel"] = {"@type": "QuantitativeValue", "value": quantity}
    return stated


# A ProductGroup whose variants are inline or referenced by @id from the page's @graph.
GROUP = {"@context": "https://schema.org", "@graph": [
    {"@type": "ProductGroup", "name": "Cover iPhone 13", "productGroupID": "COV-13",
     "variesBy": [SCHEMA + "color"],
     "hasVariant": [
         {"@type": "Product", "sku": "COV-13-NERO", "name": "Cover iPhone 13 nera",
          "color": "nero", "offers": offer("12.50", "InStock", quantity=7)},
         {"@id": "#blu"},
         {"@type": "Product", "sku": "COV-13-ROSSO", "color": "rosso",
          "offers": offer("13.00", "BackOrder", availabilityStarts="2099-01-15")}]},
    {"@type": "Product", "@id": "#blu", "sku": "COV-13-BLU", "color": "blu",
     "offers": offer("12.90", "OutOfStock")}]}
# One product, two offers with SKUs of their own: two grades of one battery.
GRADES = {"@context": "https://schema.org", "@type": "Product", "name": "Batteria S21",
          "sku": "BAT-S21", "offers": [offer("24.00", "InStock", "BAT-S21-ORIG", 3,
                                             name="Originale"),
                                       offer("15.50", "InStock", "BAT-S21-COMP", 40,
                                             name="Compatibile")]}
# Two offers of one SKU with eligibleQuantity: price breaks, one product.
BREAKS = {"@context": "https://schema.org", "@type": "Product", "name": "Vetro A52",
          "sku": "VET-A52", "offers": [
              offer("4.00", "InStock", "VET-A52", eligibleQuantity={"minValue": 1}),
              offer("3.50", "InStock", "VET-A52", eligibleQuantity={"minValue": 10})]}
PRODUCTS = {"cover-13": GROUP, "batteria-s21": GRADES, "vetro-a52": BREAKS}
CATEGORIES = {"3-cover": ["cover-13", "vetro-a52"], "4-batterie": ["batteria-s21", "cover-13"]}
# sku -> (net price, stock state, quantity)
TRUTH = {"COV-13-NERO": (Decimal("12.50"), "in", 7), "COV-13-BLU": (Decimal("12.90"), "out", 0),
         "COV-13-ROSSO": (Decimal("13.00"), "backorder", None),
         "BAT-S21-ORIG": (Decimal("24.00"), "low", 3),
         "BAT-S21-COMP": (Decimal("15.50"), "in", 40), "VET-A52": (Decimal("4.00"), "in", None)}


def product_page(slug: str) -> str:
    stated = PRODUCTS[slug]
    name = stated.get("name") or stated["@graph"][0]["name"]
    return (f'<html><head><script type="application/ld+json">{json.dumps(stated)}</script>'
            f"</head><body><h1>{name}</h1></body></html>")


class Shop:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.robots_names_sitemaps = True

    def app(self) -> Starlette:
        def page(body: str) -> HTMLResponse:
            return HTMLResponse(f"<html><body>{body}</body></html>")

        async def home(request: Request) -> Response:
            return page('<nav id="menu"><a href="/c/3-cover">Cover</a>'
                        '<a href="/c/4-batterie">Batterie</a><a href="/c/3-cover#top">Cover</a>'
                        '<a href="/content/contatti">Contatti</a>'
                        '<a href="https://elsewhere.example/c/9-altro">Altro</a></nav>')

        async def category(request: Request) -> Response:
            slugs = CATEGORIES.get(request.path_params["slug"])
            if slugs is None:
                return page("<p>Non trovato</p>")
            return page("".join(f'<div class="prodotto"><a class="nome" href="/p/{s}">{s}</a>'
                                "</div>" for s in slugs))

        async def contact(request: Request) -> Response:
            return page("<p>Scriveteci</p>")

        async def product(request: Request) -> Response:
            return HTMLResponse(product_page(request.path_params["slug"]))

        async def robots(request: Request) -> Response:
            base = str(request.base_url).rstrip("/")
            named = f"Sitemap: {base}/sitemap_index.xml\n" if self.robots_names_sitemaps else ""
            return PlainTextResponse(f"User-agent: *\nDisallow: /carrello\n{named}")

        def xml(kind: str, entry: str, locs: list[str]) -> Response:
            body = "".join(f"<{entry}><loc>{loc}</loc></{entry}>" for loc in locs)
            return Response(f'<?xml version="1.0"?><{kind} xmlns="http://www.sitemaps.org/'
                            f'schemas/sitemap/0.9">{body}</{kind}>', media_type="application/xml")

        async def index(request: Request) -> Response:
            base = str(request.base_url).rstrip("/")
            return xml("sitemapindex", "sitemap", [f"{base}/post-sitemap.xml",
                                                   f"{base}/product-sitemap.xml",
                                                   f"{base}/product_cat-sitemap.xml"])

        async def posts(request: Request) -> Response:
            return xml("urlset", "url", [f"{request.base_url}blog/offerte-natale"])

        async def products(request: Request) -> Response:
            return xml("urlset", "url", [f"{request.base_url}p/{s}" for s in PRODUCTS])

        async def categories(request: Request) -> Response:
            return xml("urlset", "url", [f"{request.base_url}c/{c}" for c in CATEGORIES])

        async def logged(request: Request, call_next):
            self.requests.append(request.url.path)
            return await call_next(request)

        return Starlette(routes=[
            Route("/", home), Route("/c/{slug}", category), Route("/content/contatti", contact),
            Route("/p/{slug}", product), Route("/robots.txt", robots),
            Route("/sitemap_index.xml", index), Route("/post-sitemap.xml", posts),
            Route("/product-sitemap.xml", products), Route("/product_cat-sitemap.xml", categories),
        ], middleware=[Middleware(BaseHTTPMiddleware, dispatch=logged)])


@pytest.fixture(scope="module")
def served():
    shop = Shop()
    server = BackgroundServer(shop.app()).start()
    yield shop, server.url
    server.stop()


@pytest.fixture
def shop(served):
    shop, url = served
    shop.requests.clear()
    shop.robots_names_sitemaps = True
    return shop, url


def config(url: str, **listing: object) -> SupplierConfig:
    return SupplierConfig.model_validate({
        "id": "seo_shop", "name": "Described for search engines", "base_url": url,
        "engine": "html",
        "listing": {"item": "div.prodotto", "product_link": "a.nome::attr(href)",
                    "fields": {"title": "a.nome::text"}, **listing},
        "product": {"fields": {"title": "h1::text"}},
        "price": {"locale": "it", "vat_included": False, "vat_rate": 22},
        "politeness": {"rate_limit_per_second": 1000, "concurrency": 4, "max_retries": 0,
                       "timeout_seconds": 5}})


def assert_offers(result) -> None:
    assert result.error is None
    got = {o.supplier_sku: (o.price_net, o.stock_state, o.stock_qty)
           for o in result.observations}
    assert got == TRUTH
    assert len(result.observations) == len(TRUTH)  # a product in two categories, once


def test_categories_are_found_in_the_menu_and_each_product_read_once(shop):
    shop, url = shop
    result = scrape(config(url, categories={"links": "#menu a::attr(href)"}), "catalog")
    assert_offers(result)
    listings = [r for r in shop.requests if r.startswith(("/c/", "/content/"))]
    # each category once (the #top link is the same page); the contact page shows no
    # products and ends its listing, not the scrape; the off-site link is never followed
    assert sorted(listings) == ["/c/3-cover", "/c/4-batterie", "/content/contatti"]
    assert shop.requests.count("/p/cover-13") == 1


def test_a_category_pattern_keeps_only_the_category_links(shop):
    shop, url = shop
    result = scrape(config(url, categories={"links": "#menu a::attr(href)", "match": r"/c/\d+-"}),
                    "catalog")
    assert_offers(result)
    assert "/content/contatti" not in shop.requests


def test_probe_reads_the_first_category_the_menu_links_to(shop):
    shop, url = shop
    report = probe(config(url, categories={"links": "#menu a::attr(href)", "match": "/c/"}), {})
    assert report.errors == []
    rows = {(r.page, r.field): r.value for r in report.rows}
    assert rows[("listing", "categories")] == "2 found"
    assert rows[("listing", "title")] == "cover-13"  # the first product of /c/3-cover


def test_a_menu_without_category_links_is_a_parse_error_not_an_empty_shop(shop):
    shop, url = shop
    result = scrape(config(url, categories={"links": "nav.gone a::attr(href)"}), "catalog")
    assert result.observations == []
    assert "category links match 'nav.gone a::attr(href)'" in result.error


def test_sitemaps_named_by_robots_replace_the_listing_and_only_product_sitemaps_are_read(shop):
    shop, url = shop
    result = scrape(config(url, sitemaps_from_robots=True), "prices")
    assert_offers(result)
    assert "/product-sitemap.xml" in shop.requests
    # the index's posts and categories are no product pages
    assert not {"/post-sitemap.xml", "/product_cat-sitemap.xml", "/blog/offerte-natale"} & set(
        shop.requests)
    assert not any(r.startswith("/c/") for r in shop.requests)


def test_robots_naming_no_sitemap_says_so(shop):
    shop, url = shop
    shop.robots_names_sitemaps = False
    result = scrape(config(url, sitemaps_from_robots=True), "prices")
    assert result.observations == []
    assert "robots.txt names no sitemap" in result.error


def test_product_sitemaps_of_an_index():
    yoast = ["https://s/post-sitemap.xml", "https://s/product-sitemap.xml",
             "https://s/product-sitemap2.xml", "https://s/product_cat-sitemap.xml"]
    assert product_sitemaps(yoast) == yoast[1:3]
    wordpress = ["https://s/wp-sitemap-posts-page-1.xml", "https://s/wp-sitemap-posts-product-1.xml",
                 "https://s/wp-sitemap-taxonomies-product_cat-1.xml"]
    assert product_sitemaps(wordpress) == [wordpress[1]]
    plain = ["https://s/sitemap-1.xml", "https://s/sitemap-2.xml"]  # nothing named: all
    assert product_sitemaps(plain) == plain


def test_json_ld_variants_become_offers_with_their_own_titles_and_sources():
    found = variations(product_page("cover-13"))
    offers = variation_fields({"title": "Cover iPhone 13", "sku": "COV-13"},
                              {"title": "selector h1::text"}, found)
    titles = {fields["sku"]: fields["title"] for fields, _ in offers}
    assert titles == {"COV-13-NERO": "Cover iPhone 13 nera", "COV-13-BLU": "Cover iPhone 13 - blu",
                      "COV-13-ROSSO": "Cover iPhone 13 - rosso"}
    assert all(s["price"] == "json-ld variants" and s["title"] == "selector h1::text"
               for _, s in offers)
    # only the back-ordered variant states its day
    assert {f["sku"]: f["available_from"] for f, _ in offers} == {
        "COV-13-NERO": None, "COV-13-BLU": None, "COV-13-ROSSO": "2099-01-15"}
    grades = variation_fields({"title": "Batteria S21", "sku": "BAT-S21"}, {},
                              variations(product_page("batteria-s21")))
    assert [(f["sku"], f["title"], f["stock_qty"]) for f, _ in grades] == [
        ("BAT-S21-ORIG", "Batteria S21 - Originale", "3"),
        ("BAT-S21-COMP", "Batteria S21 - Compatibile", "40")]


def test_price_breaks_and_one_sku_stay_one_offer():
    assert variations(product_page("vetro-a52")) is None
    one = {"@context": "https://schema.org", "@type": "Product", "sku": "X",
           "offers": [offer("5.00", "InStock", "X"), offer("5.50", "InStock", "X")]}
    page = f'<script type="application/ld+json">{json.dumps(one)}</script>'
    assert variations(page) is None  # two sellers of one product
