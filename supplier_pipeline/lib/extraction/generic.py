"""Read a product page with no configuration: structured data first (JSON-LD, microdata,
RDFa, OpenGraph via extruct), then heuristics on the visible page. Each field says which
layer produced it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, islice

import extruct
from lxml.html import HtmlElement
from parsel import Selector
from w3lib.encoding import html_to_unicode

from supplier_pipeline.lib.scraping.normalise import (
    parse_price,
    parse_price_breaks,
    price_breaks_text,
)

FIELDS = ("name", "price", "currency", "availability", "sku", "gtin", "mpn", "brand",
          "price_breaks")
IN_STOCK_TYPES = ("instock", "limitedavailability", "onlineonly", "instoreonly", "presale",
                  "preorder", "backorder")
OUT_OF_STOCK_TYPES = ("outofstock", "soldout", "discontinued")
# Availability words on the page, most specific first (IT, EN, DE, FR, ES).
OUT_WORDS = ["non disponibile", "esaurito", "out of stock", "sold out", "currently unavailable",
             "ausverkauft", "nicht verfügbar", "nicht auf lager", "nicht lieferbar",
             "rupture de stock", "épuisé", "indisponible", "agotado", "sin stock",
             "no disponible", "in arrivo"]
IN_WORDS = ["disponibile", "in stock", "available", "auf lager", "lieferbar", "sofort verfügbar",
            "en stock", "disponible", "add to cart", "aggiungi al carrello", "in den warenkorb"]
NOT_MAIN = ("related", "upsell", "up-sell", "cross-sell", "crosssell", "recommend", "similar",
            "accessor", "carousel", "also-bought", "recently")
SIDE_TAGS = ("aside", "footer", "nav")
# Quantity-break tables: PrestaShop, Magento, WooCommerce plugins, German and Italian shops.
TIER_WORDS = ("tier", "quantity-discount", "quantitydiscount", "quantity_discount",
              "volume-pric", "bulk-pric", "staffel", "scaglion", "sconti-quantit")
PRICE_WORDS = ("price", "prezzo", "preis", "prix", "precio")
OLD_PRICE = ("old", "regular", "was", "compare", "list", "strike", "before", "barr", "crossed",
             "vecchio", "alt", "ancien", "anterior")
CODE_LABEL = re.compile(
    r"\b(sku|art(?:ikel)?[.\s-]*nr\.?|artikelnummer|codice(?: prodotto)?|cod\.|réf\.?|"
    r"référence|referencia|ref\.|item(?: no\.?| number)?|part(?: no\.?| number)|mpn|ean|gtin)"
    r"\s*[:#.]?\s*([A-Za-z0-9][A-Za-z0-9\-._/]{2,30})", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    value: str | None
    layer: str | None  # json-ld, microdata, rdfa, opengraph, heuristic


def decode(body: bytes, content_type: str | None = None) -> str:
    """Bytes in any encoding -> text, by BOM, HTTP header, <meta charset> or detection."""
    return html_to_unicode(content_type, body)[1]


def _type_names(item: dict) -> list[str]:
    kind = item.get("@type", [])
    return [str(k).rsplit("/", 1)[-1].lower() for k in (kind if isinstance(kind, list) else [kind])]


def _products(items: list) -> list[dict]:
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "@graph" in item:
            found += _products(item["@graph"])
        if {"product", "productgroup", "individualproduct"} & set(_type_names(item)):
            found.append(item)
    return found


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def _text(value: object) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("@id")
    return str(value).strip() or None if value not in (None, "") else None


def _availability(value: object) -> str | None:
    text = (_text(value) or "").lower().replace(" ", "").rsplit("/", 1)[-1]
    if any(t == text or text.endswith(t) for t in OUT_OF_STOCK_TYPES) or text in ("oos",
                                                                                  "outofstock"):
        return "OutOfStock"
    if any(t == text for t in IN_STOCK_TYPES) or text == "instock":
        return "InStock"
    return None


def _from_product(product: dict, layer: str) -> dict[str, Found]:
    out: dict[str, Found] = {}
    offers = _first(product.get("offers")) or {}
    if isinstance(offers, dict):
        price = offers.get("price") or offers.get("lowPrice")
        spec = _first(offers.get("priceSpecification")) or {}
        price = price or (spec.get("price") if isinstance(spec, dict) else None)
        currency = offers.get("priceCurrency") or (
            spec.get("priceCurrency") if isinstance(spec, dict) else None)
        out["price"] = Found(_text(price), layer)
        out["currency"] = Found(_text(currency), layer)
        out["availability"] = Found(_availability(offers.get("availability")), layer)
    tiers = _structured_breaks(product.get("offers"))
    if tiers:
        out["price_breaks"] = Found(tiers, layer)
    out["name"] = Found(_text(product.get("name")), layer)
    out["sku"] = Found(_text(product.get("sku") or product.get("productID")), layer)
    gtin = next((product[k] for k in ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean")
                 if product.get(k)), None)
    out["gtin"] = Found(_text(gtin), layer)
    out["mpn"] = Found(_text(product.get("mpn")), layer)
    out["brand"] = Found(_text(product.get("brand") or product.get("manufacturer")), layer)
    return {k: v for k, v in out.items() if v.value}


def _structured_breaks(offers: object) -> str | None:
    """Quantity breaks from schema.org: several offers or price specifications, each with an
    eligibleQuantity (its minValue, or value)."""
    specs = []
    for offer in offers if isinstance(offers, list) else [offers]:
        if not isinstance(offer, dict):
            continue
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
    og: dict[str, str] = {}
    for item in items:
        for key, value in item.items():
            if not key.startswith("@"):
                og.setdefault(key, _text(value))
    mapping = {"name": ["og:title"], "price": ["product:price:amount", "og:price:amount"],
               "currency": ["product:price:currency", "og:price:currency"],
               "sku": ["product:retailer_item_id"], "brand": ["product:brand", "og:brand"],
               "gtin": ["product:ean", "product:gtin"]}
    out = {f: Found(og[k], "opengraph") for f, keys in mapping.items() for k in keys
           if og.get(k)}
    availability = _availability(og.get("product:availability") or og.get("og:availability"))
    if availability:
        out["availability"] = Found(availability, "opengraph")
    return out


def _marks(element: HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}".lower()


def _is_side_element(element: HtmlElement) -> bool:
    return element.tag in SIDE_TAGS or any(m in _marks(element) for m in NOT_MAIN)


def _in_side_block(element: HtmlElement) -> bool:
    """In a related-products, navigation or footer block, not the main product."""
    return any(_is_side_element(e) for e in chain([element], element.iterancestors()))


def _is_old_price(element: HtmlElement) -> bool:
    for e in chain([element], islice(element.iterancestors(), 2)):
        if e.tag in ("del", "s", "strike") or any(m in _marks(e) for m in OLD_PRICE):
            return True
    return False


def _main_text(body: HtmlElement) -> str:
    """The visible text outside side blocks, each element's own text before its children's
    (side blocks are skipped whole: everything inside one is on the side too)."""
    parts: list[str] = []
    stack = [body]
    while stack:
        element = stack.pop()
        if element.tag in ("script", "style") or _is_side_element(element):
            continue
        own = [element.text or ""] + [child.tail or "" for child in element]
        parts.append(" ".join(own))
        stack.extend(c for c in reversed(element) if isinstance(c.tag, str))
    return " ".join(parts)


def _marked(words: tuple[str, ...]) -> str:
    """XPath condition: the element's class or id contains one of `words`, in any case."""
    return " or ".join(f"contains(translate(@{attribute},'{w.upper()}','{w}'),'{w}')"
                       for w in words for attribute in ("class", "id"))


