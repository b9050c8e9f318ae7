"""Onboarding shops shaped like real ones (#17), each with one supplier file: a PrestaShop-like
shop (several categories, "Mostrando 1-24 di N articoli" pagers, listings without codes, a
page past the end) and a WooCommerce-like one (a `/mio-account/` login that needs its submit
button, a session lost silently, variable products, `/negozio/page/N/`, a product sitemap).

Both shops are small starlette apps on 127.0.0.1, written here; every scrape's offers are
checked against what the shop holds.
"""

from __future__ import annotations

import gzip
import html
import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.lib.scraping.listing import numbered_page, pages_from_total
from supplier_pipeline.lib.scraping.quality import gate
from supplier_pipeline.lib.scraping.records import Outcome
from supplier_pipeline.lib.scraping.scrape import scrape
from supplier_pipeline.lib.scraping.session import CookieStore
from supplier_pipeline.lib.scraping.sitemap import parse_sitemap
from supplier_pipeline.lib.suppliers.config import SupplierConfig

POLITE_FOR_TESTS = {"rate_limit_per_second": 1000, "concurrency": 4, "max_retries": 0,
                    "timeout_seconds": 5}
ENV = {"WOO_USER": "buyer@example.test", "WOO_PASSWORD": "b2b-secret"}


def page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<html><body>{body}</body></html>", status)


# ---------------------------------------------------------------- PrestaShop-like shop


@dataclass
class Product:
    sku: str
    slug: str
    price: Decimal  # as shown (gross for the PrestaShop shop, net for the WooCommerce one)
    stock: int


def _presta_catalog() -> dict[str, list[Product]]:
    display = [Product(f"DSP-{n:03}", f"{n}-display-{n}", Decimal(f"{20 + n}.50"), n % 7)
               for n in range(1, 31)]
    batteries = [Product(f"BAT-{n:03}", f"{100 + n}-batteria-{n}", Decimal(f"{9 + n}.90"), 12)
                 for n in range(1, 21)]
    covers = [Product(f"COV-{n:03}", f"{200 + n}-cover-{n}", Decimal("4.99"), 3)
              for n in range(1, 5)] + display[:2]  # two displays are listed under covers too
    return {"12-display": display, "13-batterie": batteries, "14-cover": covers}


@dataclass
class PrestaShop:
    """Category listings without codes; display shows "Mostrando 1-24 di 30 articoli",
    batterie only next links (its last one leads to a 404), cover next links to an empty page."""

    catalog: dict[str, list[Product]] = field(default_factory=_presta_catalog)
    per_page: dict[str, int] = field(default_factory=lambda: {"12-display": 24,
                                                              "13-batterie": 8, "14-cover": 3})
    requests: list[str] = field(default_factory=list)

    def products(self) -> dict[str, Product]:
        return {p.slug: p for listed in self.catalog.values() for p in listed}

    async def category(self, request: Request) -> Response:
        name = request.path_params["category"]
        self.requests.append(f"{request.url.path}?{request.url.query}")
        if name not in self.catalog:
            return page("Pagina non trovata", 404)
        number = int(request.query_params.get("page", 1))
        size = self.per_page[name]
        listed = self.catalog[name][(number - 1) * size:number * size]
        if not listed and name == "13-batterie":
            return page("Pagina non trovata", 404)
        tiles = "".join(
            f'<article class="product-miniature"><h3 class="product-title">'
            f'<a href="/it/prodotto/{p.slug}.html">Ricambio {p.slug}</a></h3>'
            f'<span class="price">{str(p.price).replace(".", ",")}&nbsp;€</span>'
            f'<span class="product-availability">Disponibile</span></article>' for p in listed)
        total = len(self.catalog[name])
        pager = (f'<div class="showing">Mostrando {(number - 1) * size + 1}-'
                 f'{min(number * size, total)} di {total} articoli</div>'
                 if name == "12-display" else "")
        last = number * size >= total
        following = "" if last and name == "12-display" else (
            f'<a class="next" rel="next" href="/it/{name}?page={number + 1}">Successivo</a>')
        if not listed:
            following = ""
        menu = "".join(f'<li><a href="/it/{n}">{n}</a></li>' for n in self.catalog)
        return page(f'<nav class="menu"><ul>{menu}</ul></nav>'
                    f'<div id="js-product-list">{tiles}</div>'
                    f'<nav class="pagination">{pager}{following}</nav>')

    async def product(self, request: Request) -> Response:
        self.requests.append(request.url.path)
        found = self.products().get(request.path_params["slug"])
        if found is None:
            return page("Prodotto non trovato", 404)
        stock = f"Disponibile ({found.stock} pezzi)" if found.stock else "Esaurito"
        return page(f'<h1 class="h1">Ricambio {found.slug}</h1>'
                    f'<div class="current-price"><span>{str(found.price).replace(".", ",")} €'
                    f'</span></div><div class="product-reference"><label>Codice</label>'
                    f'<span>{found.sku}</span></div><span id="product-availability">{stock}'
                    "</span>")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/it/prodotto/{slug}.html", self.product),
                                 Route("/it/{category}", self.category)])


