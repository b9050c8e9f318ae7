"""Land one scrape partition in the warehouse: observations, fetch log and the partition's
gate status, replaced together in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from supplier_pipeline.lib.scraping.records import FETCH_COLUMNS
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.warehouse import Slice, Warehouse

OBSERVATION_TABLE = {"prices": "raw.supplier_offers", "catalog": "raw.supplier_catalog"}


def last_good_run(warehouse: Warehouse, supplier_id: str, mode: str,
                  before: datetime) -> tuple[int | None, dict[str, Decimal]]:
    """Offer count and prices of the supplier's latest accepted partition before `before`."""
    if not warehouse.table_exists("raw.scrape_runs"):
        return None, {}
    runs = warehouse.read(
        "select window_start, offers from raw.scrape_runs where supplier_id = ? and mode = ? "
        "and status = 'ok' and window_start < ? order by window_start desc limit 1",
        [supplier_id, mode, before])
    if runs.empty:
        return None, {}
    window = runs["window_start"].iloc[0]
    prices = warehouse.read(
        f"select supplier_sku, price_net from {OBSERVATION_TABLE[mode]} "
        "where supplier_id = ? and window_start = ? and price_net is not null",
        [supplier_id, window.to_pydatetime()])
    return int(runs["offers"].iloc[0]), {
        r.supplier_sku: Decimal(str(r.price_net)) for r in prices.itertuples()}


def store_scrape(warehouse: Warehouse, result: ScrapeResult, window_start: datetime,
                 run_id: str, status: str, reason: str | None) -> None:
    key = {"supplier_id": result.supplier_id, "window_start": window_start}
    loaded_at = datetime.now(UTC)
    observations = [{**o.as_row(), "window_start": window_start, "run_id": run_id,
                     "gate_status": status, "loaded_at": loaded_at}
                    for o in result.observations]
    fetches = [{**{c: getattr(f, c) for c in FETCH_COLUMNS}, "outcome": f.outcome.value,
                "window_start": window_start, "mode": result.mode, "run_id": run_id}
               for f in result.fetches]
    run = {**key, "mode": result.mode, "run_id": run_id, "status": status, "reason": reason,
           "offers": len(observations), "finished_at": datetime.now(UTC)}
    warehouse.replace_slices([
        Slice(OBSERVATION_TABLE[result.mode], observations, key),
        Slice("raw.fetch_log", fetches, {**key, "mode": result.mode}),
        Slice("raw.scrape_runs", [run], {**key, "mode": result.mode}),
    ])
