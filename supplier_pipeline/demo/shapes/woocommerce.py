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
import html
import json
import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supplier_pipeline.demo.catalog import money, slug, stable_random
from supplier_pipeline.demo.shapes import weight
from supplier_pipeline.demo.shapes.goods import Item, Truth, euro, stocked, title, truth
from supplier_pipeline.demo.shops.ricambi_italia import COLOURS

SHOP = "woo_shop"
COOKIE = "wordpress_logged_in_8c1f2e"
NONCE = "5d1e0c7a9b"
PER_SITEMAP = 1000  # as Yoast splits its product sitemap
STAGING = "https://staging.bottega-ricambi.example"
STOCK_CLASSES = {"in": "in-stock", "low": "in-stock", "backorder": "available-on-backorder",
                 "out": "out-of-stock"}


def stock_text(item: Item) -> str:
    if item.state == "backorder":
        return "Disponibile su ordinazione"
    if item.state == "out":
        return "Esaurito"
    if item.state == "low":
        return f"Solo {item.stock} rimasti in magazzino"
    return f"{item.stock} disponibili"


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


def _money(amount: Decimal) -> str:
    return (f'<span class="woocommerce-Price-amount amount"><bdi>{euro(amount)}&nbsp;<span '
            f'class="woocommerce-Price-currencySymbol">&euro;</span></bdi></span>')


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
        self.chrome = self._chrome()
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

    def _chrome(self) -> tuple[str, str]:
        """(everything before the page's content, everything after): about 60 KB."""
        categories = [(name, f"/categoria-prodotto/{slug(name)}/") for name in (
            "Display", "Batterie", "Vetri posteriori", "Connettori di ricarica", "Fotocamere",
            "Flat e cavi", "Offerte")]
        menu = weight.nested_menu(
            weight.category_menu(categories, lambda link, model: f"{link}{model}/"),
            {"ul": "sub-menu", "li": "menu-item menu-item-type-taxonomy menu-item-object-"
             "product_cat", "a": "menu-link", "sub": "sub-menu-wrap"})
        scripts = "".join(weight.script_object(name, value) for name, value in (
            ("wc_add_to_cart_params", {"ajax_url": "/wp-admin/admin-ajax.php",
                                       "wc_ajax_url": "/?wc-ajax=%%endpoint%%",
                                       "i18n_view_cart": "Visualizza carrello",
                                       "cart_url": "/carrello/", "is_cart": ""}),
            ("woocommerce_params", {"ajax_url": "/wp-admin/admin-ajax.php",
                                    "urls": weight.asset_urls("/wp-json/wc", 40)}),
            ("wpcf7", {"api": {"root": "/wp-json/", "namespace": "contact-form-7/v1"},
                       "routes": weight.asset_urls("/wp-json/wp", 25)})))
        head = ('<!DOCTYPE html><html lang="it-IT"><head><meta charset="UTF-8">'
                + weight.stylesheet("wp-block", 60) + weight.stylesheet("woocommerce", 10)
                + scripts + '</head><body class="wp-theme-storefront woocommerce-page">'
                '<div id="page" class="hfeed site"><header id="masthead" class="site-header">'
                '<div class="site-branding"><a href="/" class="custom-logo-link">Bottega '
                'Ricambi</a></div><nav id="site-navigation" class="main-navigation" '
                f'aria-label="Navigazione principale">{menu}</nav><div class="handheld-'
                'navigation" hidden></div><ul id="site-header-cart"><li><a class='
                '"cart-contents" href="/carrello/">0,00&nbsp;&euro; 0 articoli</a></li></ul>'
                '<nav class="account">{account}</nav></header><div id="content" class="site-'
                'content"><div class="col-full">')
        tail = ("</div></div>" + weight.footer(4, "", "© 2026 Bottega Ricambi - P.IVA "
                                               "09876543210") + "</div></body></html>")
        return head, tail

    def page(self, b2b: bool, body: str, status: int = 200) -> HTMLResponse:
        account = ('<a href="/mio-account/">Il mio account</a> <a href="/mio-account/customer-'
                   'logout/?_wpnonce=3f9a1c">Esci</a>' if b2b else
                   '<a href="/mio-account/">Accedi</a>')
        head, tail = self.chrome
        return HTMLResponse(head.replace("{account}", account, 1) + body + tail, status)

    def price_html(self, product: Product, b2b: bool) -> str:
        """The price as shown, with WooCommerce's suffix; a range for a variable product."""
        prices = sorted({product.price(v, b2b) for v in product.variations})
        shown = " &ndash; ".join(_money(p) for p in dict.fromkeys([prices[0], prices[-1]]))
        suffix = "+ IVA" if b2b else "IVA inclusa"
        return f'{shown} <small class="woocommerce-price-suffix">{suffix}</small>'

    def tile(self, p: Product, b2b: bool, first: bool = False) -> str:
        state = "instock" if any(v.item.stock or v.item.orderable for v in p.variations) \
            else "outofstock"
        kind = "variable" if p.variable else "simple"
        button = (f'<a href="/prodotto/{p.slug}/" data-quantity="1" class="button product_type_'
                  f'variable add_to_cart_button" data-product_id="{p.number}" data-product_sku='
                  f'"{p.sku}" rel="nofollow">Scegli un&#039;opzione</a>' if p.variable else
                  f'<a href="?add-to-cart={p.number}" data-quantity="1" class="button product_'
                  f'type_simple add_to_cart_button ajax_add_to_cart" data-product_id="'
                  f'{p.number}" data-product_sku="{p.sku}" aria-label="Aggiungi al carrello: '
                  f'&ldquo;{html.escape(p.name)}&rdquo;" rel="nofollow">Aggiungi al carrello</a>')
        image = f"/wp-content/uploads/2025/03/{p.slug}"
        return (f'<li class="product type-product post-{p.number} status-publish'
                f'{" first" if first else ""} {state} product_cat-ricambi has-post-thumbnail '
                f'taxable shipping-taxable purchasable product-type-{kind}"><a href="/prodotto/'
                f'{p.slug}/" class="woocommerce-LoopProduct-link woocommerce-loop-product__link">'
                f'<img width="324" height="324" src="{image}-324x324.jpg" class="attachment-'
                f'woocommerce_thumbnail size-woocommerce_thumbnail" alt="" decoding="async" '
                f'loading="lazy" srcset="{image}-324x324.jpg 324w, {image}-150x150.jpg 150w, '
                f'{image}-100x100.jpg 100w" sizes="(max-width: 324px) 100vw, 324px"><h2 class='
                f'"woocommerce-loop-product__title">{html.escape(p.name)}</h2><span class="price"'
                f">{self.price_html(p, b2b)}</span></a>{button}</li>")

    # ------------------------------------------------------------------ listings

    async def shop(self, request: Request) -> Response:
        self._record(request)
        number = int(request.path_params.get("number", 1))
        listed = self.products[(number - 1) * self.per_page:number * self.per_page]
        if not listed:
            return self.page(False, "<h1>Pagina non trovata</h1>", 404)
        b2b = self.logged_in(request)
        total = len(self.products)
        tiles = "".join(self.tile(p, b2b, n % 4 == 0) for n, p in enumerate(listed))
        count = (f'<p class="woocommerce-result-count">Visualizzazione di '
                 f"{(number - 1) * self.per_page + 1}–{(number - 1) * self.per_page + len(listed)}"
                 f" di {total} risultati</p>")
        pages = -(-total // self.per_page)
        numbers = "".join(f'<li><a class="page-numbers" href="/negozio/page/{n}/">{n}</a></li>'
                          for n in (1, number - 1, number + 1, pages) if 1 <= n <= pages
                          and n != number)
        following = (f'<li><a class="next page-numbers" href="/negozio/page/{number + 1}/">'
                     "&rarr;</a></li>" if number < pages else "")
        return self.page(b2b, (
            f'<main id="main" class="site-main"><header class="woocommerce-products-header">'
            f'<h1 class="woocommerce-products-header__title page-title">Negozio</h1></header>'
            f'{count}<form class="woocommerce-ordering" method="get"><select name="orderby" '
            f'class="orderby"><option value="menu_order" selected>Ordinamento predefinito'
            f'</option><option value="price">Prezzo: dal più economico</option></select>'
            f'</form><ul class="products columns-4">{tiles}</ul><nav class="woocommerce-'
            f'pagination"><ul class="page-numbers"><li><span aria-current="page" class="page-'
            f'numbers current">{number}</span></li>{numbers}{following}</ul></nav></main>'))

    # ------------------------------------------------------------------ product pages

    def _json_ld(self, p: Product, b2b: bool, url: str) -> str:
        prices = [p.price(v, b2b) for v in p.variations]
        states = {v.item.state for v in p.variations}
        availability = ("InStock" if states & {"in", "low"} else
                        "BackOrder" if "backorder" in states else "OutOfStock")
        common = {"priceValidUntil": "2027-12-31", "priceCurrency": "EUR", "url": url,
                  "availability": f"http://schema.org/{availability}",
                  "seller": {"@type": "Organization", "name": "Bottega Ricambi", "url": "/"}}
        offer = ({"@type": "AggregateOffer", "lowPrice": str(min(prices)),
                  "highPrice": str(max(prices)), "offerCount": len(prices), **common}
                 if p.variable else
                 {"@type": "Offer", "price": str(prices[0]), "priceSpecification": {
                     "price": str(prices[0]), "priceCurrency": "EUR",
                     "valueAddedTaxIncluded": "false" if b2b else "true"}, **common})
        data = {"@context": "https://schema.org/", "@graph": [
            {"@type": "BreadcrumbList", "itemListElement": [
                {"@type": "ListItem", "position": 1, "item": {"name": "Home", "@id": "/"}},
                {"@type": "ListItem", "position": 2, "item": {"name": p.name, "@id": url}}]},
            {"@type": "Product", "@id": f"{url}#product", "name": p.name, "url": url,
             "description": f"Ricambio {p.name}, testato.", "sku": p.sku,
             "image": f"/wp-content/uploads/2025/03/{p.slug}.jpg", "offers": [offer]}]}
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'

    def _variations_form(self, p: Product, b2b: bool) -> str:
        image = f"/wp-content/uploads/2025/03/{p.slug}"
        data = []
        for n, v in enumerate(p.variations):
            item, price = v.item, float(p.price(v, b2b))
            backorder = item.state == "backorder"
            data.append({
                "attributes": {"attribute_pa_colore": v.colour},
                "availability_html": f'<p class="stock {STOCK_CLASSES[item.state]}">'
                                     f"{stock_text(item)}</p>",
                "backorders_allowed": item.orderable, "display_price": price,
                "display_regular_price": price, "image": {
                    "title": v.sku, "caption": "", "url": f"{image}-{v.colour}.jpg",
                    "alt": p.name, "src": f"{image}-{v.colour}-600x600.jpg",
                    "srcset": f"{image}-{v.colour}-600x600.jpg 600w, {image}-{v.colour}-"
                              f"300x300.jpg 300w, {image}-{v.colour}-100x100.jpg 100w",
                    "sizes": "(max-width: 600px) 100vw, 600px", "full_src_w": 1200,
                    "full_src_h": 1200, "thumb_src": f"{image}-{v.colour}-100x100.jpg"},
                "image_id": 4000 + p.number * 10 + n, "is_in_stock": item.stock > 0 or backorder,
                "is_purchasable": True, "max_qty": item.stock if item.stock else "",
                "min_qty": 1, "price_html": f'<span class="price">{_money(Decimal(str(price)))}'
                                            "</span>", "sku": v.sku,
                "variation_id": 9000 + p.number * 10 + n, "variation_is_active": True,
                "variation_is_visible": True, "weight": "0.1", "weight_html": "0,1 kg"})
        options = "".join(f'<option value="{v.colour}">{v.colour.title()}</option>'
                          for v in p.variations)
        return (f'<form class="variations_form cart" action="/prodotto/{p.slug}/" method="post" '
                f'enctype="multipart/form-data" data-product_id="{p.number}" data-product_'
                f'variations="{html.escape(json.dumps(data))}"><table class="variations"><tr>'
                f'<th class="label"><label for="pa_colore">Colore</label></th><td class="value">'
                f'<select id="pa_colore" name="attribute_pa_colore"><option value="">Scegli '
                f"un&#039;opzione</option>{options}</select></td></tr></table>"
                f'<div class="single_variation_wrap"><div class="woocommerce-variation '
                f'single_variation"></div>'
                f'<button type="submit" class="single_add_to_cart_button button alt disabled">'
                f"Aggiungi al carrello</button></div></form>")

    async def product(self, request: Request) -> Response:
        self._record(request)
        p = self.by_slug.get(request.path_params["slug"])
        if p is None:
            return self.page(False, "<h1>Pagina non trovata</h1>", 404)
        b2b = self.logged_in(request)
        if p.variable:
            buy = self._variations_form(p, b2b)
        else:
            item = p.variations[0].item
            buy = (f'<p class="stock {STOCK_CLASSES[item.state]}">{stock_text(item)}</p><form '
                   f'class="cart" action="/prodotto/{p.slug}/" method="post"><div class='
                   f'"quantity"><input type="number" class="input-text qty text" name='
                   f'"quantity" value="1" min="1" max="{item.stock or ""}"></div><button type='
                   f'"submit" name="add-to-cart" value="{p.number}" class="single_add_to_cart_'
                   'button button alt">Aggiungi al carrello</button></form>')
        at = self.position[p.slug]
        related = [self.products[(at + n) % len(self.products)] for n in range(1, 5)]
        part = p.variations[0].item.part
        details = "".join(f'<tr><th>{k}</th><td><p>{html.escape(v)}</p></td></tr>' for k, v in (
            ("Marca", part.brand), ("Modello", part.device_model), ("EAN", part.ean)))
        return self.page(b2b, (
            f'<main id="main" class="site-main"><div id="product-{p.number}" class="product '
            f'type-product post-{p.number} status-publish product-type-'
            f'{"variable" if p.variable else "simple"}"><div class="woocommerce-product-gallery">'
            f'<img src="/wp-content/uploads/2025/03/{p.slug}-600x600.jpg" alt=""></div><div '
            f'class="summary entry-summary"><h1 class="product_title entry-title">'
            f'{html.escape(p.name)}</h1><p class="price">{self.price_html(p, b2b)}</p><div '
            f'class="woocommerce-product-details__short-description"><p>Ricambio testato prima '
            f"della spedizione, garanzia 12 mesi.</p></div>{buy}<div class=\"product_meta\">"
            f'<span class="sku_wrapper">COD: <span class="sku">{p.sku}</span></span> <span '
            f'class="posted_in">Categoria: <a href="/categoria-prodotto/ricambi/" rel="tag">'
            f'Ricambi</a></span></div></div><div class="woocommerce-tabs wc-tabs-wrapper"><table'
            f' class="woocommerce-product-attributes shop_attributes">{details}</table></div>'
            f'<section class="related products"><h2>Prodotti correlati</h2><ul class="products '
            f'columns-4">{"".join(self.tile(r, b2b) for r in related)}</ul></section></div>'
            f"</main>{self._json_ld(p, b2b, str(request.url))}"))

    # ------------------------------------------------------------------ login

    @staticmethod
    def login_form() -> str:
        return ('<div class="u-columns col2-set" id="customer_login"><div class="u-column1 '
                'col-1"><h2>Accedi</h2><form class="woocommerce-form woocommerce-form-login '
                'login" method="post"><input type="text" class="woocommerce-Input input-text" '
                'name="username" id="username" autocomplete="username"><input class="'
                'woocommerce-Input input-text" type="password" name="password" id="password" '
                'autocomplete="current-password"><label class="woocommerce-form__label"><input '
                'class="woocommerce-form__input" name="rememberme" type="checkbox" id="'
                'rememberme" value="forever"> <span>Ricordami</span></label><input type="hidden"'
                f' name="woocommerce-login-nonce" value="{NONCE}"><input type="hidden" name="'
                '_wp_http_referer" value="/mio-account/"><button type="submit" class="'
                'woocommerce-button button woocommerce-form-login__submit" name="login" value='
                '"Accedi">Accedi</button></form></div><div class="u-column2 col-2"><h2>'
                'Registrati</h2><form class="woocommerce-form woocommerce-form-register '
                'register" method="post"><input type="email" name="email"><input type="hidden" '
                'name="woocommerce-register-nonce" value="7e2b"><button type="submit" name="'
                'register" value="Registrati">Registrati</button></form></div></div>')

    async def account(self, request: Request) -> Response:
        self._record(request)
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode()))
            if ("login" not in form or form.get("woocommerce-login-nonce") != NONCE
                    or form.get("username") != self.user
                    or form.get("password") != self.password):
                return self.page(False, '<ul class="woocommerce-error" role="alert"><li>'
                                 "<strong>Errore:</strong> nome utente o password non validi."
                                 "</li></ul>" + self.login_form())
            self.logins += 1
            token = secrets.token_hex(16)
            self.tokens.add(token)
            response = RedirectResponse("/mio-account/", 302)
            response.set_cookie(COOKIE, token, httponly=True)
            return response
        b2b = self.logged_in(request)
        return self.page(b2b, "<p>Ciao! Dalla bacheca del tuo account puoi visualizzare gli "
                         "ordini recenti.</p>" if b2b else self.login_form())

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
