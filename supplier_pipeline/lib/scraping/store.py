"""Land one scrape partition in the warehouse: observations, fetch log, the partition's gate
status, its held-back observations and the gate decisions it made, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from supplier_pipeline.lib.scraping.quality import GateDecision, PriceJump
from supplier_pipeline.lib.scraping.records import FETCH_COLUMNS
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.warehouse import Slice, Warehouse

OBSERVATION_TABLE = {"prices": "raw.supplier_offers", "catalog": "raw.supplier_catalog"}
HELD = "raw.held_observations"
DECISIONS = "raw.gate_decisions"
STILL_HELD = ("held", "rejected")  # statuses that keep an observation out of the marts


def last_good_run(warehouse: Warehouse, supplier_id: str, mode: str,
                  before: datetime) -> tuple[int | None, dict[str, Decimal]]:
    """Offer count of the supplier's latest accepted partition before `before`, and the last
    accepted price of each of its offers: an offer held back there keeps the price it was
    held against."""
    if not warehouse.table_exists("raw.scrape_runs"):
        return None, {}
    runs = warehouse.read(
        "select window_start, offers from raw.scrape_runs where supplier_id = ? and mode = ? "
        "and status = 'ok' and window_start < ? order by window_start desc limit 1",
        [supplier_id, mode, before])
    if runs.empty:
        return None, {}
    window = runs["window_start"].iloc[0].to_pydatetime()
    prices = warehouse.read(
        f"select supplier_sku, price_net from {OBSERVATION_TABLE[mode]} "
        "where supplier_id = ? and window_start = ? and price_net is not null",
        [supplier_id, window])
    accepted = {r.supplier_sku: Decimal(str(r.price_net)) for r in prices.itertuples()}
    if warehouse.table_exists(HELD):
        held = warehouse.read(
            f"select supplier_sku, last_accepted_price from {HELD} where supplier_id = ? "
            "and mode = ? and window_start = ? and status in (?, ?)",
            [supplier_id, mode, window, *STILL_HELD])
        accepted.update({r.supplier_sku: Decimal(str(r.last_accepted_price))
                         for r in held.itertuples()})
    return int(runs["offers"].iloc[0]), accepted


def store_scrape(warehouse: Warehouse, result: ScrapeResult, window_start: datetime,
                 run_id: str, status: str, reason: str | None,
                 held: Sequence[PriceJump] = (),
                 decisions: Sequence[GateDecision] = ()) -> str | None:
    """Replace the partition's rows (observations, fetch log, run, held observations) and
    apply the decisions its gate made about earlier partitions, all or nothing.

    A re-run that fails or is quarantined never replaces a partition that already passed:
    its requests are added to the fetch log and the good result stays; the good run's id is
    returned then (None when this run's result was stored)."""
    key = {"supplier_id": result.supplier_id, "window_start": window_start}
    if status != "ok":
        kept = _good_run(warehouse, key, result.mode)
        if kept:
            _log_fetches(warehouse, result, window_start, run_id)
            return kept
    loaded_at = datetime.now(UTC)
    observations = [{**o.as_row(), "window_start": window_start, "run_id": run_id,
                     "gate_status": status, "loaded_at": loaded_at}
                    for o in result.observations]
    fetches = [{**{c: getattr(f, c) for c in FETCH_COLUMNS}, "outcome": f.outcome.value,
                "window_start": window_start, "mode": result.mode, "run_id": run_id}
               for f in result.fetches]
    run = {**key, "mode": result.mode, "run_id": run_id, "status": status, "reason": reason,
           "offers": len(observations), "finished_at": datetime.now(UTC)}
    observed_at = {o.supplier_sku: o.observed_at for o in result.observations}
    held_rows = [{**key, "mode": result.mode, "run_id": run_id, "supplier_sku": j.supplier_sku,
                  "observed_at": observed_at.get(j.supplier_sku), "price_net": j.price_net,
                  "last_accepted_price": j.last_accepted_price, "jump_factor": j.factor,
                  "reason": j.reason, "status": "held", "held_at": loaded_at}
                 for j in held]
    slices = [
        Slice(OBSERVATION_TABLE[result.mode], observations, key),
        Slice("raw.fetch_log", fetches, {**key, "mode": result.mode}),
        Slice("raw.scrape_runs", [run], {**key, "mode": result.mode}),
        Slice(HELD, held_rows, {**key, "mode": result.mode}),
    ]
    prepare(warehouse, [s.table for s in slices] + [DECISIONS])
    with warehouse.connect() as connection:
        for piece in slices:
            condition = " and ".join(f"{column} = ?" for column in piece.where)
            warehouse.execute(connection, f"delete from {piece.table} where {condition}",
                              list(piece.where.values()))
            warehouse.insert(connection, piece.table, piece.rows)
        apply_decisions(warehouse, connection, decisions, loaded_at, run_id)


def _good_run(warehouse: Warehouse, key: dict, mode: str) -> str | None:
    if not warehouse.table_exists("raw.scrape_runs"):
        return None
    found = warehouse.read("select run_id from raw.scrape_runs where supplier_id = ? and "
                           "window_start = ? and mode = ? and status = 'ok'",
                           [key["supplier_id"], key["window_start"], mode])
    return None if found.empty else str(found["run_id"].iloc[0])


def _log_fetches(warehouse: Warehouse, result: ScrapeResult, window_start: datetime,
                 run_id: str) -> None:
    fetches = [{**{c: getattr(f, c) for c in FETCH_COLUMNS}, "outcome": f.outcome.value,
                "window_start": window_start, "mode": result.mode, "run_id": run_id}
               for f in result.fetches]
    warehouse.append("raw.fetch_log", fetches)


def prepare(warehouse: Warehouse, tables: Sequence[str]) -> None:
    """Create what is missing before the write, so the write transaction holds row changes
    only."""
    with warehouse.connect() as connection:
        warehouse.ensure_tables(connection, tables)


def apply_decisions(warehouse: Warehouse, connection: Any, decisions: Sequence[GateDecision],
                    decided_at: datetime, run_id: str) -> None:
    """Release (or reject) what the decisions name, inside the caller's transaction, and
    record them in raw.gate_decisions.

    A released observation's `loaded_at` becomes the decision's time: the incremental marts
    look for rows loaded since their last build, and finding an old window among them they
    rebuild the supplier's history, so the accepted observation takes its place in time.
    """
    for d in decisions:
        table = OBSERVATION_TABLE[d.mode]
        where = [d.supplier_id, d.mode, d.window_start]
        if d.kind == "price_jump":
            status = ("rejected" if d.decision == "rejected"
                      else "accepted" if d.basis == "person" else "confirmed")
            warehouse.execute(
                connection, f"update {HELD} set status = ?, resolved_at = ? where "
                "supplier_id = ? and mode = ? and window_start = ? and supplier_sku = ? "
                "and status = 'held'", [status, decided_at, *where, d.supplier_sku])
            if d.decision == "accepted":
                warehouse.execute(
                    connection, f"update {table} set loaded_at = ? where supplier_id = ? "
                    "and window_start = ? and supplier_sku = ?",
                    [decided_at, d.supplier_id, d.window_start, d.supplier_sku])
        elif d.kind == "offer_count" and d.decision == "accepted":
            note = (f"accepted by {d.decided_by}: {d.reason}" if d.basis == "person"
                    else d.reason)
            warehouse.execute(
                connection, "update raw.scrape_runs set status = 'ok', reason = ? where "
                "supplier_id = ? and mode = ? and window_start = ?", [note, *where])
            warehouse.execute(
                connection, f"update {table} set gate_status = 'ok', loaded_at = ? "
                "where supplier_id = ? and window_start = ?",
                [decided_at, d.supplier_id, d.window_start])
    warehouse.insert(connection, DECISIONS, [d.as_row(decided_at, run_id) for d in decisions])
