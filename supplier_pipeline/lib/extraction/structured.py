"""The product as the page's structured data states it: JSON-LD, microdata, RDFa and
OpenGraph, read by extruct. These are the shop's own claims, so they are trusted first, but
not blindly: a product with several offers (sizes, colours, sellers) is in stock when any
of them is, and its price is the one its offers agree on."""

from __future__ import annotations

import re

import extruct
from parsel import Selector

from supplier_pipeline.lib.extraction.found import Found
from supplier_pipeline.lib.scraping.transport import PageText

IN_STOCK_TYPES = ("instock", "limitedavailability", "onlineonly", "instoreonly", "in_stock")
OUT_OF_STOCK_TYPES = ("outofstock", "soldout", "discontinued", "out_of_stock", "oos")
# Orderable but not on the shelf: never "in stock" (purchasing would count on it).
BACKORDER_TYPES = ("backorder", "preorder", "presale", "back_order", "pre_order")
# How far each syntax is trusted when layers disagree: JSON-LD is written for search
# engines on purpose; OpenGraph is often a shop-wide template.
CONFIDENCE = {"json-ld": 0.9, "microdata": 0.85, "rdfa": 0.8, "opengraph": 0.7}
# Every price the structured data states for the page's product (each syntax, each offer),
# one a line: the witnesses the combiner weighs the visible price against.
CLAIMS = "price_claims"
# A cheap look at the markup first: extruct's RDFa reader alone costs milliseconds a page.
# The page's bytes are lower-cased once and searched with `find`: every marker is ASCII, and
# lower-casing the text of a page with a single `€` in it takes 0.4 ms, a case-insensitive
# regex scanned across a 60 KB page more than a millisecond per syntax.
MICRODATA, RDFA, OPENGRAPH = b"itemscope", b"typeof", b"property"
OPENGRAPH_VALUE = re.compile(rb"""property\s*=\s*["']?(?:og|product):""")
RDFA_VALUE = re.compile(rb"typeof\s*=")
# After lower(); a non-ASCII letter (its UTF-8 bytes) counts as a boundary, so that a marker
# is never missed: a wrong guess only costs extruct a look.
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


def _occurrences(lowered: bytes, word: bytes):
    """Where `word` starts in `lowered` with no word character before it."""
    start = lowered.find(word)
    while start >= 0:
        if start == 0 or lowered[start - 1] not in _WORD_BYTES:
            yield start
        start = lowered.find(word, start + len(word))


def syntaxes_in(html: str) -> list[str]:
    """The structured-data syntaxes the markup may hold, in order of trust: the JSON-LD
    script type, an `itemscope` attribute, a `typeof=` attribute, an `og:` / `product:`
    property."""
    utf8 = html.utf8 if isinstance(html, PageText) else None
    lowered = (utf8 or html.encode("utf-8", "ignore")).lower()
    found = ["json-ld"] if b"application/ld+json" in lowered else []
    end = len(MICRODATA)
    if any(at + end == len(lowered) or lowered[at + end] not in _WORD_BYTES
           for at in _occurrences(lowered, MICRODATA)):
        found.append("microdata")
    if any(RDFA_VALUE.match(lowered, at) for at in _occurrences(lowered, RDFA)):
        found.append("rdfa")
    start = lowered.find(OPENGRAPH)
    while start >= 0:
        if OPENGRAPH_VALUE.match(lowered, start):
            found.append("opengraph")
            break
        start = lowered.find(OPENGRAPH, start + 1)
    return found


def _type_names(item: dict) -> list[str]:
    kind = item.get("@type", [])
    return [str(k).rsplit("/", 1)[-1].lower() for k in (kind if isinstance(kind, list) else [kind])]


def _products(items: object, depth: int = 0) -> list[dict]:
    found: list[dict] = []
    if depth > 8 or not isinstance(items, list):
        return found
    for item in items:
        if not isinstance(item, dict):
            continue
        found += _products(item.get("@graph"), depth + 1)
        if {"product", "productgroup", "individualproduct", "productmodel"} & set(
                _type_names(item)):
            found.append(item)
    return found


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def text(value: object) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("@id")
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def availability(value: object) -> str | None:
    """schema.org availability (`https://schema.org/InStock`, `OutOfStock`, `in stock`)."""
    word = (text(value) or "").lower().replace(" ", "").rsplit("/", 1)[-1]
    if any(word.endswith(t) for t in OUT_OF_STOCK_TYPES):
        return "OutOfStock"
    if any(word == t for t in IN_STOCK_TYPES):
        return "InStock"
    if any(word == t for t in BACKORDER_TYPES):
        return "BackOrder"
    return None


