"""A product page read in layers: structured data (JSON-LD, microdata, RDFa, OpenGraph) and
the supplier's configured selectors, in the order each field's rule prefers (structured
first unless the supplier chose `prefer: selectors`), then the generic heuristics. Each
field remembers which layer produced it.

The VAT flag and the quantity go with the value they belong to: a structured
`valueAddedTaxIncluded` describes the structured price, a label beside the configured
price element describes that price."""

from __future__ import annotations

import re

from supplier_pipeline.lib.extraction.generic import (
    heuristic_fields,
    normalised,
    structured_fields,
)
from supplier_pipeline.lib.extraction.visible import vat_near
from supplier_pipeline.lib.scraping.extract import Extracted, extract_fields, parsed
from supplier_pipeline.lib.scraping.normalise import parse_price
from supplier_pipeline.lib.suppliers.config import FieldRule

# generic field -> the field name our observations use
CORE = ("title", "price", "stock", "sku")
OURS = {"name": "title", "price": "price", "currency": "currency", "availability": "stock",
        "sku": "sku", "gtin": "ean", "mpn": "mpn", "brand": "brand",
        "price_breaks": "price_breaks", "stock_qty": "stock_qty",
        "vat_included": "vat_included", "available_from": "available_from"}
def _vat_from_selector(found: Extracted, price: str, locale: str) -> str | None:
    """The VAT label beside the element a configured price selector read its price from,
    when that element shows the stored price."""
    element = found.element
    if element is None or not isinstance(element.tag, str):
        return None
    attribute = re.search(r"::attr\(([^)]*)\)", found.matched)
    text = element.get(attribute.group(1).strip()) if attribute else " ".join(
        element.itertext())
    shown = parse_price(text, locale).amount
    if shown is None or shown != parse_price(price, locale).amount:
        return None
    label = vat_near(element)
    return label.label if label else None


def layered_fields(html: str, rules: dict[str, FieldRule], locale: str,
                   url: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(values, sources) for one product page, parsed once. The heuristics are for pages the
    configuration does not cover: they run only when structured data and selectors left a
    core field (title, price, stock, SKU) empty, and then fill every empty field. A configured
    field that found nothing (no EAN on this page) is not a reason to guess."""
    page = parsed(html)
    structured = structured_fields(html, page, url)
    stated = {OURS[name]: found for name, found in normalised(dict(structured), locale).items()
              if found.value}
    selected: dict[str, Extracted] = {name: found for name, found in
                                      extract_fields(page, rules).items() if found.value}
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in dict.fromkeys([*stated, *selected]):
        rule = rules.get(name)
        selector_first = rule is not None and rule.prefer == "selectors"
        if name in selected and (selector_first or name not in stated):
            values[name], sources[name] = selected[name].value, f"selector {selected[name].matched}"
        elif name in stated:
            values[name], sources[name] = stated[name].value, stated[name].layer
    _vat_of_price(values, sources, stated, selected, locale)
    _stock_shown(values, sources, selected)
    if all(field in values for field in CORE):
        return values, sources
    generic = normalised(heuristic_fields(page, locale, structured), locale)
    same_price = _same_amount(generic["price"].value, values.get("price"), locale)
    for name, found in generic.items():
        if name == "vat_included" and not same_price:
            continue  # a label that goes with another price than the stored one
        if found.value and found.layer == "heuristic" and OURS[name] not in values:
            values[OURS[name]], sources[OURS[name]] = found.value, "heuristic"
    return values, sources


def _stock_shown(values: dict[str, str], sources: dict[str, str],
                 selected: dict[str, Extracted]) -> None:
    """The stock text the configured selector read, kept beside a structured stock state that
    won over it: a schema.org BackOrder says nothing of when, the page's "disponibile tra 5
    giorni" does."""
    shown = selected.get("stock")
    if shown is not None and not sources.get("stock", "").startswith("selector"):
        values["stock_shown"] = shown.value
        sources["stock_shown"] = f"selector {shown.matched}"


def _same_amount(generic: str | None, stored: str | None, locale: str) -> bool:
    return stored is None or (generic is not None and parse_price(generic, locale).amount
                              == parse_price(stored, locale).amount)


def _vat_of_price(values: dict[str, str], sources: dict[str, str], stated: dict,
                  selected: dict[str, Extracted], locale: str) -> None:
    """Keep the structured VAT flag only for the structured price; a configured `vat_included`
    selector wins; else the label beside the configured price element, when it shows the
    stored price."""
    if "vat_included" in selected:
        return
    if "price" in values and sources.get("price", "").startswith("selector"):
        values.pop("vat_included", None)
        sources.pop("vat_included", None)
    if "vat_included" in values or "price" not in selected or "price" not in values:
        return
    label = _vat_from_selector(selected["price"], values["price"], locale)
    if label:
        values["vat_included"] = label
        sources["vat_included"] = f"label beside selector {selected['price'].matched}"
