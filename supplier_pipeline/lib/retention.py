"""Retention of raw observations: old scrape rows that only repeat what is known are removed.

The price and stock history say what the scrapes said, so an old observation that repeats the
previous *and* the next observation of the same offer, with every value identical, adds nothing
a mart reads except a count. Compaction removes exactly those rows when they are older than
`RAW_RETENTION_DAYS`, from the accepted (`gate_status = 'ok'`) rows of `raw.supplier_offers`
and `raw.supplier_catalog`. It keeps:

- the first and the last observation of every unchanged run of an offer, so every period of
  fct_price_history / fct_stock_history keeps its `valid_from` and `last_observed_at`, an offer
  keeps its first and last sighting, and the latest row of an offer (mart_best_offer, matching,
  descriptions) is never touched;
- runs cut at week boundaries (`date_trunc('week')` in the session's time zone, as the marts'
  `week_of` does), so mart_supplier_performance still finds each offer's last price of a week;
- one row of every accepted scrape, so the supplier's scrape times stay (the `gone_at` of
  an offer that went missing, the gaps between scrapes);
- the supplier's latest accepted partition whatever its age: the quality gate compares a new
  scrape with it.

Quarantined and failed partitions are never compacted: they are kept for inspection.
A rebuild of the marts from compacted rows therefore gives the same rows, except two counts
over raw rows: `observations` of a period older than the retention age counts the rows kept
(at least its first and last), and `in_stock_share` of an old week in
mart_supplier_performance is the share among the rows kept.

Each (table, supplier, week) is one short transaction, so scrapes and dbt are never held up
for long, and the rule depends only on rows of the same week, which makes it idempotent.

The fetch log (`raw.fetch_log`, one row per request: more rows than observations, since a
catalogue sync reads every product page) is for finding out what a run met; no mart reads
it. Its windows older than `FETCH_LOG_RETENTION_DAYS` (90 unless set; `keep` keeps all) are
deleted whole, a day per transaction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from supplier_pipeline.lib.tables import OBSERVATION_COLUMNS
from supplier_pipeline.lib.warehouse import Warehouse

RETENTION_VARIABLE = "RAW_RETENTION_DAYS"
FETCH_LOG_VARIABLE = "FETCH_LOG_RETENTION_DAYS"
FETCH_LOG_DEFAULT_DAYS = 90
FETCH_LOG = "raw.fetch_log"
OBSERVATION_TABLES = ("raw.supplier_offers", "raw.supplier_catalog")
# Where and when a row was recorded, not what the shop said: these may differ in a repeat.
PROVENANCE = {"supplier_id", "window_start", "run_id", "gate_status", "supplier_sku",
              "observed_at", "loaded_at"}
VALUES = [name for name, _ in OBSERVATION_COLUMNS if name not in PROVENANCE]


@dataclass(frozen=True)
class TableCompaction:
    table: str
    rows_before: int
    removed: int


def retention_days(environ: Mapping[str, str] = os.environ) -> int | None:
    """The age in days beyond which repeats are compacted; None (keep everything) if unset."""
    value = environ.get(RETENTION_VARIABLE, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{RETENTION_VARIABLE} is {value!r}: use a whole number of days")
    return int(value)


def fetch_log_days(environ: Mapping[str, str] = os.environ) -> int | None:
    """The age in days beyond which the fetch log's windows are deleted; None keeps them."""
    value = environ.get(FETCH_LOG_VARIABLE, "").strip().lower()
    if not value:
        return FETCH_LOG_DEFAULT_DAYS
    if value == "keep":
        return None
    if not value.isdigit():
        raise ValueError(f"{FETCH_LOG_VARIABLE} is {value!r}: use a whole number of days "
                         "or `keep`")
    return int(value)