def quantity(value: object) -> str | None:
    """schema.org `inventoryLevel`: a QuantitativeValue (its `value`) or a plain number."""
    value = _first(value)
    if isinstance(value, dict):
        value = _first(value.get("value") or value.get("@value"))
    if isinstance(value, bool) or value is None:
        return None
    number = str(value).strip()
    if number.endswith(".0"):
        number = number[:-2]
    return number if number.isdigit() else None


def vat_included(offer: dict) -> str | None:
    """schema.org `valueAddedTaxIncluded` of the offer's price (on its price specification
    or the offer itself): "true" or "false"."""
    spec = _first(offer.get("priceSpecification"))
    for holder in (spec, offer):
        value = _first(holder.get("valueAddedTaxIncluded")) if isinstance(holder, dict) else None
        if isinstance(value, dict):
            value = value.get("@value")
        word = str(value).strip().lower().rsplit("/", 1)[-1] if value is not None else ""
        if word in ("true", "1", "false", "0"):
            return "true" if word in ("true", "1") else "false"
    return None


def _offers(product: dict) -> list[dict]:
    offers = product.get("offers")
    offers = offers if isinstance(offers, list) else [offers]
    flat: list[dict] = []
    for offer in offers:
        if isinstance(offer, dict):
            inner = offer.get("offers")  # an AggregateOffer listing its offers
            flat += [o for o in (inner if isinstance(inner, list) else [inner])
                     if isinstance(o, dict)] or [offer]
    return flat


def _price(offer: dict) -> tuple[str | None, str | None]:
    spec = _first(offer.get("priceSpecification"))
    spec = spec if isinstance(spec, dict) else {}
    price = text(offer.get("price")) or text(offer.get("lowPrice")) or text(spec.get("price"))
    currency = text(offer.get("priceCurrency")) or text(spec.get("priceCurrency"))
    return price, currency


def _from_product(product: dict, layer: str) -> dict[str, Found]:
    confidence = CONFIDENCE[layer]
    out: dict[str, Found] = {}
    offers = _offers(product)
    prices = [p for p in (_price(o) for o in offers) if p[0]]
    if prices:
        # Offers of one product at different prices are sizes or sellers: the first is the
        # one the page shows first, trusted less when the others disagree with it.
        agree = len({p for p, _ in prices}) == 1
        out["price"] = Found(prices[0][0], layer, confidence if agree else confidence - 0.2)
        out[CLAIMS] = Found("\n".join(p for p, _ in prices), layer, confidence)
        if prices[0][1]:
            out["currency"] = Found(prices[0][1], layer, confidence)
    states = [s for s in (availability(o.get("availability")) for o in offers) if s]
    if states:
        state = next(s for s in ("InStock", "BackOrder", "OutOfStock") if s in states)
        out["availability"] = Found(state, layer, confidence)
    priced = next((o for o in offers if _price(o)[0]), offers[0] if offers else {})
    for name, value in (("stock_qty", quantity(priced.get("inventoryLevel"))),
                        ("vat_included", vat_included(priced)),
                        ("available_from", text(priced.get("availabilityStarts")))):
        if value is not None:
            out[name] = Found(value, layer, confidence)
    tiers = _structured_breaks(offers)
    if tiers:
        out["price_breaks"] = Found(tiers, layer, confidence)
    skus = {text(o.get("sku")) for o in offers} - {None}
    sku = text(product.get("sku")) or text(product.get("productID")) or (
        skus.pop() if len(skus) == 1 else None)
    gtin = next((product[k] for k in ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean")
                 if product.get(k)), None)
    for name, value in (("name", product.get("name")), ("sku", sku), ("gtin", gtin),
                        ("mpn", product.get("mpn")),
                        ("brand", product.get("brand") or product.get("manufacturer"))):
        if text(value):
            out[name] = Found(text(value), layer, confidence)
    return out


def _structured_breaks(offers: list[dict]) -> str | None:
    """Quantity breaks from schema.org: several offers or price specifications, each with an
    eligibleQuantity (its minValue, or value)."""
    specs = []
    for offer in offers:
        inner = offer.get("priceSpecification")
        specs += [offer] + (inner if isinstance(inner, list) else [inner] if inner else [])
    tiers = []
    for spec in specs:
        quantity = spec.get("eligibleQuantity") if isinstance(spec, dict) else None
        if isinstance(quantity, dict) and spec.get("price") is not None:
            minimum = quantity.get("minValue") or quantity.get("value")
            if str(minimum).isdigit():
                tiers.append(f"{minimum}+: {spec['price']}")
    return "; ".join(tiers) if len(tiers) > 1 else None