def presta_config(url: str, **listing: object) -> SupplierConfig:
    return SupplierConfig.model_validate({
        "id": "presta_shop", "name": "PrestaShop-like", "base_url": url, "engine": "html",
        "listing": {"start_paths": ["/it/12-display", "/it/13-batterie", "/it/14-cover"],
                    "item": ".product-miniature", "next_page": "a.next::attr(href)",
                    "product_link": ".product-title a::attr(href)",
                    "fields": {"title": ".product-title a::text", "price": ".price::text",
                               "stock": ".product-availability::text"}, **listing},
        "product": {"fields": {"title": "h1::text", "price": ".current-price span::text",
                               "sku": ".product-reference span::text",
                               "stock": "#product-availability::text"}},
        "price": {"locale": "it", "vat_included": True, "vat_rate": 22},
        "stock": {"in_stock": ["disponibile"], "out_of_stock": ["esaurito"]},
        "politeness": POLITE_FOR_TESTS})


@pytest.fixture(scope="module")
def presta():
    shop = PrestaShop()
    server = BackgroundServer(shop.app()).start()
    yield shop, server.url
    server.stop()


def gate_blocks(result) -> list[str]:
    return [c.name for c in gate(result.observations, result.error, None, [])
            if c.blocking and not c.passed]


def test_several_categories_are_one_supplier_with_each_product_once(presta):
    shop, url = presta
    shop.requests.clear()
    result = scrape(presta_config(url), "prices")
    assert result.error is None
    urls = [o.url for o in result.observations]
    assert len(urls) == len(set(urls)) == len(shop.products()) == 54
    by_url = {o.url.rsplit("/", 1)[-1]: o for o in result.observations}
    for product in shop.products().values():
        obs = by_url[f"{product.slug}.html"]
        assert obs.price_gross == product.price and obs.stock_state == "in", obs
    # the pager's total gave display's page count: page 2 read, nothing beyond it
    display = [r for r in shop.requests if r.startswith("/it/12-display")]
    assert sorted(display) == ["/it/12-display?", "/it/12-display?page=2"]
    # batterie's page past the end was a 404, cover's an empty listing: each ended its listing
    assert "/it/13-batterie?page=4" in shop.requests and "/it/14-cover?page=3" in shop.requests
    assert [f.outcome for f in result.fetches].count(Outcome.NOT_FOUND) == 1


def test_a_prices_scrape_without_codes_passes_the_gate_then_carries_the_catalogues_codes(
        presta):
    shop, url = presta
    config = presta_config(url)
    first = scrape(config, "prices")
    assert all(o.supplier_sku == "url:" + o.url.split(url, 1)[1] for o in first.observations)
    assert gate_blocks(first) == []
    catalog = scrape(config, "catalog")
    assert catalog.error is None
    truth = {f"{p.slug}.html": p for p in shop.products().values()}
    assert {o.supplier_sku for o in catalog.observations} == {p.sku for p in truth.values()}
    shop.requests.clear()
    prices = scrape(config, "prices")
    assert gate_blocks(prices) == []
    for obs in prices.observations:
        product = truth[obs.url.rsplit("/", 1)[-1]]
        assert obs.supplier_sku == product.sku and obs.price_gross == product.price, obs
        assert obs.sources["sku"] == "catalogue sync, by product URL"
    assert not any("/prodotto/" in r for r in shop.requests)  # listings only


