"""A product page read in layers: structured data first (JSON-LD, microdata, RDFa,
OpenGraph), then the supplier's configured selectors, then the generic heuristics. Each field
remembers which layer produced it."""

from __future__ import annotations

from parsel import Selector

from supplier_pipeline.lib.extraction.generic import extract_product
from supplier_pipeline.lib.scraping.extract import extract_fields
from supplier_pipeline.lib.suppliers.config import FieldRule

STRUCTURED = {"json-ld", "microdata", "rdfa", "opengraph"}
# generic field -> the field name our observations use
OURS = {"name": "title", "price": "price", "currency": "currency", "availability": "stock",
        "sku": "sku", "gtin": "ean", "mpn": "mpn", "brand": "brand"}


def layered_fields(html: str, rules: dict[str, FieldRule], locale: str,
                   url: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(values, sources) for one product page."""
    generic = extract_product(html, locale, url)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, found in generic.items():
        if found.value and found.layer in STRUCTURED:
            values[OURS[name]], sources[OURS[name]] = found.value, found.layer
    for name, found in extract_fields(Selector(text=html), rules).items():
        if found.value and name not in values:
            values[name], sources[name] = found.value, f"selector {found.matched}"
    for name, found in generic.items():
        if found.value and found.layer == "heuristic" and OURS[name] not in values:
            values[OURS[name]], sources[OURS[name]] = found.value, "heuristic"
    return values, sources
