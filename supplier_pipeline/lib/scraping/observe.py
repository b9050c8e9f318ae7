"""Build an Observation from the raw field texts of one offer: the ordered cleaning steps."""

from __future__ import annotations

from datetime import datetime

from supplier_pipeline.lib.scraping import backorder, normalise
from supplier_pipeline.lib.scraping.normalise import decimal_or_none
from supplier_pipeline.lib.scraping.records import Observation
from supplier_pipeline.lib.scraping.safety import redact_url
from supplier_pipeline.lib.suppliers.config import SupplierConfig


def _int_or_none(value: object) -> int | None:
    if value is None:  # most offers state no quantity or pack: no exception to raise
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _price_breaks(obs: Observation, text: str | None, config: SupplierConfig,
                  vat_rate: float, vat_included: bool) -> None:
    if not text:
        return
    breaks = normalise.parse_price_breaks(text, config.price.locale, config.price.currency)
    if not breaks:
        obs.problems.append(f"price breaks: no quantity and price pairs in {text[:60]!r}")
        return
    obs.price_breaks = [(minimum, *normalise.net_and_gross(price, vat_included, vat_rate))
                        for minimum, price in breaks]


def _vat_included(config: SupplierConfig, fields: dict[str, str | None],
                  sources: dict[str, str]) -> tuple[bool, str]:
    """Whether this price includes VAT, and why: a label in the price's own text ("12,20 €
    IVA inclusa"), else the flag or label that came with the price (JSON-LD
    `valueAddedTaxIncluded`, the label beside it, a configured `vat_included` selector),
    else the supplier's `price.vat_included`."""
    label = normalise.vat_label(fields.get("price"))
    if label:
        return label.included, f"price text {label.label!r}"
    stated = (fields.get("vat_included") or "").strip()
    flag = {"true": True, "1": True, "false": False, "0": False}.get(stated.lower())
    label = normalise.vat_label(stated) if flag is None else None
    source = sources.get("vat_included", "vat_included")
    if flag is not None:
        return flag, f"{source} {stated.lower()}"
    if label:
        return label.included, f"{source} {label.label!r}"
    return config.price.vat_included, "supplier price.vat_included"


def _backorder_until(obs: Observation, stated: str | None, shown: str | None,
                     locale: str) -> None:
    """The day a back-order is expected: the date stated apart from the stock text (schema.org
    `availabilityStarts`, a feed column or selector named `available_from`), else a date or
    delay in the stock text, else in the stock text the page shows when structured data gave
    the state (`stock_shown`). `sources` says which one it was."""
    for name, text in (("available_from", stated), ("stock", obs.stock_text),
                       ("stock_shown", shown)):
        expected = backorder.expected_date(text, obs.observed_at, locale)
        if expected.problem:
            obs.problems.append(f"{name}: {expected.problem}")
        if expected.on is not None:
            obs.backorder_until, obs.sources["backorder_until"] = expected.on, name
            return


def observation(config: SupplierConfig, fields: dict[str, str | None], observed_at: datetime,
                url: str | None = None, sources: dict[str, str] | None = None) -> Observation:
    """Normalise one offer's texts; unreadable values stay None/unknown with a problem noted.
    `sources` says which layer or selector produced each field."""
    obs = Observation(supplier_id=config.id, supplier_sku=(fields.get("sku") or "").strip(),
                      observed_at=observed_at, title=fields.get("title"),
                      url=redact_url(url) if url else None,
                      sources=dict(sources or {}))
    if not obs.supplier_sku:
        obs.problems.append("no supplier sku")
    obs.price_text = fields.get("price")
    if obs.price_text is not None:
        parsed = normalise.parse_price(obs.price_text, config.price.locale, config.price.currency)
        vat_text = fields.get("vat_rate")
        vat_rate = (float(vat_text) if decimal_or_none(vat_text) is not None
                    else config.price.vat_rate)
        if parsed.amount is None:
            obs.problems.append(f"price: {parsed.problem}")
        else:
            included, why = _vat_included(config, fields, obs.sources)
            obs.sources["vat_included"] = f"{'gross' if included else 'net'} by {why}"
            obs.price_net, obs.price_gross = normalise.net_and_gross(
                parsed.amount, included, vat_rate)
            obs.currency = fields.get("currency") or parsed.currency or config.price.currency
            obs.vat_rate = decimal_or_none(vat_rate)
            _price_breaks(obs, fields.get("price_breaks"), config, vat_rate, included)
    obs.stock_text = fields.get("stock")
    quantity = _int_or_none(fields.get("stock_qty"))  # stated apart: JSON-LD inventoryLevel
    if obs.stock_text is not None or quantity is not None:
        rule = config.stock
        reading = normalise.parse_stock(obs.stock_text, rule.in_stock, rule.out_of_stock,
                                        rule.low, rule.quantity_pattern, rule.low_below,
                                        rule.backorder)
        reading = normalise.with_quantity(reading, quantity, rule.low_below)
        obs.stock_state, obs.stock_qty = reading.state, reading.quantity
        if reading.problem and reading.state == "unknown":
            obs.problems.append(f"stock: {reading.problem}")
        if obs.stock_state == "backorder":
            _backorder_until(obs, fields.get("available_from"), fields.get("stock_shown"),
                             config.price.locale)
    title = obs.title or ""
    obs.brand = normalise.brand(fields.get("brand"))
    obs.device_model = normalise.device_model(fields.get("brand"), fields.get("device_model"))
    obs.part_type = normalise.part_type(fields.get("part_type")) or normalise.part_type(title)
    obs.quality = normalise.quality(fields.get("quality")) or normalise.quality(title)
    obs.colour = normalise.colour(fields.get("colour")) or normalise.colour(title)
    obs.ean = (fields.get("ean") or "").strip() or None
    obs.mpn = (fields.get("mpn") or "").strip() or None
    obs.pack_size = _int_or_none(fields.get("pack_size"))
    return obs