def test_product_pages_start_while_the_listing_is_still_being_read(presta):
    shop, url = presta
    shop.requests.clear()
    result = scrape(presta_config(url, start_paths=["/it/13-batterie"]), "catalog")
    assert result.error is None and len(result.observations) == 20
    last_listing = max(i for i, r in enumerate(shop.requests) if r.startswith("/it/13-"))
    first_product = min(i for i, r in enumerate(shop.requests) if "/prodotto/" in r)
    assert first_product < last_listing
    quantities = {o.supplier_sku: (o.stock_state, o.stock_qty) for o in result.observations}
    assert quantities["BAT-001"] == ("in", 12)


def test_a_missing_category_ends_that_listing_and_a_layout_change_ends_the_scrape(presta):
    shop, url = presta
    result = scrape(presta_config(url, start_paths=["/it/12-display", "/it/99-gone"]),
                    "prices")
    assert result.error is None and len(result.observations) == 30
    broken = scrape(presta_config(url, item=".product-tile"), "prices")
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

SESSION_COOKIE = "wordpress_logged_in_8c1f2e"


@dataclass
class Variable:
    slug: str
    variations: list[Product]


@dataclass
class WooShop:
    """B2B prices after a /mio-account/ login that needs `login=Accedi` posted; guests see
    retail prices (+30 %) and no "Esci" link, never a redirect."""

    simple: list[Product] = field(default_factory=lambda: [
        Product(f"WS-{n:02}", f"ricambio-{n}", Decimal(f"{10 + n}.00"), n % 5)
        for n in range(1, 23)])
    variable: list[Variable] = field(default_factory=lambda: [
        Variable(f"cover-{n}", [Product(f"WV-{n}-{c}", f"cover-{n}", Decimal(f"{5 + n}.{i}0"),
                                        i * 3) for i, c in enumerate(("NERO", "BLU", "ROSSO"))])
        for n in range(1, 5)])
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    drop_sessions_after: int | None = None  # logged-in pages served before sessions end
    ignore_sessions: bool = False
    served: int = 0
    requests: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.tokens.clear()
        self.logins = self.served = 0
        self.drop_sessions_after, self.ignore_sessions = None, False
        self.requests.clear()

    def logged_in(self, request: Request) -> bool:
        if self.ignore_sessions or request.cookies.get(SESSION_COOKIE) not in self.tokens:
            return False
        self.served += 1
        if self.served == self.drop_sessions_after:
            self.tokens.clear()  # from the next page on, a guest's
        return True

    def frame(self, request: Request, body: str) -> HTMLResponse:
        account = ('<a href="/mio-account/customer-logout/?_wpnonce=1">Esci</a>'
                   if self.logged_in(request) else '<a href="/mio-account/">Accedi</a>')
        return page(f'<header><nav class="account">{account}</nav></header>{body}')

    @staticmethod
    def money(amount: Decimal) -> str:
        return (f'<span class="woocommerce-Price-amount amount"><bdi>'
                f'{str(amount).replace(".", ",")}&nbsp;<span>€</span></bdi></span>')

    def shown(self, price: Decimal, b2b: bool) -> Decimal:
        return price if b2b else (price * Decimal("1.3")).quantize(Decimal("0.01"))

    def tiles(self) -> list[tuple[str, list[Product]]]:
        return ([(p.slug, [p]) for p in self.simple]
                + [(v.slug, v.variations) for v in self.variable])

    async def account(self, request: Request) -> Response:
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode()))
            if ("login" not in form or form.get("woocommerce-login-nonce") != "n0nce"
                    or form.get("username") != ENV["WOO_USER"]
                    or form.get("password") != ENV["WOO_PASSWORD"]):
                return page('<ul class="woocommerce-error"><li>Errore</li></ul>'
                            + self.login_form())
            self.logins += 1
            token = f"t{self.logins}"
            self.tokens.add(token)
            response = RedirectResponse("/mio-account/", 302)
            response.set_cookie(SESSION_COOKIE, token, httponly=True)
            return response
        return self.frame(request, self.login_form())

    @staticmethod
    def login_form() -> str:
        return ('<form class="woocommerce-form woocommerce-form-login login" method="post">'
                '<input type="text" name="username"><input type="password" name="password">'
                '<input name="rememberme" type="checkbox" value="forever">'
                '<input type="hidden" name="woocommerce-login-nonce" value="n0nce">'
                '<input type="hidden" name="_wp_http_referer" value="/mio-account/">'
                '<button type="submit" name="login" value="Accedi">Accedi</button></form>'
                '<form class="register" method="post"><input type="email" name="email">'
                '<input type="hidden" name="woocommerce-register-nonce" value="r3g">'
                '<button type="submit" name="register" value="Registrati">Registrati</button>'
                "</form>")

    async def shop(self, request: Request) -> Response:
        number = int(request.path_params.get("number", 1))
        self.requests.append(request.url.path)
        listed = self.tiles()[(number - 1) * 12:number * 12]
        if not listed:
            return page("Pagina non trovata", 404)
        b2b = request.cookies.get(SESSION_COOKIE) in self.tokens and not self.ignore_sessions

        def price(items: list[Product]) -> str:  # a variable product shows its range
            prices = sorted(self.shown(p.price, b2b) for p in items)
            return " – ".join(self.money(p) for p in dict.fromkeys([prices[0], prices[-1]]))

        tiles = "".join(
            f'<li class="product"><a href="/prodotto/{slug}/" class="woocommerce-LoopProduct-'
            f'link"><h2 class="woocommerce-loop-product__title">{slug}</h2></a><span class='
            f'"price">{price(items)}</span></li>' for slug, items in listed)
        total = len(self.tiles())
        count = (f'<p class="woocommerce-result-count">Visualizzazione di {(number - 1) * 12 + 1}'
                 f"–{min(number * 12, total)} di {total} risultati</p>")
        following = (f'<a class="next page-numbers" href="/negozio/page/{number + 1}/">→</a>'
                     if number * 12 < total else "")
        return self.frame(request, f'{count}<ul class="products">{tiles}</ul>{following}')

    async def product(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        self.requests.append(request.url.path)
        items = dict(self.tiles()).get(slug)
        if items is None:
            return page("Pagina non trovata", 404)
        b2b = request.cookies.get(SESSION_COOKIE) in self.tokens and not self.ignore_sessions
        head = f'<h1 class="product_title entry-title">Ricambio {slug}</h1>'
        if len(items) == 1:
            p = items[0]
            stock = (f'<p class="stock in-stock">{p.stock} disponibili</p>' if p.stock
                     else '<p class="stock out-of-stock">Esaurito</p>')
            return self.frame(request, f'{head}<p class="price">'
                              f'{self.money(self.shown(p.price, b2b))}</p>{stock}'
                              f'<span class="sku_wrapper">COD: <span class="sku">{p.sku}</span>'
                              "</span>")
        data = [{"attributes": {"attribute_pa_colore": p.sku.rsplit("-", 1)[1].lower()},
                 "availability_html": (f'<p class="stock in-stock">{p.stock} disponibili</p>'
                                       if p.stock else
                                       '<p class="stock out-of-stock">Esaurito</p>'),
                 "display_price": float(self.shown(p.price, b2b)),
                 "display_regular_price": float(self.shown(p.price, b2b)),
                 "is_in_stock": p.stock > 0, "max_qty": p.stock or "", "sku": p.sku,
                 "variation_id": 900 + i, "variation_is_active": True}
                for i, p in enumerate(items)]
        return self.frame(request, f'{head}<p class="price">'
                          f'{self.money(self.shown(items[0].price, b2b))}</p>'
                          f'<span class="sku">WV-{slug}</span>'
                          f'<form class="variations_form cart" action="/prodotto/{slug}/" '
                          f'data-product_variations="{html.escape(json.dumps(data))}">'
                          "</form>")

    def sitemaps(self, port: int):
        async def index(request: Request) -> Response:
            return Response(
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps'
                '.org/schemas/sitemap/0.9"><sitemap><loc>/product-sitemap.xml.gz</loc>'
                .replace("/product", f"http://127.0.0.1:{port}/product") +
                f"</sitemap><sitemap><loc>http://127.0.0.1:{port}/page-sitemap.xml</loc>"
                "</sitemap></sitemapindex>", media_type="application/xml")

        def urlset(locs: list[str]) -> bytes:
            return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.'
                    'org/schemas/sitemap/0.9">' + "".join(f"<url><loc>{loc}</loc></url>"
                                                          for loc in locs)
                    + "</urlset>").encode()

        async def products(request: Request) -> Response:
            locs = [f"http://127.0.0.1:{port}/prodotto/{slug}/" for slug, _ in self.tiles()]
            locs.append(f"http://localhost:{port}/prodotto/ricambio-1/")  # another host
            return Response(gzip.compress(urlset(locs)), media_type="application/x-gzip")

        async def pages(request: Request) -> Response:
            return Response(urlset([f"http://127.0.0.1:{port}/chi-siamo/"]),
                            media_type="application/xml")

        return [Route("/sitemap_index.xml", index), Route("/product-sitemap.xml.gz", products),
                Route("/page-sitemap.xml", pages)]

    def app(self, port: int) -> Starlette:
        return Starlette(routes=[
            Route("/mio-account/", self.account, methods=["GET", "POST"]),
            Route("/negozio/", self.shop), Route("/negozio/page/{number:int}/", self.shop),
            Route("/prodotto/{slug}/", self.product), *self.sitemaps(port)])

    def offers(self) -> dict[str, Product]:
        return {p.sku: p for _, items in self.tiles() for p in items}


