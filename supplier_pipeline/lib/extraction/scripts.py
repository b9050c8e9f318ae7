"""The product object a shop platform ships in the page for its own JavaScript: Shopify's
`var meta = {"product": ...}` and product JSON, Magento's `jsonConfig`, WooCommerce's
`data-product_variations`, PrestaShop's `data-product`, and state objects such as
`window.__INITIAL_STATE__`. It states what the shop's code works with (price, SKU, stock),
so it is a good witness when the other layers disagree, and a poor one alone: state objects
also hold recommended products, and Shopify counts in cents.

Read with `json` only (never evaluated), each object bounded in size, depth and nodes; an
object that is not strict JSON (JavaScript with bare keys or single quotes) is skipped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from parsel import Selector

from supplier_pipeline.lib.extraction.found import Found

MAX_CHARS = 1_000_000  # a product object is kilobytes; a whole app state rarely above this
MAX_DEPTH = 12
MAX_NODES = 20_000
CONFIDENCE = 0.6

# Inline assignments of a platform's product or state object, found by their name (a plain
# substring search: a regex tried at every position of the page costs more than the rest of
# this layer); the JSON starts after `=`.
ASSIGNED_NAMES = ("var meta", "ShopifyAnalytics.meta", "productAttributes", "__INITIAL_STATE__",
                  "__PRELOADED_STATE__", "var product")
ASSIGNMENT = re.compile(r"[\w.$]*\s*=\s*(?=[{\[])")
# Attributes and script elements that hold one JSON document.
ATTRIBUTES = ("data-product-json", "data-product_variations", "data-product", "data-mage-init")
ATTRIBUTE_XPATH = "//body//*[" + " or ".join(f"@{name}" for name in ATTRIBUTES) + "]"
SCRIPT_XPATH = ("//script[@type='application/json' and (@data-product-json or "
                "contains(translate(@id,'PRODUCT','product'),'product'))]"
                "|//script[@type='text/x-magento-init']")
SHOPIFY_CENTS = re.compile(r"\bvar\s+meta|ShopifyAnalytics|data-product-json|ProductJson",
                           re.IGNORECASE)
PRICE_KEYS = ("price_amount", "display_price", "finalPrice", "final_price", "salePrice",
              "sellingPrice", "price")
SKU_KEYS = ("sku", "reference", "productSku")
IN_STOCK_KEYS = ("available", "is_in_stock", "isInStock", "inStock")


def _documents(html: str, page: Selector) -> Iterator[tuple[object, bool]]:
    """(parsed JSON, prices in cents) for every product object the page ships."""
    decoder = json.JSONDecoder()
    for name in ASSIGNED_NAMES:
        start = html.find(name)
        for _ in range(5):
            if start < 0:
                break
            end = start + len(name)
            if match := ASSIGNMENT.match(html, end):
                cents = SHOPIFY_CENTS.match(name) is not None
                yield from _parsed(decoder, html[match.end():match.end() + MAX_CHARS], cents)
            start = html.find(name, end)
    for node in page.xpath(SCRIPT_XPATH):
        cents = SHOPIFY_CENTS.search(" ".join(node.root.attrib.keys())
                                     + node.root.get("id", "")) is not None
        yield from _parsed(decoder, (node.root.text or "")[:MAX_CHARS], cents)
    for node in page.xpath(ATTRIBUTE_XPATH)[:20]:
        for name in ATTRIBUTES:
            if value := node.root.get(name):
                yield from _parsed(decoder, value[:MAX_CHARS], name == "data-product-json")


def _parsed(decoder: json.JSONDecoder, text: str, cents: bool) -> Iterator[tuple[object, bool]]:
    text = text.lstrip()
    if not text.startswith(("{", "[")):
        return
    try:
        document, _ = decoder.raw_decode(text)
    except (ValueError, RecursionError):  # not strict JSON, or cut at MAX_CHARS
        return
    yield document, cents


def _objects(document: object) -> Iterator[dict]:
    """Every JSON object in the document, breadth first, within the depth and node bounds."""
    level, seen = [document], 0
    for _ in range(MAX_DEPTH):
        following: list = []
        for item in level:
            seen += 1
            if seen > MAX_NODES:
                return
            if isinstance(item, dict):
                yield item
                following += item.values()
            elif isinstance(item, list):
                following += item
        if not following:
            return
        level = following


def _amount(value: object, cents: bool) -> Decimal | None:
    if isinstance(value, dict):
        value = value.get("amount")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if cents and isinstance(value, int):
        amount /= 100
    return amount if amount.is_finite() and 0 < amount < 10**9 else None


def _record(item: dict, cents: bool) -> dict[str, object]:
    record: dict[str, object] = {}
    price = next((a for k in PRICE_KEYS if k in item
                  if (a := _amount(item[k], cents)) is not None), None)
    if price is not None:
        record["price"] = price
    sku = next((item[k] for k in SKU_KEYS if isinstance(item.get(k), (str, int))
                and not isinstance(item.get(k), bool) and str(item[k]).strip()), None)
    if sku is not None:
        record["sku"] = str(sku).strip()
    stock = next((item[k] for k in IN_STOCK_KEYS if isinstance(item.get(k), bool)), None)
    if stock is not None:
        record["availability"] = "InStock" if stock else "OutOfStock"
    return record


def script_fields(html: str, page: Selector) -> dict[str, Found]:
    """Price, SKU and availability the page's product objects agree on: a field is stated
    only when every object that names it names the same value (a price that varies is a
    variant's or another product's), availability InStock when any variant is."""
    values: dict[str, set] = {"price": set(), "sku": set(), "availability": set()}
    for document, cents in _documents(html, page):
        for item in _objects(document):
            record = _record(item, cents)
            if "price" not in record and "sku" not in record:
                continue
            for field, value in record.items():
                values[field].add(value)
    out: dict[str, Found] = {}
    for field in ("price", "sku"):
        if len(values[field]) == 1:
            out[field] = Found(str(values[field].pop()), "script", CONFIDENCE)
    if values["availability"]:
        state = "InStock" if "InStock" in values["availability"] else "OutOfStock"
        out["availability"] = Found(state, "script", CONFIDENCE)
    return out