def _opengraph(items: list) -> dict[str, Found]:
    og: dict[str, str | None] = {}
    for item in items:
        for key, value in item.items() if isinstance(item, dict) else ():
            if not key.startswith("@"):
                og.setdefault(key, text(value))
    mapping = {"name": ["og:title"], "price": ["product:price:amount", "og:price:amount"],
               "currency": ["product:price:currency", "og:price:currency"],
               "sku": ["product:retailer_item_id"], "brand": ["product:brand", "og:brand"],
               "gtin": ["product:ean", "product:gtin"]}
    confidence = CONFIDENCE["opengraph"]
    out = {f: Found(og[k], "opengraph", confidence) for f, keys in mapping.items()
           for k in keys if og.get(k)}
    state = availability(og.get("product:availability") or og.get("og:availability"))
    if state:
        out["availability"] = Found(state, "opengraph", confidence)
    return out


def _main_product(products: list[dict]) -> dict | None:
    """The page's own product: the first with an offer (the others are often the related
    products a shop also describes), else the first."""
    return next((p for p in products if p.get("offers")), products[0] if products else None)


def structured_fields(html: str, page: Selector, url: str | None = None) -> dict[str, Found]:
    """Fields from JSON-LD, microdata, RDFa and OpenGraph, in that order of trust."""
    syntaxes = syntaxes_in(html)
    if not syntaxes:
        return {}
    # RDFa needs extruct's own DOM; the others read the tree we already have.
    document = html if "rdfa" in syntaxes else page.root
    data = extruct.extract(document, base_url=url, uniform=True, errors="ignore",
                           syntaxes=syntaxes)
    layers = []
    for syntax in ("json-ld", "microdata", "rdfa"):
        product = _main_product(_products(data.get(syntax, [])))
        if product:
            layers.append(_from_product(product, syntax))
    layers.append(_opengraph(data.get("opengraph", [])))
    result: dict[str, Found] = {}
    for layer in layers:
        for field, found in layer.items():
            result.setdefault(field, found)
    claims = [f.value for layer in layers if (f := layer.get(CLAIMS) or layer.get("price"))]
    if claims:
        result[CLAIMS] = Found("\n".join(claims), "structured", None)
    return result


def _by_id(products: list[dict]) -> dict[str, dict]:
    return {str(p["@id"]): p for p in products if isinstance(p.get("@id"), str)}


def _variant_name(variant: dict, varies_by: list[str]) -> list[str]:
    """What tells a variant apart: the properties its group varies by (`color`, `size`), in
    that order."""
    names = []
    for prop in varies_by:
        value = text(variant.get(prop.rsplit("/", 1)[-1]))
        if value:
            names.append(value)
    return names


def variant_fields(items: list) -> list[tuple[str, list[str], dict[str, Found]]] | None:
    """The variants of the page's product as JSON-LD states them, each (its id, what tells
    it apart, its fields): a ProductGroup's `hasVariant` (inline or by `@id`), or a product's
    offers that carry SKUs of their own (one offer per colour or grade). None when the page
    states fewer than two distinct SKUs: it is one product. Offers with an `eligibleQuantity`
    are price breaks of one product, never variants."""
    products = _products(items)
    known = _by_id(products)
    group = next((p for p in products if "productgroup" in _type_names(p)
                  and isinstance(p.get("hasVariant"), list)), None)
    if group is not None:
        varies = group.get("variesBy") or []
        varies = [str(v) for v in (varies if isinstance(varies, list) else [varies])]
        found = []
        for index, variant in enumerate(group["hasVariant"]):
            if isinstance(variant, dict) and set(variant) <= {"@id", "@type"}:
                variant = known.get(str(variant.get("@id")), variant)
            if not isinstance(variant, dict):
                continue
            fields = _from_product({**variant, "offers": variant.get("offers")
                                    or group.get("offers")}, "json-ld")
            ident = text(variant.get("productID")) or text(variant.get("@id")) or str(index)
            found.append((ident, _variant_name(variant, varies), fields))
    else:
        product = _main_product(products)
        offers = _offers(product) if product else []
        if any(isinstance(o.get("eligibleQuantity"), dict) for o in offers):
            return None
        found = [(text(o.get("@id")) or str(index), [n] if (n := text(o.get("name"))) else [],
                  _from_product({**product, "offers": o, "sku": o.get("sku"),
                                 "name": product.get("name")}, "json-ld"))
                 for index, o in enumerate(offers) if text(o.get("sku"))]
    skus = {fields["sku"].value for _, _, fields in found if "sku" in fields}
    return found if len(found) > 1 and len(skus) > 1 else None