class _LateApp:
    """The shop's routes need the port the server got."""

    def __init__(self) -> None:
        self.app = None

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def woo():
    shop, holder = WooShop(), _LateApp()
    server = BackgroundServer(holder)
    holder.app = shop.app(server.port)
    server.start()
    yield shop, server.url
    server.stop()


def woo_config(url: str, source: str = "listing", **login: object) -> SupplierConfig:
    listing = ({"sitemap": "/sitemap_index.xml", "sitemap_match": "/prodotto/"}
               if source == "sitemap" else {"start_path": "/negozio/"})
    return SupplierConfig.model_validate({
        "id": "woo_shop", "name": "WooCommerce-like", "base_url": url, "engine": "html",
        "login": {"form_path": "/mio-account/", "username_field": "username",
                  "password_field": "password", "username_env": "WOO_USER",
                  "password_env": "WOO_PASSWORD", "session_cookie": "wordpress_logged_in_*",
                  "login_path_marker": "/wp-login.php", "extra_fields": {"rememberme": "forever"},
                  "logged_in_marker": "a[href*='customer-logout']::attr(href)", **login},
        "listing": {**listing, "item": "li.product",
                    "next_page": "a.next.page-numbers::attr(href)",
                    "product_link": "a.woocommerce-LoopProduct-link::attr(href)",
                    "fields": {"title": "h2::text", "price": ".price ::text"}},
        "product": {"fields": {"title": "h1::text", "price": "p.price ::text",
                               "sku": "span.sku::text", "stock": "p.stock::text"}},
        "price": {"locale": "it", "vat_included": False, "vat_rate": 22},
        "stock": {"out_of_stock": ["esaurito"]},
        "politeness": POLITE_FOR_TESTS})


