"""The PrestaShop-like shop's markup (1.7 classic theme): the page around the content, the
product miniatures of listings, facets and pager, the product page, its JSON-LD, the login
form."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from supplier_pipeline.demo.catalog import money, slug
from supplier_pipeline.demo.shapes import weight
from supplier_pipeline.demo.shapes.goods import euro
from supplier_pipeline.demo.shops.ricambi_italia import COLOURS, QUALITIES

if TYPE_CHECKING:
    from supplier_pipeline.demo.shapes.prestashop import Product

ICONS = {"in": ("product-available", "&#xE5CA;"), "low": ("product-last-items", "&#xE002;"),
         "backorder": ("product-available", "&#xE5CA;"), "out": ("product-unavailable",
                                                                  "&#xE14B;")}
SORTS = (("position.asc", "Rilevanza"), ("name.asc", "Nome, da A a Z"),
         ("price.asc", "Prezzo, da meno caro a più caro"))


def chrome(categories: list[tuple[str, str]], email: str) -> tuple[str, str]:
    """(everything before a page's content, everything after): about 60 KB. `{page}` in the
    first stands for the page's kind."""
    menu = weight.nested_menu(
        weight.category_menu(categories, lambda link, model: f"{link}/{model}"),
        {"ul": "top-menu", "li": "category", "a": "dropdown-item",
         "sub": "popover sub-menu js-sub-menu collapse"})
    config = {"urls": weight.asset_urls("/it", 60), "currency": {
        "iso_code": "EUR", "sign": "€", "format": "#,##0.00\u00a0¤"},
        "customer": {"is_logged": True, "email": email, "addresses": {}},
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


def _was(p: Product) -> str:
    return euro(money(float(p.price * 100 / (100 - p.discount))))


def miniature(p: Product) -> str:
    """A product on a listing (or among the related products): name, price with its VAT
    label, the struck-through price of a discount, availability; no code."""
    was = (f'<span class="regular-price" aria-label="Prezzo base">{_was(p)}&nbsp;€</span>'
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


def _facets(listed: list[Product]) -> str:
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


def _pager(link: str, number: int, pages: int, first: int, shown: int, total: int,
           counted: bool) -> str:
    count = (f'<div class="col-md-4">Mostrando {first}-{first + shown - 1} di {total} '
             "articoli</div>" if counted else "")
    numbers = "".join(
        f'<li{" class=current" if n == number else ""}><a rel="nofollow" href="{link}'
        f'?page={n}" class="js-search-link">{n}</a></li>' for n in range(1, pages + 1)
        if n in (1, number - 1, number, number + 1, pages))
    following = (f'<li><a rel="next" href="{link}?page={number + 1}" class="next '
                 'js-search-link">Successivo</a></li>' if number < pages or not counted
                 else "")
    return (f'<nav class="pagination"><div class="row">{count}<div class="col-md-6"><ul '
            f'class="page-list">{numbers}{following}</ul></div></div></nav>')


def listing(key: str, name: str, listed: list[Product], number: int, per_page: int,
            counted: bool) -> str:
    """Page `number` of a category; an uncounted one's pager links on from its last page."""
    pages = max(1, -(-len(listed) // per_page))
    shown = listed[(number - 1) * per_page:number * per_page]
    tiles = "".join(miniature(p) for p in shown) or (
        '<section id="content" class="page-not-found"><p>Non ci sono prodotti in questa '
        "categoria.</p></section>")
    pager = _pager(f"/it/{key}", number, pages, (number - 1) * per_page + 1, len(shown),
                   len(listed), counted) if shown else ""
    total = (f'<div class="total-products"><p>Ci sono {len(listed)} prodotti.</p></div>'
             if counted else "")
    sort = "".join(f'<a rel="nofollow" href="?order=product.{o}" class="select-list '
                   f'js-search-link">{label}</a>' for o, label in SORTS)
    return (f'<div id="left-column" class="col-md-3">{_facets(listed)}</div>'
            f'<div id="content-wrapper" class="col-md-9"><h1 class="h1">{escape(name)}</h1>'
            f'<div id="js-product-list-top" class="products-selection">{total}<div class='
            f'"sort-by-row">Ordina per: {sort}</div></div><div id="js-product-list"><div '
            f'class="products row">{tiles}</div>{pager}</div></div>')


def _json_ld(p: Product, category: str) -> str:
    """As theme modules write it: InStock for whatever can be ordered."""
    part = p.item.part
    orderable = p.item.stock > 0 or p.item.orderable
    data = {"@context": "https://schema.org/", "@type": "Product", "name": p.name,
            "category": category, "sku": p.sku, "mpn": p.sku,
            "gtin13": part.ean, "brand": {"@type": "Brand", "name": part.brand},
            "image": f"/{p.item.number}-large_default/{slug(p.name)}.jpg",
            "offers": {"@type": "Offer", "name": p.name, "price": str(p.price),
                       "priceCurrency": "EUR", "url": p.url, "sku": p.sku,
                       "availability": "https://schema.org/" + (
                           "InStock" if orderable else "OutOfStock"),
                       "seller": {"@type": "Organization", "name": "Centro Ricambi"}}}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def product(p: Product, category: str, others: int, related: list[Product]) -> str:
    """A product page: price with its label, quantity, reference, data sheet, the related
    products of its category, and JSON-LD when the product has it."""
    part = p.item.part
    was = (f'<div class="product-discount"><span class="regular-price">{_was(p)}&nbsp;€'
           "</span></div>" if p.discount else "")
    saving = (f'<span class="discount discount-percentage">Risparmia {p.discount}%</span>'
              if p.discount else "")
    state, icon = ICONS[p.item.state]
    sheet = "".join(f'<dt class="name">{k}</dt><dd class="value">{escape(v)}</dd>'
                    for k, v in (("Marca", part.brand), ("Modello", part.device_model),
                                 ("Qualità", QUALITIES[part.quality]),
                                 ("Colore", COLOURS.get(part.colour or "", "-")),
                                 ("EAN-13", part.ean)))
    return (
        f'<nav class="breadcrumb"><ol><li><a href="/it/"><span>Home</span></a></li><li>'
        f'<a href="/it/{p.home}"><span>{escape(category)}</span></a></li><li><span>'
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
        f'<h2>{others} altri prodotti della stessa categoria:</h2><div class="products">'
        f'{"".join(miniature(r) for r in related)}</div></section></section>'
        + (_json_ld(p, category) if p.json_ld else ""))


def login_form(back: str, error: str = "") -> str:
    message = (f'<div class="help-block"><ul><li class="alert alert-danger">{error}</li>'
               "</ul></div>" if error else "")
    return (f'<section id="content" class="page-authentication"><h1>Accedi al tuo account'
            f'</h1>{message}<form id="login-form" action="/it/login?back={quote(back)}" '
            'method="post"><input type="hidden" name="back" value="' + escape(back) + '">'
            '<input class="form-control" name="email" type="email" required><input class='
            '"form-control js-child-focus js-visible-password" name="password" type="password"'
            ' required><a href="/it/recupero-password" rel="nofollow">Hai dimenticato la '
            'password?</a><input type="hidden" name="submitLogin" value="1"><button id="'
            'submit-login" class="btn btn-primary" data-link-action="sign-in" type="submit">'
            'Accedi</button></form><a href="/it/registrazione">Non hai un account? Creane uno'
            "</a></section>")
