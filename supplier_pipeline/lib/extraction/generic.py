"""Read a product page with no configuration: structured data first (JSON-LD, microdata,
RDFa, OpenGraph via extruct), then heuristics on the visible page. Each field says which
layer produced it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import extruct
from parsel import Selector
from w3lib.encoding import html_to_unicode

from supplier_pipeline.lib.scraping.normalise import parse_price

FIELDS = ("name", "price", "currency", "availability", "sku", "gtin", "mpn", "brand")
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
    out["name"] = Found(_text(product.get("name")), layer)
    out["sku"] = Found(_text(product.get("sku") or product.get("productID")), layer)
    gtin = next((product[k] for k in ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean")
                 if product.get(k)), None)
    out["gtin"] = Found(_text(gtin), layer)
    out["mpn"] = Found(_text(product.get("mpn")), layer)
    out["brand"] = Found(_text(product.get("brand") or product.get("manufacturer")), layer)
    return {k: v for k, v in out.items() if v.value}


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


def _in_side_block(node: Selector) -> bool:
    for ancestor in node.xpath("ancestor-or-self::*"):
        marks = " ".join(ancestor.xpath("@class|@id").getall()).lower()
        if ancestor.root.tag in ("aside", "footer", "nav") or any(m in marks for m in NOT_MAIN):
            return True
    return False


def _is_old_price(node: Selector) -> bool:
    for ancestor in node.xpath("ancestor-or-self::*")[-3:]:
        marks = " ".join(ancestor.xpath("@class|@id").getall()).lower()
        if ancestor.root.tag in ("del", "s", "strike") or any(m in marks for m in OLD_PRICE):
            return True
    return False


def _heuristics(page: Selector, locale: str) -> dict[str, Found]:
    out: dict[str, Found] = {}
    title = page.css("h1 ::text").getall()
    if title:
        out["name"] = Found(" ".join(" ".join(title).split()), "heuristic")
    words = " or ".join(f"contains(translate(@class,'{w.upper()}','{w}'),'{w}') or "
                        f"contains(translate(@id,'{w.upper()}','{w}'),'{w}')"
                        for w in PRICE_WORDS)
    candidates = page.xpath(f"//body//*[@itemprop='price' or {words}]")
    for node in candidates:
        if _in_side_block(node) or _is_old_price(node):
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
    main_text = " ".join(
        t for node in page.xpath("//body//*[not(self::script or self::style)]/text()/..")
        if not _in_side_block(node) for t in node.xpath("text()").getall()).lower()
    if any(word in main_text for word in OUT_WORDS) or page.css(
            "button[disabled][name*=add], button.add-to-cart[disabled], "
            ".product-unavailable, .out-of-stock"):
        out["availability"] = Found("OutOfStock", "heuristic")
    elif any(word in main_text for word in IN_WORDS):
        out["availability"] = Found("InStock", "heuristic")
    for label, code in CODE_LABEL.findall(" ".join(main_text.split())):
        field = ("gtin" if label.lower() in ("ean", "gtin") else
                 "mpn" if label.lower() in ("mpn", "part no.", "part number", "part no") else "sku")
        if field not in out:
            original = re.search(re.escape(code), " ".join(page.css("body ::text").getall()),
                                 re.IGNORECASE)
            out[field] = Found(original.group(0) if original else code, "heuristic")
    return out


def extract_product(html: str, locale: str = "en", url: str | None = None) -> dict[str, Found]:
    """Every field with the first layer that found it."""
    try:
        data = extruct.extract(html, base_url=url, uniform=True, errors="ignore",
                               syntaxes=["json-ld", "microdata", "rdfa", "opengraph"])
    except Exception:  # a broken page still gets the heuristics
        data = {}
    result: dict[str, Found] = {}
    layers = [_from_product(p, syntax) for syntax in ("json-ld", "microdata", "rdfa")
              for p in _products(data.get(syntax, []))]
    layers.append(_opengraph(data.get("opengraph", [])))
    layers.append(_heuristics(Selector(text=html), locale))
    for layer in layers:
        for field, found in layer.items():
            result.setdefault(field, found)
    price = result.get("price")
    if price and price.value:
        parsed = parse_price(price.value, "en" if re.fullmatch(r"\d+(\.\d+)?", price.value)
                             else locale)
        result["price"] = Found(str(parsed.amount) if parsed.amount else None, price.layer)
        if parsed.currency and "currency" not in result:
            result["currency"] = Found(parsed.currency, price.layer)
    return {f: result.get(f, Found(None, None)) for f in FIELDS}
