"""Scrape assets: prices and stock every 4 hours, the full catalogue once a day, per supplier."""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from supplier_pipeline.defs.partitions import supplier_catalog_days, supplier_price_windows
from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource
from supplier_pipeline.lib.scraping.quality import GatePolicy

GATE_CHECKS = [
    ("offers_present", True), ("offer_count_near_last_good_run", True),
    ("offers_have_parsed_price", True), ("supplier_skus_unique", True),
    ("stock_mostly_known", False), ("price_jumps_plausible", False),
]


class ScrapeConfig(dg.Config):
    observed_at: str | None = None
    """Record observations at this ISO time instead of now (replaying the demo market)."""
    price_jump_factor: float = Field(default=GatePolicy.price_jump_factor, gt=1.0)
    """Hold back an offer's observation priced above ×factor or below ÷factor of its last
    accepted price, until a person accepts it or `confirm_runs` runs confirm it."""
    confirm_runs: int = Field(default=GatePolicy.confirm_runs, ge=1)
    """Consecutive runs (this one included) that must show a new offer count or a new price
    before it is accepted without a decision (decide_held_prices_job,
    accept_offer_counts_job)."""


def _check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=key, blocking=blocking) for name, blocking in GATE_CHECKS]


def _scrape_partition(context: dg.AssetExecutionContext, mode: str, config: ScrapeConfig,
                      suppliers: SuppliersResource, warehouse: WarehouseResource):
    # The scraping stack (httpx, parsel, extruct, Playwright) loads when a scrape runs.
    from supplier_pipeline.lib.scraping.acceptance import gate_history, judge, recent_decisions
    from supplier_pipeline.lib.scraping.quality import gate, status_of
    from supplier_pipeline.lib.scraping.safety import redact_text
    from supplier_pipeline.lib.scraping.scrape import ScrapeResult, scrape
    from supplier_pipeline.lib.scraping.store import store_scrape

    keys = context.partition_key.keys_by_dimension
    supplier_id = keys["supplier"]
    window = context.partition_time_window
    window_start = window.start
    observed_at = datetime.fromisoformat(config.observed_at) if config.observed_at else None
    moment = observed_at or datetime.now(UTC)
    if moment > window.end + (window.end - window.start):
        # A shop shows its prices of now: filed under a past window they would rewrite history.
        raise dg.Failure(f"{supplier_id} {mode}: the window from {window_start:%Y-%m-%d %H:%M} "
                         f"is over; a scrape sees the shop as it is now and cannot fill a past "
                         f"window (nothing was stored). Scrape the window in progress instead.")
    store = warehouse.get()
    try:
        result = scrape(suppliers.config(supplier_id), mode, observed_at=observed_at)
    except Exception as exc:  # whatever it was, the partition ends with its failed row
        reason = redact_text(f"{type(exc).__name__}: {exc}")
        context.log.error(f"{supplier_id} {mode}: the scrape could not run: {reason}")
        result = ScrapeResult(supplier_id, mode, error=reason)
    policy = GatePolicy(config.price_jump_factor, config.confirm_runs)
    history = gate_history(store, supplier_id, mode, window_start, policy)
    verdict = judge(supplier_id, mode, result.observations, history, policy)
    checks = gate(result.observations, result.error, history.last_good_count, verdict.held,
                  policy, verdict.size_confirmed_by)
    status, reason = status_of(checks, result.error)
    held, decisions = verdict.outcome(status)
    if status == "ok" and verdict.size_confirmed_by:
        reason = f"new offer count confirmed by {verdict.size_confirmed_by} consecutive runs"
    kept = store_scrape(store, result, window_start, context.run_id, status, reason, held,
                        decisions)
    if kept:
        context.log.warning(f"{supplier_id} {mode} {window_start:%Y-%m-%d %H:%M}: this re-run "
                            f"{status} ({reason}); the window's good result (run {kept[:8]}) "
                            "is kept.")
        reason = f"{reason}; the earlier good result of run {kept[:8]} is kept"
    elif status != "ok":
        context.log.warning(f"{supplier_id} {mode} {window_start:%Y-%m-%d %H:%M}: {status}: "
                            f"{reason}. Downstream keeps using the last good data.")
    if held:
        context.log.warning(f"{supplier_id} {mode}: {len(held)} implausible price(s) held back "
                            "(decide_held_prices_job accepts or rejects them): "
                            + "; ".join(f"{j.supplier_sku} {j.reason}" for j in held[:5]))
    for decision in decisions:
        context.log.info(f"{supplier_id} {mode} {decision.window_start:%Y-%m-%d %H:%M} "
                         f"{decision.kind} {decision.supplier_sku or ''} {decision.decision}: "
                         f"{decision.reason}")
    priced = sum(o.price_net is not None for o in result.observations)
    yield dg.MaterializeResult(metadata={
        "supplier": supplier_id,
        "status": status,
        "reason": reason or "",
        "offers": len(result.observations),
        "priced_offers": priced,
        "requests": len(result.fetches),
        "fetch_outcomes": dg.MetadataValue.json(result.outcome_counts()),
        "held_back": len(held),
        "held_back_offers": dg.MetadataValue.md(_table(
            ["sku", "price", "last accepted", "factor"],
            [(j.supplier_sku, j.price_net, j.last_accepted_price, f"{j.factor:.4g}")
             for j in held[:20]])),
        "gate_decisions": dg.MetadataValue.md(_decisions_table(
            recent_decisions(store, supplier_id))),
        "preview": dg.MetadataValue.md(_preview(result.observations)),
    })
    for check in checks:
        yield dg.AssetCheckResult(check_name=check.name, passed=check.passed,
                                  description=check.description, metadata=check.metadata,
                                  severity=dg.AssetCheckSeverity.ERROR if check.blocking
                                  else dg.AssetCheckSeverity.WARN)


