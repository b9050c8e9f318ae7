"""Variable products: one product page, several offers (a colour, a grade, a pack size each
with its own SKU, price and stock).

Shops state them in two ways this reads. WooCommerce puts every variation in the
add-to-cart form's `data-product_variations` JSON (`sku`, `display_price`, `is_in_stock`,
`max_qty`, `availability_html`, `attributes`); a form whose variations are loaded on demand
says `false` there and the page stays one offer. Shops that describe variants for search
engines do it in JSON-LD: a `ProductGroup` with `hasVariant`, or one product whose offers
carry SKUs of their own. Read as one offer, such a page gives its lowest or first price under
the parent's SKU and the other variations are never seen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from supplier_pipeline.lib.extraction.generic import normalised
from supplier_pipeline.lib.extraction.structured import variant_fields
from supplier_pipeline.lib.scraping.extract import first_match, parsed
from supplier_pipeline.lib.scraping.normalise import FeedNumber

VARIATIONS = "form.variations_form::attr(data-product_variations)"
WOO_SOURCE = "variations form data-product_variations"
JSON_LD_SOURCE = "json-ld variants"
_TAGS = re.compile(r"<[^>]+>")
# JSON-LD blocks found without parsing the page: product pages are read once already, and
# most have no variants.
_JSON_LD = re.compile(r"<script[^>]*application/ld\+json[^>]*>(.*?)</script>",
                      re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Variation:
    """One variation as its page states it."""

    sku: str  # empty when the shop shows none of its own (it then shows the parent's)
    ident: str  # the shop's id for it, to key one without a SKU of its own
    names: tuple[str, ...]  # what tells it apart: colour, grade
    price: FeedNumber | None
    stock: str | None
    quantity: str | None
    source: str
    title: str | None = None
    vat_included: str | None = None  # "true" / "false" when the variant states it
    available_from: str | None = None  # a back-order's day (schema.org availabilityStarts)


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


def _woocommerce(html: str) -> list[Variation] | None:
    if "data-product_variations" not in html:
        return None
    raw = first_match(parsed(html), VARIATIONS)  # the tree the page's fields were read from
    try:
        found = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None
    if not isinstance(found, list):
        return None
    offers = []
    for v in found:
        if not isinstance(v, dict) or not v.get("variation_is_active", True):
            continue
        stock, quantity = _stock(v)
        price = v.get("display_price")
        offers.append(Variation(
            sku=str(v.get("sku") or "").strip(), ident=str(v.get("variation_id")),
            names=tuple(str(a) for a in (v.get("attributes") or {}).values() if a),
            price=FeedNumber(price) if isinstance(price, int | float) else None,
            stock=stock, quantity=quantity, source=WOO_SOURCE))
    return offers or None


def _json_ld(html: str) -> list[Variation] | None:
    if "ld+json" not in html:
        return None
    items: list = []
    for block in _JSON_LD.findall(html):
        try:
            data = json.loads(block)
        except ValueError:
            continue
        items += data if isinstance(data, list) else [data]
    found = variant_fields(items)
    if not found:
        return None
    offers = []
    for ident, names, stated in found:
        fields = normalised(stated, "en")
        value = {name: found.value for name, found in fields.items()}
        offers.append(Variation(
            sku=value["sku"] or "", ident=ident, names=tuple(names),
            price=FeedNumber(value["price"]) if value["price"] else None,
            stock=value["availability"], quantity=value["stock_qty"], source=JSON_LD_SOURCE,
            title=value["name"], vat_included=value["vat_included"],
            available_from=value["available_from"]))
    return offers


def variations(html: str) -> list[Variation] | None:
    """The variations of a variable product's page (its variations form first, else its
    JSON-LD), None when the page states none to read."""
    return _woocommerce(html) or _json_ld(html)


def variation_fields(parent: dict[str, str], parent_sources: dict[str, str],
                     found: list[Variation]) -> list[tuple[dict[str, str | None], dict[str, str]]]:
    """(fields, sources) of each variation: its own SKU, price and stock over the parent's
    fields. A variation without a SKU of its own (WooCommerce then shows the parent's) is
    keyed `<parent sku>-<variation id>`, so that two variations never share a key."""
    parent_sku = parent.get("sku") or ""
    skus = [v.sku for v in found]
    offers = []
    for variation in found:
        sku = variation.sku
        shows_parents = variation.source == WOO_SOURCE and sku == parent_sku
        if not sku or shows_parents or skus.count(sku) > 1:
            sku = f"{parent_sku or 'variation'}-{variation.ident}"
        title = variation.title if variation.title and variation.title != parent.get(
            "title") else " - ".join([parent.get("title") or "", *variation.names]).strip(" -")
        fields = {**parent, "sku": sku, "title": title, "price": variation.price,
                  "stock": variation.stock, "stock_qty": variation.quantity}
        own = ["sku", "price", "stock", "stock_qty"]
        # The parent's back-order day is not this variation's: it states its own or none.
        fields["available_from"] = variation.available_from
        if variation.available_from:
            own.append("available_from")
        if variation.vat_included is not None:
            fields["vat_included"] = variation.vat_included
            own.append("vat_included")
        sources = {**parent_sources, **dict.fromkeys(own, variation.source)}
        fields.pop("price_breaks", None)  # the parent's table is not this variation's
        offers.append((fields, sources))
    return offers
