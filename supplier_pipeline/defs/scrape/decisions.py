"""Jobs a person runs to let through what the quality gate held back: offers whose price jumped
beyond the plausible factor, and partitions quarantined for their offer count. Every decision
is a row of raw.gate_decisions; the scrapes do the same on their own once consecutive runs
confirm a new level."""

from datetime import UTC, datetime
from enum import Enum

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource

WINDOW_FORMATS = ("%Y-%m-%d-%H:%M", "%Y-%m-%d")  # the partition keys of windows and days
ASSETS = {"prices": ["raw", "supplier_offers"], "catalog": ["raw", "supplier_catalog"]}


class Decision(Enum):
    accepted = "accepted"
    rejected = "rejected"


class HeldPriceDecision(dg.Config):
    supplier_id: str
    supplier_skus: list[str]
    """The offers whose held-back observations are decided (every window still held)."""
    decision: Decision = Decision.accepted
    decided_by: str
    """Who decided: the name the decision is recorded under."""
    reason: str
    """Why, in a sentence (e.g. 'the supplier confirmed the new list price by phone')."""


class OfferCountDecision(dg.Config):
    supplier_id: str
    mode: str = "prices"
    """prices (4-hour windows) or catalog (days)."""
    windows: list[str]
    """Partitions quarantined for their offer count, as their keys (2026-11-28-08:00, or
    2026-11-28 for a catalogue day) or ISO times."""
    decided_by: str
    reason: str


def window_start(key: str) -> datetime:
    for fmt in WINDOW_FORMATS:
        try:
            return datetime.strptime(key, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    moment = datetime.fromisoformat(key)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _report(context: dg.OpExecutionContext, decisions: list) -> None:
    """Log the decisions, and the partitions whose data they changed as materialized again, so
    the marts are rebuilt (transform_after_scrapes_sensor) and the UI shows why."""
    for d in decisions:
        dimension, key = ("window", f"{d.window_start:%Y-%m-%d-%H:%M}") if d.mode == "prices" \
            else ("day", f"{d.window_start:%Y-%m-%d}")
        context.log_event(dg.AssetMaterialization(
            ASSETS[d.mode], partition=dg.MultiPartitionKey({"supplier": d.supplier_id,
                                                             dimension: key}),
            metadata={"gate_decision": f"{d.kind} {d.supplier_sku or ''} {d.decision}".strip(),
                      "decided_by": d.decided_by, "reason": d.reason}))
    context.log_event(dg.AssetMaterialization(["raw", "gate_decisions"], metadata={
        "decisions": len(decisions),
        "windows": ", ".join(sorted({f"{d.window_start:%Y-%m-%d %H:%M}" for d in decisions})),
        "offers": ", ".join(sorted({d.supplier_sku for d in decisions if d.supplier_sku}))}))


@dg.op(pool="warehouse")
def decide_held_prices(context: dg.OpExecutionContext, config: HeldPriceDecision,
                       warehouse: WarehouseResource) -> None:
    """Accept or reject the observations held back for these offers' price jumps."""
    from supplier_pipeline.lib.scraping.acceptance import decide_held_prices as decide

    try:
        decisions = decide(warehouse.get(), config.supplier_id, config.supplier_skus,
                           config.decision.value, config.decided_by, config.reason,
                           context.run_id)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from None
    _report(context, decisions)


@dg.op(pool="warehouse")
def accept_offer_counts(context: dg.OpExecutionContext, config: OfferCountDecision,
                        warehouse: WarehouseResource) -> None:
    """Accept partitions quarantined for their offer count: the new catalogue size stands."""
    from supplier_pipeline.lib.scraping.acceptance import accept_offer_counts as accept

    if config.mode not in ASSETS:
        raise dg.Failure(f"mode must be one of {', '.join(ASSETS)}, not {config.mode!r}")
    try:
        decisions = accept(warehouse.get(), config.supplier_id, config.mode,
                           [window_start(w) for w in config.windows], config.decided_by,
                           config.reason, context.run_id)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from None
    _report(context, decisions)


@dg.job(description="A person accepts (or rejects) observations held back for an implausible "
                    "price jump; recorded in raw.gate_decisions.")
def decide_held_prices_job():
    decide_held_prices()


@dg.job(description="A person accepts a new catalogue size at once: partitions quarantined "
                    "for their offer count flow on; recorded in raw.gate_decisions.")
def accept_offer_counts_job():
    accept_offer_counts()
