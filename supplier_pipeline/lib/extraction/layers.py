"""A product page read in layers: structured data first (JSON-LD, microdata, RDFa,
OpenGraph), then the supplier's configured selectors, then the generic heuristics. Each field
remembers which layer produced it."""

from __future__ import annotations

from parsel import Selector

from supplier_pipeline.lib.extraction.generic import (
    heuristic_fields,
    normalised,
    structured_fields,
)
from supplier_pipeline.lib.scraping.extract import extract_fields
from supplier_pipeline.lib.suppliers.config import FieldRule

# generic field -> the field name our observations use
CORE = ("title", "price", "stock", "sku")
OURS = {"name": "title", "price": "price", "currency": "currency", "availability": "stock",
        "sku": "sku", "gtin": "ean", "mpn": "mpn", "brand": "brand",
        "price_breaks": "price_breaks"}


def layered_fields(html: str, rules: dict[str, FieldRule], locale: str,
                   url: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(values, sources) for one product page, parsed once. The heuristics are for pages the
    configuration does not cover: they run only when structured data and selectors left a
    core field (title, price, stock, SKU) empty, and then fill every empty field. A configured
    field that found nothing (no EAN on this page) is not a reason to guess."""
    page = Selector(text=html)
    structured = structured_fields(html, page, url)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, found in normalised(dict(structured), locale).items():
        if found.value:
            values[OURS[name]], sources[OURS[name]] = found.value, found.layer
    for name, found in extract_fields(page, rules).items():
        if found.value and name not in values:
            values[name], sources[name] = found.value, f"selector {found.matched}"
    if all(field in values for field in CORE):
        return values, sources
    generic = normalised(heuristic_fields(page, locale, structured), locale)
    for name, found in generic.items():
        if found.value and found.layer == "heuristic" and OURS[name] not in values:
            values[OURS[name]], sources[OURS[name]] = found.value, "heuristic"
    return values, sources