def prune_fetch_log(warehouse: Warehouse, older_than_days: int, dry_run: bool = False,
                    now: datetime | None = None) -> TableCompaction:
    """Delete (or, with `dry_run`, count) the fetch log's windows that started more than
    `older_than_days` ago: per supplier, a day of windows per transaction (a range its
    (supplier_id, window_start) index serves)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    with warehouse.connect() as connection:
        warehouse.ensure_tables(connection, [FETCH_LOG])
    rows_before = _scalar(warehouse, f"select count(*) from {FETCH_LOG}")
    oldest = warehouse.read(f"select supplier_id, min(window_start) as oldest from {FETCH_LOG} "
                            "where window_start < ? group by supplier_id", [cutoff])
    removed = 0
    for supplier_id, first in zip(oldest["supplier_id"], oldest["oldest"], strict=True):
        day = datetime.combine(_as_date(first.to_pydatetime().astimezone(UTC)), time(), UTC)
        while day < cutoff:
            where = "where supplier_id = ? and window_start >= ? and window_start < ?"
            params = [supplier_id, day, min(day + timedelta(days=1), cutoff)]
            with warehouse.connect() as connection:
                found = warehouse.execute(connection, f"select count(*) from {FETCH_LOG} "
                                          f"{where}", params).fetchone()[0]
                if found and not dry_run:
                    warehouse.execute(connection, f"delete from {FETCH_LOG} {where}", params)
            removed += int(found)
            day += timedelta(days=1)
    return TableCompaction(FETCH_LOG, rows_before, removed)


# One row value per observation: a single lag/lead compares every column at once (null-safe,
# and null when there is no neighbour): two window computations instead of two per column.
SHOWN = f"row({', '.join(VALUES)})"
# The repeats of one supplier's week; parameters: supplier, two prefilter bounds (a range
# the (supplier_id, observed_at) index can serve), the week, the cutoff, the latest partition.
REPEATS = f"""
select row_id
from (
    select
        {{row_id}} as row_id, window_start, observed_at,
        lag({SHOWN}) over offer_week is not distinct from {SHOWN} as same_as_previous,
        lead({SHOWN}) over offer_week is not distinct from {SHOWN} as same_as_next,
        row_number() over (partition by observed_at order by supplier_sku) as scrape_rank
    from {{table}}
    where supplier_id = ? and gate_status = 'ok'
        and observed_at >= ? and observed_at < ?
        and cast(date_trunc('week', observed_at) as date) = ?
    window offer_week as (partition by supplier_sku order by observed_at)
) as week_rows
where observed_at < ? and window_start <> ? and scrape_rank > 1
    and same_as_previous and same_as_next
"""


def compact_raw(warehouse: Warehouse, older_than_days: int, dry_run: bool = False,
                now: datetime | None = None) -> list[TableCompaction]:
    """Remove (or, with `dry_run`, count) the repeats older than `older_than_days`."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    with warehouse.connect() as connection:
        warehouse.ensure_tables(connection, list(OBSERVATION_TABLES))
    return [_compact_table(warehouse, table, cutoff, dry_run) for table in OBSERVATION_TABLES]


def _compact_table(warehouse: Warehouse, table: str, cutoff: datetime,
                   dry_run: bool) -> TableCompaction:
    rows_before = _scalar(warehouse, f"select count(*) from {table}")
    latest = warehouse.read(
        f"select supplier_id, max(window_start) as latest from {table} "
        "where gate_status = 'ok' group by supplier_id")
    removed = 0
    for supplier_id, latest_window in zip(latest["supplier_id"], latest["latest"], strict=True):
        weeks = warehouse.read(
            f"select distinct cast(date_trunc('week', observed_at) as date) as week "
            f"from {table} where supplier_id = ? and gate_status = 'ok' and observed_at < ? "
            "order by week", [supplier_id, cutoff])
        for week in weeks["week"]:
            removed += _compact_week(warehouse, table, supplier_id, _as_date(week), cutoff,
                                     latest_window.to_pydatetime(), dry_run)
    return TableCompaction(table, rows_before, removed)


def _compact_week(warehouse: Warehouse, table: str, supplier_id: str, week: date,
                  cutoff: datetime, latest_window: datetime, dry_run: bool) -> int:
    # A local week starts within a day of the UTC midnight of its date.
    start = datetime.combine(week, time(), UTC)
    params = [supplier_id, start - timedelta(days=1), start + timedelta(days=8), week, cutoff,
              latest_window]
    # Rows are deleted by their physical id: PostgreSQL fetches each one directly (a TID scan)
    # instead of searching its window's partition for every repeat.
    if warehouse.dsn:
        repeats = REPEATS.format(table=table, row_id="ctid")
        delete = f"delete from {table} where ctid = any(array({repeats}))"
    else:
        repeats = REPEATS.format(table=table, row_id="rowid")
        delete = f"delete from {table} where rowid in ({repeats})"
    with warehouse.connect() as connection:
        found = warehouse.execute(connection, f"select count(*) from ({repeats}) as r",
                                   params).fetchone()[0]
        if found and not dry_run:
            warehouse.execute(connection, delete, params)
    return int(found)


def warehouse_bytes(warehouse: Warehouse) -> int:
    """The warehouse's size on disk: the database on PostgreSQL, the file and its log on DuckDB.
    Space freed by a compaction is reused by later writes; neither backend shrinks at once."""
    if warehouse.dsn:
        return _scalar(warehouse, "select pg_database_size(current_database())")
    path = warehouse.duckdb_path
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal"))
               if p.exists())


def _scalar(warehouse: Warehouse, sql: str) -> int:
    return int(warehouse.read(sql).iloc[0, 0])


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value
