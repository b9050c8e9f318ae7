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
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.catalog import Part, money, slug, stable_random
from supplier_pipeline.demo.shapes import weight
from supplier_pipeline.demo.shapes.goods import Item, Truth, euro, stocked, title, truth
from supplier_pipeline.demo.shops.ricambi_italia import COLOURS, QUALITIES

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
ICONS = {"in": ("product-available", "&#xE5CA;"), "low": ("product-last-items", "&#xE002;"),
         "backorder": ("product-available", "&#xE5CA;"), "out": ("product-unavailable",
                                                                  "&#xE14B;")}


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
        self.chrome = self._chrome()

    def truth(self) -> dict[str, Truth]:
        """Every offer the shop holds, by SKU."""
        return {p.sku: truth(p.sku, p.item) for p in self.products}

    def start_paths(self) -> list[str]:
        return [f"/it/{key}" for key in self.categories]

    # ------------------------------------------------------------------ the page around

    def _chrome(self) -> tuple[str, str]:
        """(everything before the page's content, everything after): about 60 KB."""
        listed = [(name, f"/it/{key}") for key, (name, _) in self.categories.items()]
        menu = weight.nested_menu(
            weight.category_menu(listed, lambda link, model: f"{link}/{model}"),
            {"ul": "top-menu", "li": "category", "a": "dropdown-item", "sub": "popover "
             "sub-menu js-sub-menu collapse"})
        config = {"urls": weight.asset_urls("/it", 60), "currency": {
            "iso_code": "EUR", "sign": "€", "format": "#,##0.00\u00a0¤"},
            "customer": {"is_logged": True, "email": self.email, "addresses": {}},
            "language": {"iso_code": "it", "locale": "it-IT", "name": "Italiano"},
            "configuration": {"display_taxes_label": True, "display_prices_tax_incl": True,
                              "is_catalog": False, "show_prices": True}}
        head = (f'<!doctype html><html lang="it"><head><meta charset="utf-8">'
                f'<link rel="stylesheet" href="/themes/classic/assets/css/theme.css">'
                f'{weight.stylesheet("ps", 110)}<script>var prestashop = '
                f'{json.dumps(config)};</script></head><body id="{{page}}" class="lang-it">'
                '<main><header id="header"><div class="header-nav"><a href="/it/il-mio-account"'
                ' class="account">Il mio account</a><a href="/it/logout">Esci</a></div>'
                f'<div id="_desktop_top_menu" class="menu js-top-menu">{menu}</div>'
                '<div id="_mobile_top_menu" class="mobile-menu" hidden></div></header>'
                '<section id="wrapper"><div class="container">')
        tail = ("</div></section>"
                + weight.footer(4, "/it", "© 2026 Centro Ricambi Srl - P.IVA 01234567890")
                + "</main></body></html>")
        return head, tail

    def page(self, kind: str, body: str, status: int = 200) -> HTMLResponse:
        head, tail = self.chrome
        return HTMLResponse(head.replace("{page}", kind, 1) + body + tail, status)

    # ------------------------------------------------------------------ listings

    def miniature(self, p: Product) -> str:
        was = (f'<span class="regular-price" aria-label="Prezzo base">'
               f"{euro(money(float(p.price * 100 / (100 - p.discount))))}&nbsp;€</span>"
               f'<span class="discount-percentage discount-product">-{p.discount}%</span>'
               if p.discount else "")
        state, icon = ICONS[p.item.state]
        flags = f'<li class="product-flag discount">-{p.discount}%</li>' if p.discount else ""
        return (f'<div class="js-product product col-xs-12 col-sm-6 col-xl-4"><article '
                f'class="product-miniature js-product-miniature" data-id-product="'
                f'{p.item.number}" data-id-product-attribute="0"><div class="thumbnail-'
                f'container"><a href="{p.url}" class="thumbnail product-thumbnail"><img '
                f'src="/{p.item.number}-home_default/{slug(p.name)}.jpg" alt="{escape(p.name)}"'
                f' loading="lazy" width="250" height="250"></a><div class="product-description">'
                f'<h2 class="h3 product-title"><a href="{p.url}">{escape(p.name)}</a></h2>'
                f'<div class="product-price-and-shipping">{was}<span class="price" aria-label'
                f'="Prezzo">{euro(p.price)}&nbsp;€</span> <span class="tax-label">{p.label}'
                f'</span></div><div class="product-availability"><i class="material-icons '
                f'{state}">{icon}</i><span>{p.listed_stock()}</span></div></div><ul class='
                f'"product-flags">{flags}</ul></div></article></div>')

    def _facets(self, listed: list[Product]) -> str:
        counts: dict[str, dict[str, int]] = {"Marca": {}, "Qualità": {}}
        for p in listed:
            for facet, value in (("Marca", p.item.part.brand),
                                 ("Qualità", QUALITIES[p.item.part.quality])):
                counts[facet][value] = counts[facet].get(value, 0) + 1
        blocks = "".join(
            f'<section class="facet"><p class="h6 facet-title">{facet}</p><ul>' + "".join(
                f'<li><label class="facet-label"><input type="checkbox"><a href="?q={facet}-'
                f'{quote(value)}" class="search-link js-search-link" rel="nofollow">'
                f'{escape(value)}<span class="magnitude">({n})</span></a></label></li>'
                for value, n in values.items()) + "</ul></section>"
            for facet, values in counts.items())
        return f'<div id="search_filters"><p class="text-uppercase h6">Filtra per</p>{blocks}</div>'

    def _pager(self, key: str, number: int, pages: int, total: int, shown: int) -> str:
        link = f"/it/{key}"
        count = "" if key in self.uncounted else (
            f'<div class="col-md-4">Mostrando {(number - 1) * self.per_page + 1}-'
            f"{(number - 1) * self.per_page + shown} di {total} articoli</div>")
        numbers = "".join(
            f'<li{" class=current" if n == number else ""}><a rel="nofollow" href="{link}'
            f'?page={n}" class="js-search-link">{n}</a></li>' for n in range(1, pages + 1)
            if n in (1, number - 1, number, number + 1, pages))
        dangling = key in self.uncounted and number == pages
        following = (f'<li><a rel="next" href="{link}?page={number + 1}" class="next '
                     'js-search-link">Successivo</a></li>' if number < pages or dangling
                     else "")
        return (f'<nav class="pagination"><div class="row">{count}<div class="col-md-6"><ul '
                f'class="page-list">{numbers}{following}</ul></div></div></nav>')

    async def category(self, request: Request) -> Response:
        self._record(request)
        key = request.path_params["category"]
        if key not in self.categories:
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        if not self.logged_in(request):
            return self.to_login(request)
        name, listed = self.categories[key]
        pages = max(1, -(-len(listed) // self.per_page))
        number = int(request.query_params.get("page", "1") or 1)
        if number > pages and self.uncounted.get(key) == "404":
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        shown = listed[(number - 1) * self.per_page:number * self.per_page]
        tiles = "".join(self.miniature(p) for p in shown) or (
            '<section id="content" class="page-not-found"><p>Non ci sono prodotti in questa '
            "categoria.</p></section>")
        pager = self._pager(key, number, pages, len(listed), len(shown)) if shown else ""
        total = "" if key in self.uncounted else (
            f'<div class="total-products"><p>Ci sono {len(listed)} prodotti.</p></div>')
        sort = "".join(f'<a rel="nofollow" href="?order=product.{o}" class="select-list '
                       f'js-search-link">{label}</a>' for o, label in (
                           ("position.asc", "Rilevanza"), ("name.asc", "Nome, da A a Z"),
                           ("price.asc", "Prezzo, da meno caro a più caro")))
        return self.page("category", (
            f'<div id="left-column" class="col-md-3">{self._facets(listed)}</div>'
            f'<div id="content-wrapper" class="col-md-9"><h1 class="h1">{escape(name)}</h1>'
            f'<div id="js-product-list-top" class="products-selection">{total}<div class='
            f'"sort-by-row">Ordina per: {sort}</div></div><div id="js-product-list"><div '
            f'class="products row">{tiles}</div>{pager}</div></div>'))

    # ------------------------------------------------------------------ product pages

    def _json_ld(self, p: Product) -> str:
        part = p.item.part
        orderable = p.item.stock > 0 or p.item.orderable
        data = {"@context": "https://schema.org/", "@type": "Product", "name": p.name,
                "category": self.categories[p.home][0], "sku": p.sku, "mpn": p.sku,
                "gtin13": part.ean, "brand": {"@type": "Brand", "name": part.brand},
                "image": f"/{p.item.number}-large_default/{slug(p.name)}.jpg",
                "offers": {"@type": "Offer", "name": p.name, "price": str(p.price),
                           "priceCurrency": "EUR", "url": p.url, "sku": p.sku,
                           "availability": "https://schema.org/" + (
                               "InStock" if orderable else "OutOfStock"),
                           "seller": {"@type": "Organization", "name": "Centro Ricambi"}}}
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'

    async def product(self, request: Request) -> Response:
        self._record(request)
        p = self.by_url.get(request.url.path)
        if p is None:
            return self.page("pagenotfound", "<h1>Pagina non trovata</h1>", 404)
        if not self.logged_in(request):
            return self.to_login(request)
        part = p.item.part
        was = (f'<div class="product-discount"><span class="regular-price">'
               f"{euro(money(float(p.price * 100 / (100 - p.discount))))}&nbsp;€</span></div>"
               if p.discount else "")
        saving = (f'<span class="discount discount-percentage">Risparmia {p.discount}%</span>'
                  if p.discount else "")
        state, icon = ICONS[p.item.state]
        sheet = "".join(f'<dt class="name">{k}</dt><dd class="value">{escape(v)}</dd>'
                        for k, v in (("Marca", part.brand), ("Modello", part.device_model),
                                     ("Qualità", QUALITIES[part.quality]),
                                     ("Colore", COLOURS.get(part.colour or "", "-")),
                                     ("EAN-13", part.ean)))
        listed = self.categories[p.home][1]
        at = self.position[p.url]
        related = "".join(self.miniature(r) for r in (listed[at + 1:] + listed[:at])[:8])
        home_name = self.categories[p.home][0]
        return self.page("product", (
            f'<nav class="breadcrumb"><ol><li><a href="/it/"><span>Home</span></a></li><li>'
            f'<a href="/it/{p.home}"><span>{escape(home_name)}</span></a></li><li><span>'
            f'{escape(p.name)}</span></li></ol></nav><section id="main">'
            f'<div class="row product-container"><div class="col-md-6"><img class="js-qv-'
            f'product-cover" src="/{p.item.number}-large_default/{slug(p.name)}.jpg" alt='
            f'"{escape(p.name)}"></div><div class="col-md-6"><h1 class="h1">{escape(p.name)}'
            f'</h1><div class="product-prices js-product-prices">{was}<div class="product-'
            f'price h5"><div class="current-price"><span class="current-price-value" content='
            f'"{p.price}">{euro(p.price)}&nbsp;€</span>{saving}</div></div><div class="tax-'
            f'shipping-delivery-label">{p.label}</div></div><div class="product-information">'
            f'<div class="product-description"><p>Ricambio {escape(p.name)}, testato prima '
            f"della spedizione. Garanzia 12 mesi.</p></div><div class=\"product-actions\"><form"
            f' action="/it/carrello" method="post" id="add-to-cart-or-refresh"><input type='
            f'"hidden" name="id_product" value="{p.item.number}"><input type="number" name='
            f'"qty" id="quantity_wanted" value="1" min="1"><button class="btn btn-primary add-'
            f'to-cart" data-button-action="add-to-cart" type="submit">Aggiungi al carrello'
            f'</button><span id="product-availability" class="js-product-availability"><i '
            f'class="material-icons {state}">{icon}</i>{p.stock_text()}</span></form></div>'
            f'<div class="product-details" id="product-details"><div class="product-reference">'
            f'<label class="label">Riferimento </label><span>{p.sku}</span></div><section '
            f'class="product-features"><p class="h6">Scheda tecnica</p><dl class="data-sheet">'
            f'{sheet}</dl></section></div></div></div></div><section class="featured-products">'
            f'<h2>{len(listed) - 1} altri prodotti della stessa categoria:</h2><div class='
            f'"products">{related}</div></section></section>'
            + (self._json_ld(p) if p.json_ld else "")))

    # ------------------------------------------------------------------ login

    def _token(self) -> str:
        return hmac.new(self.secret, self.email.encode(), hashlib.sha256).hexdigest()

    def logged_in(self, request: Request) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, ""), self._token())

    @staticmethod
    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/it/login?back={quote(request.url.path)}", 302)

    def login_form(self, back: str, error: str = "") -> Response:
        message = (f'<div class="help-block"><ul><li class="alert alert-danger">{error}</li>'
                   "</ul></div>" if error else "")
        return self.page("authentication", (
            f'<section id="content" class="page-authentication"><h1>Accedi al tuo account</h1>'
            f'{message}<form id="login-form" action="/it/login?back={quote(back)}" method='
            '"post"><input type="hidden" name="back" value="' + escape(back) + '"><input '
            'class="form-control" name="email" type="email" required><input class="form-'
            'control js-child-focus js-visible-password" name="password" type="password" '
            'required><a href="/it/recupero-password" rel="nofollow">Hai dimenticato la '
            'password?</a><input type="hidden" name="submitLogin" value="1"><button id="'
            'submit-login" class="btn btn-primary" data-link-action="sign-in" type="submit">'
            'Accedi</button></form><a href="/it/registrazione">Non hai un account? Creane uno'
            "</a></section>"))

    async def login(self, request: Request) -> Response:
        self._record(request)
        back = request.query_params.get("back", "/it/il-mio-account")
        if request.method == "GET":
            return self.login_form(back)
        form = dict(parse_qsl((await request.body()).decode()))
        if (form.get("submitLogin") != "1" or form.get("email") != self.email
                or form.get("password") != self.password):
            return self.login_form(back, "Autenticazione non riuscita.")
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
