"""The page as a customer reads it: the main product's block, without related products,
recently viewed items, menus, footers or hidden templates. Text anywhere on a shop page
names other products' prices, stock and codes, so every reading here is anchored to a
place a shop puts that field (a labelled code, the availability block, the buy button)."""

from __future__ import annotations

import re
from itertools import chain, islice

from lxml.html import HtmlElement

from supplier_pipeline.lib.scraping.normalise import VatLabel, vat_label

# Blocks that describe other products, or the site rather than the product.
NOT_MAIN = ("related", "upsell", "up-sell", "cross-sell", "crosssell", "recommend", "similar",
            "accessor", "carousel", "also-bought", "recently", "viewed", "megamenu",
            "mega-menu", "cookie", "newsletter")
SIDE_TAGS = ("aside", "footer", "nav")
UNREAD_TAGS = ("script", "style", "noscript", "template", "svg", "select", "head", "iframe")
# Words in the class of a price the product no longer sells at. Matched as whole words of
# the class ("price-old", "was_price"), never inside one: "bold", "list-unstyled",
# "salt" and "price-list" are not old prices. "list" and "before" only with "price".
OLD_PRICE = {"old", "oldprice", "regular", "was", "wasprice", "compare", "strike",
             "strikethrough", "striked", "barre", "barred", "crossed", "vecchio", "ancien",
             "anterior", "rrp", "uvp", "msrp", "listprice", "regularprice", "compareat",
             "pricebefore", "beforeprice", "prezzopieno", "streichpreis"}
OLD_PRICE_JOINED = ("list-price", "list_price", "price-before", "price_before",
                    "before-price", "compare-at", "compare_at", "old-price", "old_price")
WORD = re.compile(r"[a-z0-9]+")


def marks(element: HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}".lower()


def is_side(element: HtmlElement) -> bool:
    if element.tag in SIDE_TAGS:
        return True
    marked = marks(element)  # once, not once for each of NOT_MAIN's words
    return any(m in marked for m in NOT_MAIN)


def is_hidden(element: HtmlElement) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return element.get("hidden") is not None or "display:none" in style


def _skipped(element: HtmlElement) -> bool:
    return (not isinstance(element.tag, str) or element.tag in UNREAD_TAGS or is_side(element)
            or is_hidden(element))


def in_main(element: HtmlElement) -> bool:
    """Not inside a side block or a hidden one (the page's html and body never count)."""
    for e in chain([element], element.iterancestors()):
        if e.tag in ("body", "html"):
            return True
        if _skipped(e):
            return False
    return True


def _says_old(element: HtmlElement) -> bool:
    marked = marks(element)
    return (not OLD_PRICE.isdisjoint(WORD.findall(marked))
            or any(joined in marked for joined in OLD_PRICE_JOINED))


def is_old_price(element: HtmlElement) -> bool:
    return any(e.tag in ("del", "s", "strike") or _says_old(e)
               for e in chain([element], islice(element.iterancestors(), 2)))


def main_text(body: HtmlElement | None, limit: int | None = None) -> str:
    """The visible text of the main content in document order, one line per text node, so
    that a label and the value in the next element stay neighbours. Iterative: a page
    nested ten thousand levels deep is read like any other. `limit` stops after that many
    characters (an 'availability' class on a whole column is not an availability block)."""
    if body is None:
        return ""
    lines: list[str] = []
    size = 0
    stack: list[HtmlElement | str] = [body]
    while stack and (limit is None or size <= limit):
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            size += len(item)
            continue
        if item is not body and _skipped(item):
            if item.tail and item.tail.strip():
                lines.append(item.tail)
            continue
        if item.text and item.text.strip():
            lines.append(item.text)
            size += len(item.text)
        if item is not body and item.tail and item.tail.strip():
            stack.append(item.tail)
        stack.extend(reversed(item))
    return "\n".join(" ".join(line.split()) for line in lines)


def vat_near(price: HtmlElement, limit: int = 300) -> VatLabel | None:
    """The VAT label that goes with a price: in the price's element, the two elements after
    it, then its block and the block around that, while they are a few lines of text (a
    bigger block is the page's, and its "prices incl. VAT" note is the shop's default, not
    this price's)."""
    block: HtmlElement | None = price
    for _ in range(3):
        if block is None or block.tag in ("body", "html"):
            return None
        text = main_text(block, limit)
        if len(text) > limit:
            return None
        siblings = (e for e in block.itersiblings() if not _skipped(e))
        for element in chain([block], islice(siblings, 2)):
            if element is not block:
                text = main_text(element, limit)
            if len(text) <= limit and (label := vat_label(text)):
                return label
        block = block.getparent()
    return None
