"""Read a product page with no configuration: structured data (JSON-LD, microdata, RDFa,
OpenGraph via extruct) and the visible page, combined field by field by agreement and
trust. Each field says which layer produced it and with what confidence.

No page can stop it: every stage is guarded, so a page that defeats one stage still gets
the others, and a field that cannot be read is None with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar

from parsel import Selector
from w3lib.encoding import html_to_unicode

from supplier_pipeline.lib.extraction import structured
from supplier_pipeline.lib.extraction.found import Found
from supplier_pipeline.lib.extraction.heuristics import SHOWN, heuristics
from supplier_pipeline.lib.extraction.scripts import script_fields
from supplier_pipeline.lib.extraction.structured import CLAIMS
from supplier_pipeline.lib.extraction.visible import main_text
from supplier_pipeline.lib.scraping.extract import html_tree
from supplier_pipeline.lib.scraping.normalise import (
    CENT,
    ParsedPrice,
    parse_price,
    parse_price_breaks,
    price_breaks_text,
)

__all__ = ["FIELDS", "Found", "decode", "extract_product", "heuristic_fields", "normalised",
           "structured_fields"]

# stock_qty: the quantity the shop says it holds; vat_included: whether the stored price
# includes VAT, as its own data says ("true" / "false") or the label shown beside it;
# available_from: when a back-order is expected (schema.org availabilityStarts).
FIELDS = ("name", "price", "currency", "availability", "sku", "gtin", "mpn", "brand",
          "price_breaks", "stock_qty", "vat_included", "available_from")
T = TypeVar("T")


def decode(body: bytes, content_type: str | None = None) -> str:
    """Bytes in any encoding -> text, by BOM, HTTP header, <meta charset> or detection."""
    return html_to_unicode(content_type, body)[1]


def _guarded(stage: str, run: Callable[[], T], default: T, problems: dict[str, str]) -> T:
    try:
        return run()
    except Exception as exc:  # a page that defeats one stage still gets the others
        problems[stage] = f"{stage} failed: {type(exc).__name__}: {str(exc)[:80]}"
        return default


def structured_fields(html: str, page: Selector, url: str | None = None) -> dict[str, Found]:
    """Fields from JSON-LD, microdata, RDFa and OpenGraph, in that order of trust."""
    return _guarded("structured data", lambda: structured.structured_fields(html, page, url),
                    {}, {})


def _body_text(page: Selector) -> str:
    body = page.root.find("body") if page.root.tag == "html" else page.root
    return main_text(body)


def _shown(code: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text) is not None


def _sku(stated: Found | None, seen: Found | None, text: str) -> Found | None:
    """The SKU the structured data states, unless the page shows customers another one and
    never this one (shops put internal variant ids and image ids in their JSON-LD)."""
    if stated is None or seen is None:
        return stated or seen
    if stated.value.replace(" ", "").lower() == seen.value.replace(" ", "").lower():
        return Found(stated.value, stated.layer, min(1.0, stated.confidence + 0.1))
    return stated if _shown(stated.value, text) else Found(seen.value, seen.layer, 0.65)


def _availability(stated: Found | None, seen: Found | None) -> Found | None:
    """Out of stock only when the visible page does not contradict it: a false "out of
    stock" drives a wrong alert, a missing one costs nothing."""
    if stated is None or seen is None:
        return stated or seen
    if stated.value == seen.value:
        return Found(stated.value, stated.layer, min(1.0, stated.confidence + 0.1))
    if stated.value == "OutOfStock":
        return Found(seen.value, seen.layer, 0.5)
    if stated.value == "InStock" and seen.value == "BackOrder":
        # shop templates state InStock for whatever can be ordered; "su ordinazione"
        # written on the page is the specific claim
        return Found(seen.value, seen.layer, 0.6)
    return Found(stated.value, stated.layer, stated.confidence - 0.2)


def _vat(price: Found | None, stated: dict[str, Found], seen: dict[str, Found]
         ) -> Found | None:
    """The VAT flag of the price that was chosen: stated with it by the same layer, or by
    the other layer for the same amount."""
    if price is None:
        return None
    own, other = (seen, stated) if price.layer == "heuristic" else (stated, seen)
    if "vat_included" in own:
        return own["vat_included"]
    other_price = other.get("price")
    if "vat_included" in other and other_price and _amount(other_price.value) == _amount(
            price.value):
        return other["vat_included"]
    return None


def _amounts(found: Found | None) -> list[Decimal]:
    """The prices in a one-a-line list of plain numbers or price texts."""
    lines = found.value.splitlines() if found and found.value else []
    return [a for line in lines if (a := _amount(line)) is not None]


def _amount(value: str | None) -> Decimal | None:
    if not value:
        return None
    plain = NUMBER.fullmatch(value) is not None
    return (_number(value) if plain else parse_price(value, "en")).amount


def _script_amounts(script: Found | None) -> set[Decimal]:
    """A price in a page's script, and what it says if it counts in cents (integers in
    minor units are common in shops' JavaScript state)."""
    amount = _amount(script.value) if script else None
    if amount is None:
        return set()
    return {amount, (amount / 100).quantize(CENT)} if amount == amount.to_integral() else {amount}


