"""The quality gate of one scrape partition: checks that decide whether its data may flow on.

A partition that fails a blocking check is quarantined: it is kept for inspection, but the
marts ignore it, so a broken scrape never reads as prices or stock that changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from supplier_pipeline.lib.scraping.records import Observation

COUNT_TOLERANCE = 0.2  # product count within 20 % of the last good run
MIN_PRICED_SHARE = 0.95
MAX_UNKNOWN_STOCK_SHARE = 0.2
PRICE_JUMP = 0.5  # a price that moves more than 50 % at once is suspicious
MAX_JUMP_SHARE = 0.05


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    blocking: bool
    description: str
    metadata: dict = field(default_factory=dict)


def gate(observations: list[Observation], error: str | None,
         last_good_count: int | None, last_prices: dict[str, Decimal]) -> list[GateCheck]:
    total = len(observations)
    priced = sum(o.price_net is not None for o in observations)
    unknown = sum(o.stock_state == "unknown" for o in observations)
    duplicates = sorted(s for s, n in Counter(o.supplier_sku for o in observations).items()
                        if n > 1)
    jumps = [o.supplier_sku for o in observations
             if o.price_net is not None and o.supplier_sku in last_prices
             and abs(o.price_net / last_prices[o.supplier_sku] - 1) > PRICE_JUMP]
    priced_share = priced / total if total else 0.0
    unknown_share = unknown / total if total else 1.0
    count_ratio = total / last_good_count if last_good_count else None
    return [
        GateCheck("offers_present", total > 0 and error is None, True,
                  "the scrape finished and found offers",
                  {"offers": total, "error": error or ""}),
        GateCheck("offer_count_near_last_good_run",
                  count_ratio is None or abs(count_ratio - 1) <= COUNT_TOLERANCE, True,
                  f"offer count within {COUNT_TOLERANCE:.0%} of the last good run",
                  {"offers": total, "last_good_offers": last_good_count or 0}),
        GateCheck("offers_have_parsed_price", priced_share >= MIN_PRICED_SHARE, True,
                  f"at least {MIN_PRICED_SHARE:.0%} of offers have a parsed price",
                  {"priced_share": round(priced_share, 4)}),
        GateCheck("supplier_skus_unique", not duplicates, True,
                  "no supplier SKU appears twice", {"duplicates": ", ".join(duplicates[:20])}),
        GateCheck("stock_mostly_known", unknown_share <= MAX_UNKNOWN_STOCK_SHARE, False,
                  f"at most {MAX_UNKNOWN_STOCK_SHARE:.0%} of offers have unknown stock",
                  {"unknown_share": round(unknown_share, 4)}),
        GateCheck("price_jumps_plausible",
                  len(jumps) <= MAX_JUMP_SHARE * max(total, 1), False,
                  f"at most {MAX_JUMP_SHARE:.0%} of prices move over {PRICE_JUMP:.0%} at once",
                  {"jumps": len(jumps), "examples": ", ".join(jumps[:10])}),
    ]


def status_of(checks: list[GateCheck], error: str | None) -> tuple[str, str | None]:
    """`ok`, `quarantined` (a blocking check failed) or `failed` (the scrape itself failed)."""
    if error:
        return "failed", error
    failing = [c.name for c in checks if c.blocking and not c.passed]
    return ("quarantined", "failed checks: " + ", ".join(failing)) if failing else ("ok", None)