def _heuristics(page: Selector, locale: str) -> dict[str, Found]:
    out: dict[str, Found] = {}
    title = page.css("h1 ::text").getall()
    if title:
        out["name"] = Found(" ".join(" ".join(title).split()), "heuristic")
    for node in page.xpath(f"//body//*[@itemprop='price' or {_marked(PRICE_WORDS)}]"):
        if _in_side_block(node.root) or _is_old_price(node.root):
            continue
        # The selling price: struck-through list prices inside the element do not count.
        text = node.attrib.get("content") or " ".join(node.xpath(
            ".//text()[not(ancestor::del or ancestor::s or ancestor::strike)]").getall())
        parsed = parse_price(text, locale)
        if parsed.amount is not None and len(text) < 80:
            out["price"] = Found(str(parsed.amount), "heuristic")
            if parsed.currency:
                out["currency"] = Found(parsed.currency, "heuristic")
            break
    for node in page.xpath(f"//body//*[{_marked(TIER_WORDS)}]"):
        if not _in_side_block(node.root):
            text = " ".join(" ".join(node.xpath(".//text()").getall()).split())
            if parse_price_breaks(text, locale):
                out["price_breaks"] = Found(text, "heuristic")
                break
    body = page.root.find("body") if page.root.tag == "html" else page.root
    main_text = _main_text(body).lower() if body is not None else ""
    if any(word in main_text for word in OUT_WORDS) or page.css(
            "button[disabled][name*=add], button.add-to-cart[disabled], "
            ".product-unavailable, .out-of-stock"):
        out["availability"] = Found("OutOfStock", "heuristic")
    elif any(word in main_text for word in IN_WORDS):
        out["availability"] = Found("InStock", "heuristic")
    body_text = None
    for label, code in CODE_LABEL.findall(" ".join(main_text.split())):
        field = ("gtin" if label.lower() in ("ean", "gtin") else
                 "mpn" if label.lower() in ("mpn", "part no.", "part number", "part no") else "sku")
        if field not in out:
            # main_text is lower case: take the code as the page writes it.
            body_text = body_text or " ".join(page.css("body ::text").getall())
            original = re.search(re.escape(code), body_text, re.IGNORECASE)
            out[field] = Found(original.group(0) if original else code, "heuristic")
    return out