def _price_by_agreement(stated: Found | None, seen: Found | None, claims: list[Decimal],
                        shown: list[Decimal], script: Found | None) -> Found | None:
    """The structured price, unless the page shows another that a second witness backs:
    another syntax or offer of the same product, or the product object in the page's
    scripts (an auction's JSON-LD states the starting bid, its OpenGraph and page the
    current one). When the product's offers disagree and the stated one is not shown as a
    selling price, the offer that is shown. Without structured data, the visible price."""
    if stated is None and seen is not None and _amount(seen.value) in _script_amounts(script):
        return Found(seen.value, seen.layer, 0.75)
    if stated is None or seen is None:
        return stated or seen
    first, page = _amount(stated.value), _amount(seen.value)
    if first is None or page is None:
        return stated
    if first == page:
        return Found(stated.value, stated.layer, min(1.0, stated.confidence + 0.1))
    if page in set(claims) | _script_amounts(script):
        return Found(seen.value, seen.layer, 0.75)
    if first not in shown:
        offer = next((claim for claim in claims if claim in shown), None)
        if offer is not None:
            return Found(str(offer), stated.layer, stated.confidence)
    return stated


def combine(stated: dict[str, Found], seen: dict[str, Found], text: str,
            script: dict[str, Found] | None = None) -> dict[str, Found]:
    """One value per field from the structured layer (`stated`), the visible page (`seen`)
    and the product object in the page's scripts (`script`, a witness: it fills a SKU only
    when the page shows it, availability only when nothing else states it, and never a
    price alone): agreement raises the confidence, disagreement lowers it or, for price,
    SKU and availability, lets the visible page win when it has a second witness."""
    script = script or {}
    result = {**seen, **stated}
    for field in set(stated) & set(seen):
        if stated[field].value == seen[field].value:
            result[field] = Found(stated[field].value, stated[field].layer,
                                  min(1.0, stated[field].confidence + 0.1))
    price = _price_by_agreement(stated.get("price"), seen.get("price"),
                                _amounts(stated.get(CLAIMS)), _amounts(seen.get(SHOWN)),
                                script.get("price"))
    if price:
        result["price"] = price
    vat = _vat(result.get("price"), stated, seen)
    result.pop("vat_included", None)
    if vat:
        result["vat_included"] = vat
    shown_sku = script.get("sku") if script.get("sku") and _shown(script["sku"].value,
                                                                  text) else None
    for field, choose in (("sku", lambda a, b: _sku(a, b, text)),
                          ("availability", _availability)):
        chosen = choose(stated.get(field) or (shown_sku if field == "sku" else
                                              script.get(field)), seen.get(field))
        if chosen:
            result[field] = chosen
    return result


def heuristic_fields(page: Selector, locale: str,
                     known: dict[str, Found] | None = None) -> dict[str, Found]:
    """`known` (the structured fields) combined with what the visible page shows."""
    problems: dict[str, str] = {}
    text = _guarded("page text", lambda: _body_text(page), "", problems)
    seen = _guarded("heuristics", lambda: heuristics(page, locale, text), {}, problems)
    return combine(dict(known or {}), seen, text)


NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _number(value: str) -> ParsedPrice:
    """A number as structured data writes it (`12.5`, `1.25e1`): read exactly, and only
    when it is a positive amount in cents that a Decimal holds."""
    try:
        amount = Decimal(value.strip()).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return ParsedPrice(None, None, f"unreadable number {value.strip()[:40]!r}")
    if not amount > 0:
        return ParsedPrice(None, None, f"non-positive price {value.strip()[:40]!r}")
    return ParsedPrice(amount, None)


def _price(found: Found, locale: str) -> dict[str, Found]:
    plain = NUMBER.fullmatch(found.value) is not None
    parsed = _number(found.value) if plain else parse_price(found.value, locale)
    out = {"price": Found(str(parsed.amount) if parsed.amount else None, found.layer,
                          found.confidence, parsed.problem)}
    if parsed.currency:
        out["currency"] = Found(parsed.currency, found.layer, found.confidence)
    return out


def normalised(result: dict[str, Found], locale: str) -> dict[str, Found]:
    """The price as a plain decimal string (and its currency, when the text named one);
    every field present, None with a reason when it could not be read."""
    result = dict(result)
    price = result.get("price")
    if price and price.value:
        for name, found in _price(price, locale).items():
            if name == "price" or name not in result:
                result[name] = found
    tiers = result.get("price_breaks")
    if tiers and tiers.value:
        breaks = parse_price_breaks(tiers.value, "en" if tiers.layer != "heuristic" else locale)
        result["price_breaks"] = Found(price_breaks_text(breaks) or None, tiers.layer,
                                       tiers.confidence)
    return {f: result.get(f, Found(None, None)) for f in FIELDS}


def extract_product(html: str, locale: str = "en", url: str | None = None) -> dict[str, Found]:
    """Every field with the layer and confidence it was read with. Never raises: a stage
    that fails leaves its fields None, each with the reason."""
    problems: dict[str, str] = {}
    page = _guarded("parsing", lambda: html_tree(html or ""), None, problems)
    if page is None:
        return {f: Found(None, None, reason=problems["parsing"]) for f in FIELDS}
    stated = _guarded("structured data",
                      lambda: structured.structured_fields(html, page, url), {}, problems)
    text = _guarded("page text", lambda: _body_text(page), "", problems)
    seen = _guarded("heuristics", lambda: heuristics(page, locale, text), {}, problems)
    script = _guarded("scripts", lambda: script_fields(html, page), {}, problems)
    result = _guarded("combining",
                      lambda: normalised(combine(stated, seen, text, script), locale),
                      {}, problems)
    reason = "; ".join(problems.values()) or "not on the page"
    return {f: (found if (found := result.get(f)) and (found.value or found.reason)
                else Found(None, None, reason=reason)) for f in FIELDS}
