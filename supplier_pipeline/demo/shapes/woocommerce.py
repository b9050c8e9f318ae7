"""A WooCommerce-like B2B store (Storefront theme), the second shape of #17.

Habits: B2B prices (VAT excluded, "+ IVA") after a `/mio-account/` login whose form is only
accepted with its submit button's `login=Accedi` posted; a session that ends says nothing:
guests see retail prices 15-64 % higher, no redirect, only the header's "Esci" link is gone;
`/negozio/page/N/` listings with "Visualizzazione di 1–16 di 2000 risultati"; the codes
only in the add-to-cart buttons' `data-product_sku`; variable products (a part in several
colours: one page, a SKU, price and stock per colour, in the variations form's
`data-product_variations` JSON, a price range on the listing); stock as "157 disponibili",
"Solo 2 rimasti in magazzino", "Disponibile su ordinazione", "Esaurito"; WooCommerce's JSON-LD
on every product page; a gzip product sitemap behind `/sitemap_index.xml` (one URL on a
staging host left in it); about 60 KB of menu, footer, WordPress's inline styles and the
plugins' script objects on every page.

For tests: `drop_sessions_after` ends every session after that many logged-in pages,
`ignore_sessions` never recognises one, `logins` counts the logins accepted.
"""

from __future__ import annotations

import gzip
import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.catalog import money, slug, stable_random
from supplier_pipeline.demo.shapes import woocommerce_pages as pages
from supplier_pipeline.demo.shapes.goods import Item, Truth, stocked, title, truth
from supplier_pipeline.demo.shapes.woocommerce_pages import NONCE
from supplier_pipeline.demo.shops.ricambi_italia import COLOURS

SHOP = "woo_shop"
COOKIE = "wordpress_logged_in_8c1f2e"
PER_SITEMAP = 1000  # as Yoast splits its product sitemap
STAGING = "https://staging.bottega-ricambi.example"

@dataclass(frozen=True)
class Variation:
    item: Item
    sku: str
    colour: str  # the attribute's value, as WooCommerce slugs it


@dataclass(frozen=True)
class Product:
    """One product page: a simple product (one variation, the product itself) or a variable
    one (a variation per colour)."""

    number: int
    slug: str
    name: str
    sku: str
    variations: tuple[Variation, ...]
    markup: float  # the guests' retail price over the B2B one

    @property
    def variable(self) -> bool:
        return len(self.variations) > 1

    def price(self, variation: Variation, b2b: bool) -> Decimal:
        net = variation.item.net
        return net if b2b else money(float(net) * self.markup)


def _products(size: int, seed: int) -> list[Product]:
    """The items as WooCommerce products: the colours of one part are one variable product."""
    groups: list[list[Item]] = []
    for item in stocked(SHOP, size, seed):
        p = item.part
        key = (p.brand, p.device_model, p.part_type, p.quality)
        last = groups[-1][0].part if groups else None
        if p.colour and last and last.colour and key == (
                last.brand, last.device_model, last.part_type, last.quality):
            groups[-1].append(item)
        else:
            groups.append([item])
    products, slugs = [], set()
    for group in groups:
        first = group[0]
        base = f"BR-{first.number:05}"
        if len(group) == 1:
            name, variations = title(first.part), (Variation(first, base, ""),)
        else:
            name = title(replace(first.part, colour=None))
            variations = tuple(Variation(i, f"{base}-{COLOURS[i.part.colour].upper()}",
                                         COLOURS[i.part.colour].lower()) for i in group)
        name_slug = slug(name)
        if name_slug in slugs:  # WordPress numbers a slug taken already
            name_slug = f"{name_slug}-{first.number}"
        slugs.add(name_slug)
        markup = 1.15 + 0.49 * stable_random(seed, SHOP, first.number, "retail")
        products.append(Product(first.number, name_slug, name, base, variations, markup))
    return products


