"""Variable products: one product page, several offers (a colour, a grade, a pack size each
with its own SKU, price and stock).

WooCommerce puts every variation in the add-to-cart form's `data-product_variations` JSON
(`sku`, `display_price`, `is_in_stock`, `max_qty`, `availability_html`, `attributes`); read
as one offer, such a page gives its lowest price under the parent's SKU and the other
variations are never seen. A form whose variations are loaded on demand says `false` there:
the page stays one offer.
"""

from __future__ import annotations

import json
import re

from parsel import Selector

from supplier_pipeline.lib.scraping.normalise import FeedNumber

VARIATIONS = "form.variations_form::attr(data-product_variations)"
_TAGS = re.compile(r"<[^>]+>")


def _text(html: object) -> str:
    return " ".join(_TAGS.sub(" ", str(html or "")).split())


def _stock(variation: dict) -> tuple[str, str | None]:
    """(stock text, quantity) as the shop states them for this variation."""
    shown = _text(variation.get("availability_html"))
    in_stock = variation.get("is_in_stock")
    quantity = variation.get("max_qty")
    known = isinstance(quantity, int) and not isinstance(quantity, bool) and in_stock
    if shown:
        return shown, str(quantity) if known else None
    state = "InStock" if in_stock else "OutOfStock"
    if in_stock and variation.get("backorders_allowed") and not known:
        state = "BackOrder"
    return f"https://schema.org/{state}", str(quantity) if known else None


def variations(html: str | Selector) -> list[dict] | None:
    """The variations of a variable product's page, None when the page has none to read."""
    page = html if isinstance(html, Selector) else Selector(text=html)
    raw = page.css(VARIATIONS).get()
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(found, list) or not found:
        return None
    return [v for v in found if isinstance(v, dict) and v.get("variation_is_active", True)]


def variation_fields(parent: dict[str, str], parent_sources: dict[str, str],
                     found: list[dict]) -> list[tuple[dict[str, str | None], dict[str, str]]]:
    """(fields, sources) of each variation: its own SKU, price and stock over the parent's
    fields. A variation without a SKU of its own (WooCommerce then shows the parent's) is
    keyed `<parent sku>-<variation id>`, so that two variations never share a key."""
    parent_sku = parent.get("sku") or ""
    skus = [str(v.get("sku") or "").strip() for v in found]
    offers = []
    for variation, sku in zip(found, skus, strict=True):
        if not sku or sku == parent_sku or skus.count(sku) > 1:
            sku = f"{parent_sku or 'variation'}-{variation.get('variation_id')}"
        names = [str(a) for a in (variation.get("attributes") or {}).values() if a]
        stock, quantity = _stock(variation)
        price = variation.get("display_price")
        fields = {**parent, "sku": sku,
                  "title": " - ".join([parent.get("title") or "", *names]).strip(" -"),
                  "price": FeedNumber(price) if isinstance(price, int | float) else None,
                  "stock": stock, "stock_qty": quantity}
        sources = {**parent_sources, **{name: "variations form data-product_variations"
                                        for name in ("sku", "price", "stock", "stock_qty")}}
        fields.pop("price_breaks", None)  # the parent's table is not this variation's
        offers.append((fields, sources))
    return offers
