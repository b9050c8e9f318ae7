"""A PrestaShop-like wholesaler (1.7 classic theme), the first shape of #17.

Habits: prices only after a login (`/it/login`; a `PrestaShop-…` cookie signed by the shop,
so it stays valid across the shop's restarts, for weeks; guests are sent to the login page);
nine category listings and no "all products" page, a discounted product also under Offerte;
listings that show no supplier code, a pager that counts ("Mostrando 1-24 di 440 articoli")
and "Ci sono 440 prodotti." above the list; every price labelled "IVA inclusa" or "IVA
esclusa", product by product; discounted products with their struck-through price; stock as
"Disponibile (157 pezzi)" ("Disponibile" on listings), "Solo 2 pezzi", "Su ordinazione", "In
arrivo", "Esaurito"; related products with their prices on every product page; JSON-LD on half
the product pages (InStock for whatever can be ordered, as theme modules write it); about 60 KB
of mega-menu, facets, footer, inline styles and the `prestashop` script object on every page.

`uncounted` gives categories a pager without the count whose last page still links to a next
page, answered 404 or empty, as some themes do.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.catalog import Part, money, slug, stable_random
from supplier_pipeline.demo.shapes import prestashop_pages as pages
from supplier_pipeline.demo.shapes.goods import Item, Truth, stocked, title, truth

SHOP = "presta_shop"
VAT = Decimal("1.22")
COOKIE = "PrestaShop-" + hashlib.md5(SHOP.encode()).hexdigest()
# (id, slug, name, which parts): eight by part type, where each product has its home, and the
# discounted products again under Offerte
CATEGORIES: list[tuple[int, str, str, Callable[[Part], bool]]] = [
    (12, "display-originali", "Display originali",
     lambda p: p.part_type == "display" and p.quality in ("original", "service_pack")),
    (13, "display-oled", "Display OLED",
     lambda p: p.part_type == "display" and p.quality == "oled"),
    (14, "display-compatibili", "Display compatibili",
     lambda p: p.part_type == "display" and p.quality in ("incell", "aftermarket")),
    (15, "batterie", "Batterie", lambda p: p.part_type == "battery"),
    (16, "vetri-posteriori", "Vetri posteriori", lambda p: p.part_type == "back_glass"),
    (17, "connettori-di-ricarica", "Connettori di ricarica",
     lambda p: p.part_type == "charging_port"),
    (18, "fotocamere-posteriori", "Fotocamere posteriori",
     lambda p: p.part_type == "rear_camera"),
    (19, "fotocamere-anteriori", "Fotocamere anteriori", lambda p: p.part_type == "front_camera"),
]
OFFERS = (20, "offerte", "Offerte")
DISCOUNTS = (10, 15, 20, 25, 30)


@dataclass(frozen=True)
class Product:
    """An item as this shop shows it."""

    item: Item
    sku: str
    url: str
    name: str
    home: str  # the category named in its URL and breadcrumb
    gross: bool  # its price shown with IVA
    discount: int  # percent off the struck-through price, 0 when none
    json_ld: bool

    @property
    def price(self) -> Decimal:
        return money(float(self.item.net * VAT)) if self.gross else self.item.net

    @property
    def label(self) -> str:
        return "IVA inclusa" if self.gross else "IVA esclusa"

    def listed_stock(self) -> str:
        """The availability line of a listing: quantities only when few are left."""
        return self.stock_text().split(" (")[0]

    def stock_text(self) -> str:
        item = self.item
        if item.state == "backorder":
            return "Su ordinazione" if item.number % 2 else "In arrivo"
        if item.state == "out":
            return "Esaurito"
        if item.state == "low":
            return "Solo 1 pezzo" if item.stock == 1 else f"Solo {item.stock} pezzi"
        return f"Disponibile ({item.stock} pezzi)"


class PrestaShop:
    """The shop, its pages and its ground truth; `requests` records the path (and query) of
    every page asked for."""

    def __init__(self, size: int = 60, per_page: int = 24, email: str = "buyer@example.test",
                 password: str = "b2b-secret", seed: int = 7,
                 uncounted: dict[str, str] | None = None):
        self.per_page, self.email, self.password = per_page, email, password
        self.uncounted = uncounted or {}
        self.secret = f"{SHOP}-{seed}".encode()
        self.requests: list[str] = []
        self.products: list[Product] = []
        self.categories: dict[str, tuple[str, list[Product]]] = {}
        homes = [(f"{n}-{s}", name, rule) for n, s, name, rule in CATEGORIES]
        for item in stocked(SHOP, size, seed):
            key = (seed, SHOP, item.number)
            home = next(c for c, _, rule in homes if rule(item.part))
            discounted = stable_random(*key, "sconto") < 0.08
            name = title(item.part)
            self.products.append(Product(
                item, f"CR-{item.number:05}", f"/it/{home.split('-', 1)[1]}/{item.number}-"
                f"{slug(name)}.html", name, home, stable_random(*key, "iva") < 0.5,
                DISCOUNTS[int(5 * stable_random(*key, "quanto"))] if discounted else 0,
                stable_random(*key, "json-ld") < 0.5))
        for key, name, _ in homes:
            self.categories[key] = (name, [p for p in self.products if p.home == key])
        self.categories[f"{OFFERS[0]}-{OFFERS[1]}"] = (
            OFFERS[2], [p for p in self.products if p.discount])
        self.by_url = {p.url: p for p in self.products}
        self.position = {p.url: n for key, _, _ in homes  # in its home category
                         for n, p in enumerate(self.categories[key][1])}
        self.chrome = pages.chrome(
            [(name, f"/it/{key}") for key, (name, _) in self.categories.items()], email)

    def truth(self) -> dict[str, Truth]:
        """Every offer the shop holds, by SKU."""
        return {p.sku: truth(p.sku, p.item) for p in self.products}

    def start_paths(self) -> list[str]:
        return [f"/it/{key}" for key in self.categories]

    def page(self, kind: str, body: str, status: int = 200) -> HTMLResponse:
        head, tail = self.chrome
        return HTMLResponse(head.replace("{page}", kind, 1) + body + tail, status)

    async def category(self, request: Request) -> Response:
        self._record(request)
        key = request.path_params["category"]
        if key not in self.categories:
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        if not self.logged_in(request):
            return self.to_login(request)
        name, listed = self.categories[key]
        number = int(request.query_params.get("page", "1") or 1)
        if number > max(1, -(-len(listed) // self.per_page)) and (
                self.uncounted.get(key) == "404"):
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        return self.page("category", pages.listing(key, name, listed, number, self.per_page,
                                                   key not in self.uncounted))

    async def product(self, request: Request) -> Response:
        self._record(request)
        p = self.by_url.get(request.url.path)
        if p is None:
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        if not self.logged_in(request):
            return self.to_login(request)
        name, listed = self.categories[p.home]
        at = self.position[p.url]
        related = (listed[at + 1:] + listed[:at])[:8]
        return self.page("product", pages.product(p, name, len(listed) - 1, related))

    # ------------------------------------------------------------------ login

    def _token(self) -> str:
        return hmac.new(self.secret, self.email.encode(), hashlib.sha256).hexdigest()

    def logged_in(self, request: Request) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, ""), self._token())

    @staticmethod
    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/it/login?back={quote(request.url.path)}", 302)

    async def login(self, request: Request) -> Response:
        self._record(request)
        back = request.query_params.get("back", "/it/il-mio-account")
        if request.method == "GET":
            return self.page("authentication", pages.login_form(back))
        form = dict(parse_qsl((await request.body()).decode()))
        if (form.get("submitLogin") != "1" or form.get("email") != self.email
                or form.get("password") != self.password):
            return self.page("authentication",
                             pages.login_form(back, "Autenticazione non riuscita."))
        response = RedirectResponse(back if back.startswith("/") else "/it/il-mio-account", 302)
        response.set_cookie(COOKIE, self._token(), max_age=480 * 3600, httponly=True)
        return response

    async def account(self, request: Request) -> Response:
        if not self.logged_in(request):
            return self.to_login(request)
        return self.page("my-account", "<h1>Il tuo account</h1>")

    async def robots(self, _: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /it/carrello\nDisallow: /it/ordine\n"
                                 "Disallow: /*?order=\nDisallow: /*&order=\nDisallow: /*?q=\n")

    def _record(self, request: Request) -> None:
        query = request.url.query
        self.requests.append(request.url.path + (f"?{query}" if query else ""))

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/robots.txt", self.robots),
            Route("/it/login", self.login, methods=["GET", "POST"]),
            Route("/it/il-mio-account", self.account),
            Route("/it/{category}", self.category),
            Route("/it/{home}/{product}.html", self.product)])