@dataclass
class WooShop:
    size: int = 40
    per_page: int = 16
    user: str = "buyer@example.test"
    password: str = "b2b-secret"
    seed: int = 7
    drop_sessions_after: int | None = None  # logged-in pages served before sessions end
    ignore_sessions: bool = False
    logins: int = 0
    served: int = 0
    tokens: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.products = _products(self.size, self.seed)
        self.by_slug = {p.slug: p for p in self.products}
        self.position = {p.slug: n for n, p in enumerate(self.products)}
        self.chrome = pages.chrome()
        self.sitemaps: dict[str, dict[str, bytes]] = {}  # per address the shop is reached at

    def reset(self) -> None:
        self.tokens.clear()
        self.logins = self.served = 0
        self.drop_sessions_after, self.ignore_sessions = None, False
        self.requests.clear()

    def truth(self) -> dict[str, Truth]:
        """Every offer the shop holds (a variation is one), by SKU."""
        return {v.sku: truth(v.sku, v.item) for p in self.products for v in p.variations}

    def logged_in(self, request: Request) -> bool:
        """Whether this page is served to the logged-in customer (counted, and maybe the last
        one before sessions end)."""
        if self.ignore_sessions or request.cookies.get(COOKIE) not in self.tokens:
            return False
        self.served += 1
        if self.served == self.drop_sessions_after:
            self.tokens.clear()  # from the next page on, a guest's
        return True

    # ------------------------------------------------------------------ the page around

    def page(self, b2b: bool, body: str, status: int = 200) -> HTMLResponse:
        head, tail = self.chrome
        return HTMLResponse(head.replace("{account}", pages.account(b2b), 1) + body + tail, status)

    # ------------------------------------------------------------------ listings

    async def shop(self, request: Request) -> Response:
        self._record(request)
        number = int(request.path_params.get("number", 1))
        listed = self.products[(number - 1) * self.per_page:number * self.per_page]
        if not listed:
            return self.page(False, "<h1>Pagina non trovata</h1>", 404)
        b2b = self.logged_in(request)
        return self.page(b2b, pages.listing(number, listed, len(self.products), self.per_page,
                                            b2b))

    # ------------------------------------------------------------------ product pages

    async def product(self, request: Request) -> Response:
        self._record(request)
        p = self.by_slug.get(request.path_params["slug"])
        if p is None:
            return self.page(False, "<h1>Pagina non trovata</h1>", 404)
        b2b = self.logged_in(request)
        at = self.position[p.slug]
        related = [self.products[(at + n) % len(self.products)] for n in range(1, 5)]
        return self.page(b2b, pages.product(p, b2b, related, str(request.url)))

    # ------------------------------------------------------------------ login

    async def account(self, request: Request) -> Response:
        self._record(request)
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode()))
            if ("login" not in form or form.get("woocommerce-login-nonce") != NONCE
                    or form.get("username") != self.user
                    or form.get("password") != self.password):
                return self.page(False, '<ul class="woocommerce-error" role="alert"><li>'
                                 "<strong>Errore:</strong> nome utente o password non validi."
                                 "</li></ul>" + pages.login_form())
            self.logins += 1
            token = secrets.token_hex(16)
            self.tokens.add(token)
            response = RedirectResponse("/mio-account/", 302)
            response.set_cookie(COOKIE, token, httponly=True)
            return response
        b2b = self.logged_in(request)
        return self.page(b2b, "<p>Ciao! Dalla bacheca del tuo account puoi visualizzare gli "
                         "ordini recenti.</p>" if b2b else pages.login_form())

    # ------------------------------------------------------------------ robots and sitemaps

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-"
                                 f"ajax.php\n\nSitemap: {request.base_url}sitemap_index.xml\n")

    def _sitemaps(self, base: str) -> dict[str, bytes]:
        """The sitemap files as the shop at `base` (its address, ending in /) serves them."""
        def urlset(locs: list[str]) -> bytes:
            return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.'
                    'org/schemas/sitemap/0.9">' + "".join(
                        f"<url><loc>{loc}</loc><lastmod>2026-11-20T08:00:00+00:00</lastmod>"
                        "</url>" for loc in locs) + "</urlset>").encode()

        locs = [f"{base}prodotto/{p.slug}/" for p in self.products]
        locs.insert(len(locs) // 2, f"{STAGING}/prodotto/{self.products[0].slug}/")
        files = {f"product-sitemap{n + 1 if n else ''}.xml.gz": gzip.compress(urlset(
            locs[n * PER_SITEMAP:(n + 1) * PER_SITEMAP]), mtime=0)
            for n in range(-(-len(locs) // PER_SITEMAP))}
        files["page-sitemap.xml"] = urlset([f"{base}chi-siamo/", f"{base}contatti/"])
        index = "".join(f"<sitemap><loc>{base}{name}</loc></sitemap>" for name in files)
        files["sitemap_index.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org'
            f'/schemas/sitemap/0.9">{index}</sitemapindex>').encode()
        return files

    async def sitemap(self, request: Request) -> Response:
        self._record(request)
        base = str(request.base_url)
        if base not in self.sitemaps:
            self.sitemaps[base] = self._sitemaps(base)
        data = self.sitemaps[base].get(request.path_params["name"])
        if data is None:
            return self.page(False, "<h1>Pagina non trovata</h1>", 404)
        kind = "application/x-gzip" if data[:2] == b"\x1f\x8b" else "application/xml"
        return Response(data, media_type=kind)

    def _record(self, request: Request) -> None:
        self.requests.append(request.url.path)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/robots.txt", self.robots),
            Route("/mio-account/", self.account, methods=["GET", "POST"]),
            Route("/negozio/", self.shop), Route("/negozio/page/{number:int}/", self.shop),
            Route("/prodotto/{slug}/", self.product), Route("/{name:path}", self.sitemap)])
