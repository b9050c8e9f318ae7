"""The quality gate of one scrape partition: checks that decide whether its data may flow on.

A partition that fails a blocking check is quarantined: it is kept for inspection, but the
marts ignore it, so a broken scrape never reads as prices or stock that changed. One offer whose
price jumps beyond a plausible factor is held back on its own (the rest of the partition flows
on). Neither is forever: lib/scraping/acceptance.py accepts a new level once consecutive runs
confirm it, or at once when a person decides, and records every such decision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from supplier_pipeline.lib.scraping.records import Observation

COUNT_TOLERANCE = 0.2  # product count within 20 % of the last good run
MIN_PRICED_SHARE = 0.95
MAX_UNKNOWN_STOCK_SHARE = 0.2
# Runs that confirm a new price agree with it within 10 %: the demo's and real shops' own
# price moves stay well inside the jump factor, a typo (x10, x100, x1000) does not.
PRICE_CONFIRM_TOLERANCE = 0.1
QUARANTINE_PREFIX = "failed checks: "
COUNT_CHECK = "offer_count_near_last_good_run"


@dataclass(frozen=True)
class GatePolicy:
    """The gate's tunable settings (run config of the scrape assets, ScrapeConfig)."""

    price_jump_factor: float = 3.0
    """An offer's price above ×factor or below ÷factor of its last accepted price is held
    back: a shop's typo (×1000) must not reach the marts, alerts and orders."""
    confirm_runs: int = 3
    """Consecutive runs, the first one included, that must show a new level (an offer's
    price, a catalogue size) before it is accepted without a person's decision."""


@dataclass(frozen=True)
class PriceJump:
    """An observation whose price left the plausible band around the offer's accepted price."""

    supplier_sku: str
    price_net: Decimal
    last_accepted_price: Decimal

    @property
    def factor(self) -> float:
        return float(self.price_net / self.last_accepted_price)

    @property
    def reason(self) -> str:
        return (f"price {self.price_net} is ×{self.factor:.4g} the last accepted "
                f"{self.last_accepted_price}")


@dataclass(frozen=True)
class GateDecision:
    """One acceptance (or rejection) of what the gate held back: a person's, or the runs'
    confirmation. Every one is a row of raw.gate_decisions."""

    supplier_id: str
    mode: str
    kind: str  # price_jump (one offer's observation) | offer_count (a quarantined partition)
    window_start: datetime
    supplier_sku: str | None
    decision: str  # accepted | rejected
    basis: str  # person | confirmed_by_runs
    decided_by: str
    reason: str

    def as_row(self, decided_at: datetime, run_id: str) -> dict:
        return {**asdict(self), "decided_at": decided_at, "run_id": run_id}


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    blocking: bool
    description: str
    metadata: dict = field(default_factory=dict)


def price_jumps(observations: list[Observation], last_prices: dict[str, Decimal],
                factor: float) -> list[PriceJump]:
    """Observations priced beyond ×factor or ÷factor of the offer's last accepted price."""
    jumps = []
    for o in observations:
        last = last_prices.get(o.supplier_sku)
        if o.price_net is None or not last or last <= 0 or o.price_net <= 0:
            continue
        ratio = float(o.price_net / last)
        if ratio > factor or ratio < 1 / factor:
            jumps.append(PriceJump(o.supplier_sku, o.price_net, last))
    return jumps


def count_near(count: int, reference: int | None) -> bool:
    return not reference or abs(count / reference - 1) <= COUNT_TOLERANCE


def gate(observations: list[Observation], error: str | None, last_good_count: int | None,
         held: list[PriceJump], policy: GatePolicy = GatePolicy(),
         size_confirmed_by: int | None = None) -> list[GateCheck]:
    """The checks of one partition. `held` are the price jumps held back (not confirmed);
    `size_confirmed_by` is set when consecutive runs confirmed a new offer count."""
    total = len(observations)
    priced = sum(o.price_net is not None for o in observations)
    unknown = sum(o.stock_state == "unknown" for o in observations)
    duplicates = sorted(s for s, n in Counter(o.supplier_sku for o in observations).items()
                        if n > 1)
    priced_share = priced / total if total else 0.0
    unknown_share = unknown / total if total else 1.0
    factor = policy.price_jump_factor
    return [
        GateCheck("offers_present", total > 0 and error is None, True,
                  "the scrape finished and found offers",
                  {"offers": total, "error": error or ""}),
        GateCheck(COUNT_CHECK,
                  count_near(total, last_good_count) or size_confirmed_by is not None, True,
                  f"offer count within {COUNT_TOLERANCE:.0%} of the last good run, or a new "
                  f"count confirmed by {policy.confirm_runs} consecutive runs",
                  {"offers": total, "last_good_offers": last_good_count or 0,
                   "new_count_confirmed_by_runs": size_confirmed_by or 0}),
        GateCheck("offers_have_parsed_price", priced_share >= MIN_PRICED_SHARE, True,
                  f"at least {MIN_PRICED_SHARE:.0%} of offers have a parsed price",
                  {"priced_share": round(priced_share, 4)}),
        GateCheck("supplier_skus_unique", not duplicates, True,
                  "no supplier SKU appears twice", {"duplicates": ", ".join(duplicates[:20])}),
        GateCheck("stock_mostly_known", unknown_share <= MAX_UNKNOWN_STOCK_SHARE, False,
                  f"at most {MAX_UNKNOWN_STOCK_SHARE:.0%} of offers have unknown stock",
                  {"unknown_share": round(unknown_share, 4)}),
        GateCheck("price_jumps_plausible", not held, False,
                  f"no price moves beyond ×{factor:g} or ÷{factor:g} of its last accepted "
                  "price; such an observation is held back until accepted",
                  {"held_back": len(held),
                   "examples": "; ".join(f"{j.supplier_sku}: {j.reason}" for j in held[:10])}),
    ]


def status_of(checks: list[GateCheck], error: str | None) -> tuple[str, str | None]:
    """`ok`, `quarantined` (a blocking check failed) or `failed` (the scrape itself failed)."""
    if error:
        return "failed", error
    failing = [c.name for c in checks if c.blocking and not c.passed]
    return ("quarantined", QUARANTINE_PREFIX + ", ".join(failing)) if failing else ("ok", None)


def quarantined_only_for_count(status: str, reason: str | None) -> bool:
    """Whether a partition was quarantined for its offer count alone (so a confirmed new
    count may release it)."""
    return status == "quarantined" and reason == f"{QUARANTINE_PREFIX}{COUNT_CHECK}"
