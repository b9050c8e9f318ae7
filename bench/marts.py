"""Warehouse benchmark: price history from millions of observations.

Builds a synthetic history (suppliers x offers x 6 scrapes a day x days, about 2 % of offers
changing price per scrape), then reports: the time of dbt building the history marts from
scratch, the time after one new 4-hour partition lands, the warehouse size, and the time of one
hand-written DuckDB statement that computes the same change periods (the floor).

Run: `.venv/bin/python -m bench.marts [--offers 10000 --days 33] [--postgres DSN]`
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from supplier_pipeline.lib.tables import TABLES
from supplier_pipeline.lib.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
SUPPLIERS = 5
SELECT = "+fct_price_history +fct_stock_history +fct_offer_changes"

GENERATE = """
create or replace table raw.supplier_offers as
with windows as (
    select range as w from range({windows})
), offers as (
    select s, o from range({suppliers}) t(s), range({offers}) u(o)
)
select
    'supplier_' || s as supplier_id,
    timestamptz '2026-10-01 00:00:00+00' + w * interval 4 hour as window_start,
    'run-' || w as run_id,
    'ok' as gate_status,
    'SKU' || o as supplier_sku,
    timestamptz '2026-10-01 00:05:00+00' + w * interval 4 hour as observed_at,
    'Part ' || o as title, null::varchar as url, null::varchar as price_text,
    -- a price level that changes in about 2 % of the scrapes of an offer
    cast(10 + (hash(s, o, w // 50) % 9000) / 100.0 as decimal(12, 2)) as price_net,
    cast((10 + (hash(s, o, w // 50) % 9000) / 100.0) * 1.22 as decimal(12, 2)) as price_gross,
    'EUR' as currency, cast(22 as decimal(5, 2)) as vat_rate, null::varchar as stock_text,
    case when hash(s, o, w // 30) % 10 = 0 then 'out' else 'in' end as stock_state,
    null::integer as stock_qty, null::varchar as brand, null::varchar as device_model,
    null::varchar as part_type, null::varchar as quality, null::varchar as colour,
    null::varchar as ean, null::varchar as mpn, null::integer as pack_size,
    null::varchar as problems, null::varchar as field_sources, null::varchar as price_breaks,
    timestamptz '2026-10-01 00:06:00+00' + w * interval 4 hour as loaded_at,
    null::date as backorder_until
from windows, offers
"""

FLOOR = """
create or replace temp table floor_periods as
with flagged as (
    select supplier_id, supplier_sku, observed_at, price_net,
           case when lag(price_net) over w is distinct from price_net then 1 else 0 end as starts
    from raw.supplier_offers where gate_status = 'ok'
    window w as (partition by supplier_id, supplier_sku order by observed_at)
), numbered as (
    select *, sum(starts) over (partition by supplier_id, supplier_sku order by observed_at
                                rows unbounded preceding) as period
    from flagged
)
select supplier_id, supplier_sku, period, min(price_net) as price_net,
       min(observed_at) as valid_from, count(*) as observations
from numbered group by all
"""


def dbt(store: Warehouse, *args: str) -> float:
    env = {**os.environ, **store.dbt_environment(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--quiet"], check=True,
                   cwd=ROOT / "dbt_project", env=env)
    elapsed = time.perf_counter() - started
    if args[0] == "run":
        results = json.loads((ROOT / "dbt_project" / "target" / "run_results.json").read_text())
        models = ", ".join(f"{r['unique_id'].rsplit('.', 1)[-1]} {r['execution_time']:.1f}"
                           for r in results["results"])
        print(f"  dbt {' '.join(args)}: {elapsed:.1f} s ({models})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=10_000, help="offers per supplier")
    parser.add_argument("--days", type=int, default=33)
    parser.add_argument("--postgres", help="also run on this PostgreSQL DSN (an empty database)")
    args = parser.parse_args()
    windows = args.days * 6
    folder = Path(tempfile.mkdtemp(prefix="bench-marts-"))
    path = folder / "warehouse.duckdb"
    store = Warehouse(None, path)
    with store.connect() as connection:
        store.ensure_tables(connection, list(TABLES))
        started = time.perf_counter()
        connection.execute(GENERATE.format(windows=windows, suppliers=SUPPLIERS,
                                           offers=args.offers))
        rows = connection.execute("select count(*) from raw.supplier_offers").fetchone()[0]
        print(f"{rows:,} observations generated in {time.perf_counter() - started:.1f} s")
    dbt(store, "seed")
    full = dbt(store, "run", "--select", SELECT)
    with duckdb.connect(str(path)) as connection:
        started = time.perf_counter()
        connection.execute(FLOOR)
        floor = time.perf_counter() - started
        periods = connection.execute("select count(*) from marts.fct_price_history").fetchone()[0]
        floor_periods = connection.execute("select count(*) from floor_periods").fetchone()[0]
        connection.execute(GENERATE.replace("create or replace table raw.supplier_offers as",
                                            "insert into raw.supplier_offers")
                           .replace("range({windows})", f"range({windows}, {windows + 1})")
                           .format(suppliers=SUPPLIERS, offers=args.offers))
    update = dbt(store, "run", "--select", SELECT)
    with duckdb.connect(str(path)) as connection:
        # supplier_0 re-runs a window from the middle of the history: its periods are rebuilt
        connection.execute(f"""
            update raw.supplier_offers set loaded_at = now(), run_id = 'rerun'
            where supplier_id = 'supplier_0' and window_start = (
                select min(window_start) + {windows // 2} * interval 4 hour
                from raw.supplier_offers)""")
    rerun = dbt(store, "run", "--select", SELECT)
    with duckdb.connect(str(path)) as connection:
        connection.execute(FLOOR)
        periods = connection.execute("select count(*) from marts.fct_price_history").fetchone()[0]
        floor_periods = connection.execute("select count(*) from floor_periods").fetchone()[0]
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"DuckDB: full build {full:.1f} s, after one new 4-hour partition {update:.1f} s, "
          f"after a re-run of an old window {rerun:.1f} s, floor (one hand-written "
          f"statement) {floor:.1f} s, warehouse {size:.0f} MB")
    print(f"        price periods after both updates: dbt {periods:,}, floor {floor_periods:,}")
    if args.postgres:
        pg = Warehouse(args.postgres)
        with pg.connect() as connection:
            pg.ensure_tables(connection, list(TABLES))
        started = time.perf_counter()
        export = folder / "offers.csv"
        with duckdb.connect(str(path)) as connection:
            connection.execute(f"copy raw.supplier_offers to '{export}' (header)")
        with pg.connect() as connection, export.open() as handle:
            columns = ", ".join(name for name, _ in TABLES["raw.supplier_offers"])
            connection.cursor().copy_expert(
                f"copy raw.supplier_offers ({columns}) from stdin with csv header", handle)
        print(f"PostgreSQL: loaded in {time.perf_counter() - started:.1f} s")
        dbt(pg, "seed")
        full_pg = dbt(pg, "run", "--select", SELECT)
        with pg.connect() as connection:
            # the next window: every offer seen again 4 hours after the last one
            connection.cursor().execute("""
                insert into raw.supplier_offers
                select supplier_id, window_start + interval '4 hours', 'next', gate_status,
                       supplier_sku, observed_at + interval '4 hours', title, url, price_text,
                       price_net, price_gross, currency, vat_rate, stock_text, stock_state,
                       stock_qty, brand, device_model, part_type, quality, colour, ean, mpn,
                       pack_size, problems, field_sources, price_breaks, now(),
                       backorder_until
                from raw.supplier_offers
                where window_start = (select max(window_start) from raw.supplier_offers)""")
        update_pg = dbt(pg, "run", "--select", SELECT)
        size_pg = pg.read("select pg_database_size(current_database()) as b")["b"].iloc[0] / 2**20
        print(f"PostgreSQL: full build {full_pg:.1f} s, after one new 4-hour partition "
              f"{update_pg:.1f} s, warehouse {size_pg:.0f} MB")


if __name__ == "__main__":
    main()