# A cheap look at the markup first: extruct's RDFa reader alone costs milliseconds a page.
SYNTAX_MARKERS = {
    "json-ld": re.compile(r"application/ld\+json", re.IGNORECASE),
    "microdata": re.compile(r"\bitemscope\b", re.IGNORECASE),
    "rdfa": re.compile(r"\btypeof\s*=", re.IGNORECASE),
    "opengraph": re.compile(r"""property\s*=\s*["']?(?:og|product):""", re.IGNORECASE),
}


def structured_fields(html: str, page: Selector, url: str | None = None) -> dict[str, Found]:
    """Fields from JSON-LD, microdata, RDFa and OpenGraph, in that order of trust."""
    syntaxes = [name for name, marker in SYNTAX_MARKERS.items() if marker.search(html)]
    if not syntaxes:
        return {}
    try:
        # RDFa needs extruct's own DOM; the others read the tree we already have.
        document = html if "rdfa" in syntaxes else page.root
        data = extruct.extract(document, base_url=url, uniform=True, errors="ignore",
                               syntaxes=syntaxes)
    except Exception:  # a broken page still gets the heuristics
        return {}
    layers = [_from_product(p, syntax) for syntax in ("json-ld", "microdata", "rdfa")
              for p in _products(data.get(syntax, []))]
    layers.append(_opengraph(data.get("opengraph", [])))
    result: dict[str, Found] = {}
    for layer in layers:
        for field, found in layer.items():
            result.setdefault(field, found)
    return result


def heuristic_fields(page: Selector, locale: str,
                     known: dict[str, Found] | None = None) -> dict[str, Found]:
    """Heuristic values for the fields `known` lacks (all of them when nothing is known)."""
    known = dict(known or {})
    if all(f in known for f in FIELDS):
        return known
    for field, found in _heuristics(page, locale).items():
        known.setdefault(field, found)
    return known


def normalised(result: dict[str, Found], locale: str) -> dict[str, Found]:
    """The price as a plain decimal string (and its currency, when the text named one)."""
    price = result.get("price")
    if price and price.value:
        parsed = parse_price(price.value, "en" if re.fullmatch(r"\d+(\.\d+)?", price.value)
                             else locale)
        result["price"] = Found(str(parsed.amount) if parsed.amount else None, price.layer)
        if parsed.currency and "currency" not in result:
            result["currency"] = Found(parsed.currency, price.layer)
    tiers = result.get("price_breaks")
    if tiers and tiers.value:
        breaks = parse_price_breaks(tiers.value, "en" if tiers.layer != "heuristic" else locale)
        result["price_breaks"] = Found(price_breaks_text(breaks) or None, tiers.layer)
    return {f: result.get(f, Found(None, None)) for f in FIELDS}


def extract_product(html: str, locale: str = "en", url: str | None = None) -> dict[str, Found]:
    """Every field with the first layer that found it."""
    page = Selector(text=html)
    return normalised(heuristic_fields(page, locale, structured_fields(html, page, url)), locale)
