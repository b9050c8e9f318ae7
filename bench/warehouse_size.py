"""Warehouse size per year, measured: bytes per raw observation and per mart row on DuckDB (and
PostgreSQL with --postgres), before and after compaction, scaled to 5 suppliers x 10,000 offers
x 6 scrapes a day.

The sample is shaped like real scrapes: every text column filled as the scrapers fill it
(title, URL, price and stock text, attributes, EAN, field sources), a price that changes in 2 %
of an offer's scrapes (about every 8 days) and a stock state that changes in 3 % (every 5-6
days), each offer on its own schedule; quantities are not shown (most shops show words).

Run: `.venv/bin/python -m bench.warehouse_size [--offers 2000 --days 28] [--postgres DSN]`
(DSN: an empty database).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from supplier_pipeline.lib.retention import compact_raw
from supplier_pipeline.lib.tables import TABLES
from supplier_pipeline.lib.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
SUPPLIERS, OFFERS, SCRAPES_A_DAY = 5, 10_000, 6
RETENTION_DAYS = (30, 90)
HISTORY = ("fct_price_history", "fct_stock_history", "fct_offer_changes")
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday

GENERATE = """
insert into raw.supplier_offers
with windows as (select range as w from range({windows})),
offers as (select s, o, hash(s, o) as h from range({suppliers}) t(s), range({offers}) u(o)),
shown as (
    select s, o, w,
           10 + ((hash(s, o, (w + h % 50) // 50) % 9000) / 100.0) as price,
           case when hash(s, o, (w + h % 33) // 33) % 4 = 0 then 'out' else 'in' end as stock
    from windows, offers
)
select
    'supplier_' || s, timestamptz '{start}' + w * interval 4 hour, 'run-' || w, 'ok',
    'RI-' || lpad(o::varchar, 6, '0'),
    timestamptz '{start}' + w * interval 4 hour + interval 7 minute,
    'Display LCD + Touch per iPhone ' || (11 + o % 5) || ' Pro Nero Qualità OEM Grade A',
    'https://shop-' || s || '.example.com/ricambi/display-lcd-touch-iphone-' || (11 + o % 5)
        || '-pro-nero-oem-' || o || '.html',
    '€ ' || replace(cast(cast(price * 1.22 as decimal(12, 2)) as varchar), '.', ','),
    cast(price as decimal(12, 2)), cast(price * 1.22 as decimal(12, 2)), 'EUR', 22.00,
    case when stock = 'in' then 'Disponibile, spedizione in 24h' else 'Esaurito' end,
    stock, null, 'Apple', 'iPhone ' || (11 + o % 5) || ' Pro', 'display', 'oem', 'black',
    cast(8050000000000 + s * 100000 + o as varchar), 'MPN-' || o, 1, null,
    '{{"colour": "title", "ean": "json-ld", "price": "css:.price-box .price", '
        || '"stock": "css:.availability", "title": "json-ld"}}', null,
    timestamptz '{start}' + w * interval 4 hour + interval 9 minute, null
from shown
"""


def dbt(store: Warehouse, *args: str) -> None:
    env = {**os.environ, **store.dbt_environment(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--quiet"], check=True,
                   cwd=ROOT / "dbt_project", env=env)


def count(store: Warehouse, table: str) -> int:
    return int(store.read(f"select count(*) as n from {table}")["n"].iloc[0])


def duckdb_table_bytes(source: Path, tables: list[str], folder: Path) -> int:
    """The bytes these tables take alone in a fresh file: deleted rows leave no trace there."""
    copy = folder / f"alone-{time.monotonic_ns()}.duckdb"
    with duckdb.connect(str(copy)) as connection:
        connection.execute(f"attach '{source}' as source (read_only)")
        for number, table in enumerate(tables):
            connection.execute(f"create table t{number} as select * from source.{table}")
        connection.execute("checkpoint")
    size = copy.stat().st_size
    empty = folder / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    return size - empty.stat().st_size


def postgres_table_bytes(store: Warehouse, tables: list[str]) -> int:
    """Heap, TOAST and indexes (measured after VACUUM FULL: no space held by deleted rows)."""
    return sum(int(store.read(f"select pg_total_relation_size('{table}') as b")["b"].iloc[0])
               for table in tables)


def vacuum_full(dsn: str, table: str) -> None:
    import psycopg2

    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    connection.cursor().execute(f"vacuum full analyze {table}")
    connection.close()


def measure(store: Warehouse, folder: Path, end: datetime) -> dict[str, float]:
    history = [f"marts.{name}" for name in HISTORY]
    dbt(store, "seed")
    dbt(store, "run", "--select", "+" + " +".join(HISTORY))
    raw_rows = count(store, "raw.supplier_offers")
    mart_rows = sum(count(store, t) for t in history)
    if store.dsn:
        vacuum_full(store.dsn, "raw.supplier_offers")
        raw_bytes = postgres_table_bytes(store, ["raw.supplier_offers"])
        mart_bytes = postgres_table_bytes(store, history)
    else:
        raw_bytes = duckdb_table_bytes(store.duckdb_path, ["raw.supplier_offers"], folder)
        mart_bytes = duckdb_table_bytes(store.duckdb_path, history, folder)
    started = time.perf_counter()
    removed = compact_raw(store, 0, now=end)[0].removed
    seconds = time.perf_counter() - started
    if store.dsn:
        vacuum_full(store.dsn, "raw.supplier_offers")
        kept_bytes = postgres_table_bytes(store, ["raw.supplier_offers"])
    else:
        kept_bytes = duckdb_table_bytes(store.duckdb_path, ["raw.supplier_offers"], folder)
    return {"raw_rows": raw_rows, "raw_bytes": raw_bytes, "mart_rows": mart_rows,
            "mart_bytes": mart_bytes, "kept_rows": raw_rows - removed, "kept_bytes": kept_bytes,
            "compaction_seconds": seconds}


def report(backend: str, m: dict[str, float], offers: int, days: int) -> None:
    per_raw = m["raw_bytes"] / m["raw_rows"]
    per_kept = m["kept_bytes"] / m["kept_rows"]
    kept_share = m["kept_rows"] / m["raw_rows"]
    per_mart = m["mart_bytes"] / m["mart_rows"]
    year_rows = SUPPLIERS * OFFERS * SCRAPES_A_DAY * 365
    catalog_rows = SUPPLIERS * OFFERS * 365  # the daily catalogue sync, same row shape
    # periods and events grow with offers and time
    mart_rows_a_year = m["mart_rows"] * (OFFERS / offers) * (365 / days)
    marts = mart_rows_a_year * per_mart
    print(f"\n{backend}: {per_raw:.0f} B per raw observation ({m['raw_rows']:,} in the sample), "
          f"{per_mart:.0f} B per history mart row; compaction keeps {kept_share:.1%} of the "
          f"rows ({per_kept:.0f} B each) in {m['compaction_seconds']:.1f} s")
    print(f"  a year, {SUPPLIERS} suppliers x {OFFERS:,} offers x {SCRAPES_A_DAY} scrapes a day:"
          f" {year_rows / 1e6:.1f} M observations + {catalog_rows / 1e6:.1f} M catalogue rows, "
          f"{mart_rows_a_year / 1e6:.1f} M history mart rows ({marts / 1e9:.1f} GB)")
    full = (year_rows + catalog_rows) * per_raw
    print(f"  raw without compaction: {full / 1e9:.1f} GB a year "
          f"(total with marts {(full + marts) / 1e9:.1f} GB)")
    for retention in RETENTION_DAYS:
        recent = retention / 365
        raw = (year_rows + catalog_rows) * (recent * per_raw
                                            + (1 - recent) * kept_share * per_kept)
        print(f"  raw with RAW_RETENTION_DAYS={retention}: {raw / 1e9:.1f} GB after the first "
              f"year, then {(year_rows + catalog_rows) * kept_share * per_kept / 1e9:.1f} GB "
              f"more a year (total with marts {(raw + marts) / 1e9:.1f} GB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=2_000, help="offers per supplier")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL DSN (empty database)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-size-"))
    end = START + timedelta(days=args.days)
    store = Warehouse(None, folder / "warehouse.duckdb")
    with store.connect() as connection:
        store.ensure_tables(connection, list(TABLES))
        connection.execute(GENERATE.format(windows=args.days * SCRAPES_A_DAY, start=START,
                                           suppliers=SUPPLIERS, offers=args.offers))
    print(f"sample: {SUPPLIERS} suppliers x {args.offers:,} offers x {args.days} days, "
          "price changes in 2 % and stock in 3 % of an offer's scrapes")
    if args.postgres:
        pg = Warehouse(args.postgres)
        with pg.connect() as connection:
            pg.ensure_tables(connection, list(TABLES))
        export = folder / "offers.csv"
        with duckdb.connect(str(store.duckdb_path)) as connection:
            connection.execute(f"copy raw.supplier_offers to '{export}' (header)")
        with pg.connect() as connection, export.open() as handle:
            columns = ", ".join(name for name, _ in TABLES["raw.supplier_offers"])
            connection.cursor().copy_expert(
                f"copy raw.supplier_offers ({columns}) from stdin with csv header", handle)
    report("DuckDB", measure(store, folder, end), args.offers, args.days)
    if args.postgres:
        report("PostgreSQL", measure(pg, folder, end), args.offers, args.days)


if __name__ == "__main__":
    main()