def woo_scrape(shop: WooShop, url: str, mode: str, tmp_path, source: str = "listing",
               **login: object):
    return scrape(woo_config(url, source, **login), mode, environ=ENV,
                  store=CookieStore("woo_shop", tmp_path))


def assert_b2b_offers(shop: WooShop, result) -> None:
    truth = shop.offers()
    assert result.error is None
    assert sorted(o.supplier_sku for o in result.observations) == sorted(truth)
    for obs in result.observations:
        product = truth[obs.supplier_sku]
        assert obs.price_net == product.price, obs
        assert (obs.stock_state, obs.stock_qty) == (
            ("out", 0) if product.stock == 0 else
            ("low" if product.stock < 4 else "in", product.stock)), obs


@pytest.fixture
def fresh_woo(woo):
    shop, url = woo
    shop.reset()
    return shop, url


def test_woocommerce_login_posts_the_submit_button_and_variations_are_offers(fresh_woo,
                                                                            tmp_path):
    shop, url = fresh_woo
    result = woo_scrape(shop, url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert len(result.observations) == 22 + 4 * 3 and shop.logins == 1
    variation = next(o for o in result.observations if o.supplier_sku == "WV-2-BLU")
    assert variation.title == "Ricambio cover-2 - blu"
    assert variation.sources["price"] == "variations form data-product_variations"
    # /negozio/page/2/ and /3/ read from the result count, nothing past the end
    assert sorted(r for r in shop.requests if r.startswith("/negozio")) == [
        "/negozio/", "/negozio/page/2/", "/negozio/page/3/"]


def test_woocommerce_prices_scrape_reads_variable_products_on_their_pages(fresh_woo, tmp_path):
    shop, url = fresh_woo
    assert woo_scrape(shop, url, "catalog", tmp_path).error is None
    shop.requests.clear()
    result = woo_scrape(shop, url, "prices", tmp_path)
    assert result.error is None
    assert sorted(o.supplier_sku for o in result.observations) == sorted(shop.offers())
    products_read = sorted(r for r in shop.requests if r.startswith("/prodotto/"))
    assert products_read == [f"/prodotto/cover-{n}/" for n in range(1, 5)]
    truth = shop.offers()
    assert all(o.price_net == truth[o.supplier_sku].price for o in result.observations)


def test_woocommerce_product_sitemap_replaces_the_listing(fresh_woo, tmp_path):
    shop, url = fresh_woo
    result = woo_scrape(shop, url, "prices", tmp_path, source="sitemap")
    assert_b2b_offers(shop, result)
    assert not any(r.startswith("/negozio") for r in shop.requests)
    assert not any("localhost" in f.url or "chi-siamo" in f.url for f in result.fetches)


def test_a_silently_lost_session_is_renewed_and_never_stored_as_guest_prices(fresh_woo,
                                                                             tmp_path):
    shop, url = fresh_woo
    shop.drop_sessions_after = 15
    result = woo_scrape(shop, url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert shop.logins == 2
    assert Outcome.SESSION_EXPIRED in [f.outcome for f in result.fetches]


def test_a_stale_stored_cookie_is_noticed_by_the_marker(fresh_woo, tmp_path):
    shop, url = fresh_woo
    CookieStore("woo_shop", tmp_path).save({SESSION_COOKIE: "stale"})
    result = woo_scrape(shop, url, "catalog", tmp_path)
    assert_b2b_offers(shop, result)
    assert shop.logins == 1


def test_a_session_that_never_shows_the_marker_ends_the_scrape_with_its_reason(fresh_woo,
                                                                              tmp_path):
    shop, url = fresh_woo
    shop.ignore_sessions = True
    result = woo_scrape(shop, url, "catalog", tmp_path)
    assert result.observations == []
    assert result.error_outcome is Outcome.SESSION_EXPIRED
    assert "logged_in_marker" in result.error and "guest" in result.error


def test_login_errors_tell_refused_credentials_from_a_form_not_understood(fresh_woo, tmp_path):
    shop, url = fresh_woo
    wrong = scrape(woo_config(url), "prices", environ={**ENV, "WOO_PASSWORD": "nope"},
                   store=CookieStore("woo_shop", tmp_path))
    assert wrong.error_outcome is Outcome.LOGIN_FAILED and "credentials refused" in wrong.error
    assert "nope" not in wrong.error
    misread = woo_scrape(shop, url, "prices", tmp_path, username_field="log")
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
