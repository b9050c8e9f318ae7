"""The WooCommerce-like store's markup (Storefront theme): the page around the content, the
price as shown (a range and WooCommerce's suffix), the shop's product tiles and pager, the
product page with its variations form and JSON-LD, the login form."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from typing import TYPE_CHECKING

from supplier_pipeline.demo.catalog import slug
from supplier_pipeline.demo.shapes import weight
from supplier_pipeline.demo.shapes.goods import Item, euro

if TYPE_CHECKING:
    from supplier_pipeline.demo.shapes.woocommerce import Product

NONCE = "5d1e0c7a9b"  # the login form's woocommerce-login-nonce
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


def _money(amount: Decimal) -> str:
    return (f'<span class="woocommerce-Price-amount amount"><bdi>{euro(amount)}&nbsp;<span '
            f'class="woocommerce-Price-currencySymbol">&euro;</span></bdi></span>')


def chrome() -> tuple[str, str]:
    """(everything before a page's content, everything after): about 60 KB. `{account}` in
    the first stands for the header's account links."""
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


def account(b2b: bool) -> str:
    """The header's account links: "Esci" only for a logged-in customer."""
    return ('<a href="/mio-account/">Il mio account</a> <a href="/mio-account/customer-logout/'
            '?_wpnonce=3f9a1c">Esci</a>' if b2b else '<a href="/mio-account/">Accedi</a>')


def price_html(product: Product, b2b: bool) -> str:
    """The price as shown, with WooCommerce's suffix; a range for a variable product."""
    prices = sorted({product.price(v, b2b) for v in product.variations})
    shown = " &ndash; ".join(_money(p) for p in dict.fromkeys([prices[0], prices[-1]]))
    suffix = "+ IVA" if b2b else "IVA inclusa"
    return f'{shown} <small class="woocommerce-price-suffix">{suffix}</small>'

def tile(p: Product, b2b: bool, first: bool = False) -> str:
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
            f">{price_html(p, b2b)}</span></a>{button}</li>")


def listing(number: int, listed: list[Product], total: int, per_page: int, b2b: bool) -> str:
    """Page `number` of /negozio/, with the result count and the numbered pager."""
    tiles = "".join(tile(p, b2b, n % 4 == 0) for n, p in enumerate(listed))
    count = (f'<p class="woocommerce-result-count">Visualizzazione di '
             f"{(number - 1) * per_page + 1}–{(number - 1) * per_page + len(listed)}"
             f" di {total} risultati</p>")
    pages = -(-total // per_page)
    numbers = "".join(f'<li><a class="page-numbers" href="/negozio/page/{n}/">{n}</a></li>'
                      for n in (1, number - 1, number + 1, pages) if 1 <= n <= pages
                      and n != number)
    following = (f'<li><a class="next page-numbers" href="/negozio/page/{number + 1}/">'
                 "&rarr;</a></li>" if number < pages else "")
    return (f'<main id="main" class="site-main"><header class="woocommerce-products-header">'
            f'<h1 class="woocommerce-products-header__title page-title">Negozio</h1></header>'
            f'{count}<form class="woocommerce-ordering" method="get"><select name="orderby" '
            f'class="orderby"><option value="menu_order" selected>Ordinamento predefinito'
            f'</option><option value="price">Prezzo: dal più economico</option></select>'
            f'</form><ul class="products columns-4">{tiles}</ul><nav class="woocommerce-'
            f'pagination"><ul class="page-numbers"><li><span aria-current="page" class="page-'
            f'numbers current">{number}</span></li>{numbers}{following}</ul></nav></main>')


def _json_ld(p: Product, b2b: bool, url: str) -> str:
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

def _variations_form(p: Product, b2b: bool) -> str:
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


def product(p: Product, b2b: bool, related: list[Product], url: str) -> str:
    """A product page: a simple product's stock and cart form, or a variable product's
    variations form; its code, attributes, related products and JSON-LD."""
    if p.variable:
        buy = _variations_form(p, b2b)
    else:
        item = p.variations[0].item
        buy = (f'<p class="stock {STOCK_CLASSES[item.state]}">{stock_text(item)}</p><form '
               f'class="cart" action="/prodotto/{p.slug}/" method="post"><div class='
               f'"quantity"><input type="number" class="input-text qty text" name='
               f'"quantity" value="1" min="1" max="{item.stock or ""}"></div><button type='
               f'"submit" name="add-to-cart" value="{p.number}" class="single_add_to_cart_'
               'button button alt">Aggiungi al carrello</button></form>')
    part = p.variations[0].item.part
    details = "".join(f'<tr><th>{k}</th><td><p>{html.escape(v)}</p></td></tr>' for k, v in (
        ("Marca", part.brand), ("Modello", part.device_model), ("EAN", part.ean)))
    return (
        f'<main id="main" class="site-main"><div id="product-{p.number}" class="product '
        f'type-product post-{p.number} status-publish product-type-'
        f'{"variable" if p.variable else "simple"}"><div class="woocommerce-product-gallery">'
        f'<img src="/wp-content/uploads/2025/03/{p.slug}-600x600.jpg" alt=""></div><div '
        f'class="summary entry-summary"><h1 class="product_title entry-title">'
        f'{html.escape(p.name)}</h1><p class="price">{price_html(p, b2b)}</p><div '
        f'class="woocommerce-product-details__short-description"><p>Ricambio testato prima '
        f"della spedizione, garanzia 12 mesi.</p></div>{buy}<div class=\"product_meta\">"
        f'<span class="sku_wrapper">COD: <span class="sku">{p.sku}</span></span> <span '
        f'class="posted_in">Categoria: <a href="/categoria-prodotto/ricambi/" rel="tag">'
        f'Ricambi</a></span></div></div><div class="woocommerce-tabs wc-tabs-wrapper"><table'
        f' class="woocommerce-product-attributes shop_attributes">{details}</table></div>'
        f'<section class="related products"><h2>Prodotti correlati</h2><ul class="products '
        f'columns-4">{"".join(tile(r, b2b) for r in related)}</ul></section></div>'
        f"</main>{_json_ld(p, b2b, url)}")


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