def _table(header: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "none"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows])


def _decisions_table(frame) -> str:
    """The supplier's latest gate decisions (raw.gate_decisions), newest first."""
    if frame is None or frame.empty:
        return "none yet"
    return _table(["decided at", "mode", "kind", "window", "sku", "decision", "by", "reason"],
                  [(f"{r.decided_at:%Y-%m-%d %H:%M}", r.mode, r.kind,
                    f"{r.window_start:%Y-%m-%d %H:%M}", r.supplier_sku or "", r.decision,
                    r.decided_by, r.reason) for r in frame.itertuples()])


def _preview(observations: list, rows: int = 10) -> str:
    lines = ["| sku | title | net | stock |", "|---|---|---|---|"]
    for o in observations[:rows]:
        lines.append(f"| {o.supplier_sku} | {(o.title or '')[:50]} | {o.price_net} | "
                     f"{o.stock_state} {o.stock_qty if o.stock_qty is not None else ''} |")
    return "\n".join(lines)


@dg.asset(
    key=["raw", "supplier_offers"],
    partitions_def=supplier_price_windows,
    check_specs=_check_specs(dg.AssetKey(["raw", "supplier_offers"])),
    group_name="scrape",
    kinds={"python", "httpx"},
    pool="warehouse",
)
def supplier_offers(context: dg.AssetExecutionContext, config: ScrapeConfig,
                    suppliers: SuppliersResource, warehouse: WarehouseResource):
    """Prices and stock of one supplier's offers in one 4-hour window, with its quality gate."""
    yield from _scrape_partition(context, "prices", config, suppliers, warehouse)


@dg.asset(
    key=["raw", "supplier_catalog"],
    partitions_def=supplier_catalog_days,
    check_specs=_check_specs(dg.AssetKey(["raw", "supplier_catalog"])),
    group_name="scrape",
    kinds={"python", "httpx"},
    pool="warehouse",
)
def supplier_catalog(context: dg.AssetExecutionContext, config: ScrapeConfig,
                     suppliers: SuppliersResource, warehouse: WarehouseResource):
    """One supplier's full catalogue with product details (brand, model, grade, EAN), daily."""
    yield from _scrape_partition(context, "catalog", config, suppliers, warehouse)


@dg.asset(key=["raw", "suppliers"], group_name="scrape", kinds={"python", "yaml"},
          pool="warehouse")
def supplier_registry(context: dg.AssetExecutionContext, suppliers: SuppliersResource,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The configured suppliers and their purchasing terms (lead time, shipping)."""
    from supplier_pipeline.lib.scraping.safety import redact_url  # a base URL may hold a key
    from supplier_pipeline.lib.warehouse import Slice

    files = suppliers.files()
    rows = [{"supplier_id": c.id, "supplier_name": c.name, "engine": c.engine,
             "base_url": redact_url(c.base_url), "lead_time_days": c.purchasing.lead_time_days,
             "shipping_fee": c.purchasing.shipping_fee,
             "free_shipping_above": c.purchasing.free_shipping_above,
             "min_order_value": c.purchasing.min_order_value,
             "handling_fee": c.purchasing.handling_fee}
            for c in files.configs.values()]
    terms = [{"supplier_id": c.id, "category": category,
              "min_order_quantity": t.min_order_quantity, "order_multiple": t.order_multiple}
             for c in files.configs.values()
             for category, t in [(None, c.purchasing.order_terms),
                                 *c.purchasing.category_order_terms.items()]]
    warehouse.get().replace_slices([Slice("raw.suppliers", rows, {}),
                                    Slice("raw.supplier_order_terms", terms, {})])
    for problem in files.problems:
        context.log.warning(f"supplier file skipped: {problem}")
    return dg.MaterializeResult(metadata={
        "suppliers": len(rows), "ids": ", ".join(r["supplier_id"] for r in rows),
        "skipped supplier files": dg.MetadataValue.md(files.problems_table())})


scrape_logs = [
    dg.AssetSpec(["raw", "supplier_order_terms"], deps=[supplier_registry], group_name="scrape",
                 kinds={"python"},
                 description="Each supplier's minimum order quantity and order multiple, per "
                             "category (written with raw/suppliers from the supplier files)."),
    dg.AssetSpec(["raw", "scrape_runs"], deps=[supplier_offers, supplier_catalog],
                 group_name="scrape", kinds={"python"},
                 description="Gate status of every scrape partition (written by the scrapes)."),
    dg.AssetSpec(["raw", "fetch_log"], deps=[supplier_offers, supplier_catalog],
                 group_name="scrape", kinds={"python"},
                 description="One row per request and its outcome (written by the scrapes)."),
    dg.AssetSpec(["raw", "held_observations"], deps=[supplier_offers, supplier_catalog],
                 group_name="scrape", kinds={"python"},
                 description="Observations held back for an implausible price jump, and how "
                             "each was resolved (written by the scrapes and decision jobs)."),
    dg.AssetSpec(["raw", "gate_decisions"], deps=[supplier_offers, supplier_catalog],
                 group_name="scrape", kinds={"python"},
                 description="Every acceptance of what the quality gate held back: a "
                             "person's decision or the runs' confirmation."),
]
