"""fct_price_history from a scripted sequence of scrape partitions: one arrives out of order,
one is re-run with a corrected price, one is quarantined. Every period is checked, on DuckDB and
on PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from supplier_pipeline.lib.scraping.records import Observation
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.scraping.store import store_scrape
from supplier_pipeline.lib.warehouse import Warehouse

T0 = datetime(2026, 11, 2, tzinfo=UTC)


def window(n: int) -> datetime:
    return T0 + timedelta(hours=4 * n)


def scrape_partition(store: Warehouse, n: int, prices: dict[str, str], status: str = "ok",
                     run_id: str = "run") -> None:
    moment = window(n) + timedelta(minutes=5)
    observations = [Observation("s", sku, moment, title=sku, price_net=Decimal(p),
                                price_gross=Decimal(p) * Decimal("1.22"), currency="EUR",
                                stock_state="in") for sku, p in prices.items()]
    result = ScrapeResult("s", "prices", observations, [])
    store_scrape(store, result, window(n), f"{run_id}-{n}", status,
                 None if status == "ok" else "failed checks: offers_have_parsed_price")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "w.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def at(n: int) -> pd.Timestamp:
    return pd.Timestamp(window(n) + timedelta(minutes=5))


SEQUENCE = [
    (1, {"x": "10.00", "y": "5.00"}, "ok", "run"),
    (3, {"x": "12.00"}, "ok", "run"),                    # arrives before window 2
    (2, {"x": "10.00", "y": "5.00"}, "ok", "run"),
    (4, {"x": "99.00"}, "quarantined", "run"),
    (5, {"x": "12.00"}, "ok", "run"),
    (3, {"x": "12.00"}, "ok", "rerun"),                  # same again: idempotent
    (3, {"x": "11.00"}, "ok", "fix"),                    # corrected by a re-run
]
EXPECTED_PERIODS = [
    ("x", Decimal("10.00"), at(1), at(3), False, 2),
    ("x", Decimal("11.00"), at(3), at(5), False, 1),
    ("x", Decimal("12.00"), at(5), None, True, 1),
    ("y", Decimal("5.00"), at(1), at(3), False, 2),  # gone from the scrape of window 3
]
MODELS = "+fct_price_history +fct_offer_changes"


def periods(store: Warehouse) -> list[tuple]:
    history = store.read("select supplier_sku, price_net, valid_from, valid_to, is_current, "
                         "observations from marts.fct_price_history "
                         "order by supplier_sku, valid_from")
    history["price_net"] = history["price_net"].map(lambda v: Decimal(str(v)).quantize(
        Decimal("0.01")))
    for column in ("valid_from", "valid_to"):
        history[column] = pd.to_datetime(history[column], utc=True)
    return [tuple(None if pd.isna(v) else v for v in row)
            for row in history.itertuples(index=False)]


@pytest.mark.parametrize("build", ["once at the end", "after every partition"])
def test_every_period_is_right(store, run_dbt, build):
    """Built once from everything, or incrementally after each partition lands (appends,
    an out-of-order window, a quarantined one, re-runs): the same periods either way."""
    run_dbt(store, "seed", "--quiet")
    for n, prices, status, run_id in SEQUENCE:
        scrape_partition(store, n, prices, status, run_id)
        if build == "after every partition":
            run_dbt(store, "run", "--select", MODELS, "--quiet")
    run_dbt(store, "run", "--select", MODELS, "--quiet")
    assert periods(store) == EXPECTED_PERIODS
    changes = store.read("select supplier_sku, change_type from marts.fct_offer_changes "
                         "order by supplier_sku, changed_at, change_type")
    assert list(changes.itertuples(index=False, name=None)) == [
        ("x", "new_offer"), ("x", "price_up"), ("x", "price_up"),
        ("y", "new_offer"), ("y", "offer_gone")]


def test_appending_windows_extends_and_closes_periods(store, run_dbt):
    """The incremental append path: each new window folds into the last period of every
    offer; an offer missing from a window is closed at that window, and one that returns
    with its old price carries on in the same period, as a full build says."""
    run_dbt(store, "seed", "--quiet")
    windows = [{"x": "10.00", "y": "5.00"}, {"x": "10.00", "y": "5.00"}, {"x": "10.50"},
               {"x": "10.50", "y": "5.00", "z": "1.00"}, {"x": "10.00", "z": "1.00"}]
    for n, prices in enumerate(windows, start=1):
        scrape_partition(store, n, prices)
        run_dbt(store, "run", "--select", MODELS, "--quiet")
    incremental = periods(store)
    run_dbt(store, "run", "--select", MODELS, "--full-refresh", "--quiet")
    assert incremental == periods(store)
    assert incremental == [
        ("x", Decimal("10.00"), at(1), at(3), False, 2),
        ("x", Decimal("10.50"), at(3), at(5), False, 2),
        ("x", Decimal("10.00"), at(5), None, True, 1),
        ("y", Decimal("5.00"), at(1), at(5), False, 3),  # back in window 4, gone in 5
        ("z", Decimal("1.00"), at(4), None, True, 2),
    ]
