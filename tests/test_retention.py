"""Compaction of old raw observations: the marts rebuilt from what is left are the ones built
from everything, on DuckDB and on PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from supplier_pipeline.cli import main
from supplier_pipeline.lib.retention import (
    compact_raw,
    fetch_log_days,
    prune_fetch_log,
    retention_days,
)
from supplier_pipeline.lib.scraping.records import Fetch, Observation, Outcome
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.scraping.store import store_scrape
from supplier_pipeline.lib.warehouse import Warehouse

T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WINDOWS = 17 * 6  # 17 days of 4-hour scrapes: three weeks, the cutoff inside the second
NOW = T0 + timedelta(days=10, hours=2)
QUARANTINED = 45
# columns computed from the time of the build, not from the data
BUILD_TIME_COLUMNS = {"hours_since_observed", "is_stale", "supplier_data_age_hours"}


def observed(n: int) -> datetime:
    return T0 + timedelta(hours=4 * n, minutes=5)


def offers_at(n: int) -> dict[str, tuple[str | None, str]]:
    """sku -> (price, stock state) shown in window n."""
    shown = {"a": ("10.00", "in"),
             "b": ("22.00" if 20 <= n < 50 else "20.00", "out" if 30 <= n < 36 else "in"),
             "e": (None if n in (25, 26) else "3.00", "low")}
    if n < 40:
        shown["c"] = ("5.00", "in")  # then gone for good
    if not (10 <= n < 16 or 60 <= n < 64):
        shown["d"] = ("7.50", "in")  # away twice, back at the same price
    return shown


def land(store: Warehouse, n: int) -> None:
    status = "quarantined" if n == QUARANTINED else "ok"
    observations = [
        Observation("s", sku, observed(n), title=f"Part {sku}",
                    price_net=None if price is None else Decimal(price) * (2 if status != "ok"
                                                                            else 1),
                    price_gross=None if price is None else Decimal(price) * Decimal("1.22"),
                    currency="EUR", stock_state=stock, brand="Apple")
        for sku, (price, stock) in offers_at(n).items()]
    store_scrape(store, ScrapeResult("s", "prices", observations, []), observed(n).replace(
        minute=0), f"run-{n}", status, None if status == "ok" else "failed checks")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path, run_dbt):
    store = (Warehouse(None, tmp_path / "w.duckdb") if request.param == "duckdb"
             else Warehouse(request.getfixturevalue("postgres_dsn")))
    run_dbt(store, "seed", "--quiet")
    store.replace("raw.suppliers", [{"supplier_id": "s", "supplier_name": "S", "engine": "html",
                                     "lead_time_days": 2, "shipping_fee": Decimal("5"),
                                     "free_shipping_above": Decimal("100")}], {})
    store.replace("raw.shop_parts", [{"part_id": p} for p in ("p1", "p2")], {})
    store.replace("matching.offer_part_matches", [
        {"supplier_id": "s", "supplier_sku": sku, "part_id": part, "method": "ean",
         "confidence": 1.0} for sku, part in [("a", "p1"), ("b", "p1"), ("c", "p2"),
                                             ("d", "p2"), ("e", None)]], {})
    for n in range(WINDOWS):
        land(store, n)
    return store


def marts(store: Warehouse) -> dict[str, pd.DataFrame]:
    names = store.read("select table_name from information_schema.tables "
                       "where table_schema = 'marts' order by table_name")["table_name"]
    frames = {}
    for name in names:
        frame = store.read(f"select * from marts.{name}")
        frame = frame.drop(columns=[c for c in frame.columns if c in BUILD_TIME_COLUMNS])
        frames[name] = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
    return frames


def kept_in_period(store: Warehouse, history: pd.DataFrame, priced: bool) -> list[int]:
    """The accepted raw rows of each period's offer between its first and last observation."""
    rows = store.read("select supplier_sku, observed_at, price_net from raw.supplier_offers "
                      "where gate_status = 'ok'")
    if priced:
        rows = rows[rows["price_net"].notna()]
    observed_at = pd.to_datetime(rows["observed_at"], utc=True)
    return [int(((rows["supplier_sku"] == p.supplier_sku)
                 & (observed_at >= pd.Timestamp(p.valid_from))
                 & (observed_at <= pd.Timestamp(p.last_observed_at))).sum())
            for p in history.itertuples()]


def test_marts_rebuilt_after_compaction_are_the_same(store, run_dbt):
    run_dbt(store, "run", "--quiet")
    before = marts(store)
    raw_before = len(store.read("select * from raw.supplier_offers"))

    dry = compact_raw(store, 0, dry_run=True, now=NOW)
    assert len(store.read("select * from raw.supplier_offers")) == raw_before
    compacted = compact_raw(store, 0, now=NOW)
    assert [(t.table, t.removed) for t in compacted] == [(t.table, t.removed) for t in dry]
    removed = compacted[0].removed
    old_rows = sum(len(offers_at(n)) for n in range(WINDOWS) if observed(n) < NOW)
    assert removed > old_rows / 2  # most of ten days of a stable shop repeated itself
    assert compact_raw(store, 0, now=NOW)[0].removed == 0  # idempotent

    run_dbt(store, "run", "--full-refresh", "--quiet")
    after = marts(store)
    assert before.keys() == after.keys()
    counted = {"fct_price_history": "observations", "fct_stock_history": "observations",
               "mart_supplier_performance": "in_stock_share"}
    for name, frame in before.items():
        column = counted.get(name)
        assert frame.drop(columns=[column] if column else []).equals(
            after[name].drop(columns=[column] if column else [])), name

    # `observations` now counts the raw rows kept in the period, fewer where it is old
    for name, priced in [("fct_price_history", True), ("fct_stock_history", False)]:
        history = store.read(f"select * from marts.{name} order by supplier_sku, valid_from")
        assert list(history["observations"]) == kept_in_period(store, history, priced), name
        assert history["observations"].sum() < before[name]["observations"].astype(int).sum()

    weeks = [before["mart_supplier_performance"], after["mart_supplier_performance"]]
    recent_weeks = [w[w["week_start"] >= str((NOW + timedelta(days=7)).date() -
                                             timedelta(days=NOW.weekday()))] for w in weeks]
    assert recent_weeks[0].equals(recent_weeks[1]) and len(recent_weeks[0]) == 1


def test_quarantined_rows_and_recent_rows_are_kept(store):
    compact_raw(store, 0, now=NOW)
    left = store.read("select supplier_sku, observed_at, gate_status from raw.supplier_offers")
    assert (left["gate_status"] == "quarantined").sum() == len(offers_at(QUARANTINED))
    recent = left[pd.to_datetime(left["observed_at"], utc=True) >= pd.Timestamp(NOW)]
    assert len(recent) == sum(len(offers_at(n)) for n in range(WINDOWS) if observed(n) >= NOW)
    # one row of every accepted scrape stays, so the scrape times stay
    scrapes = left[left["gate_status"] == "ok"]["observed_at"].nunique()
    assert scrapes == WINDOWS - 1


def test_retention_age_comes_from_the_environment():
    assert retention_days({}) is None
    assert retention_days({"RAW_RETENTION_DAYS": " "}) is None
    assert retention_days({"RAW_RETENTION_DAYS": "90"}) == 90
    with pytest.raises(ValueError, match="RAW_RETENTION_DAYS"):
        retention_days({"RAW_RETENTION_DAYS": "three months"})


def test_cli_compacts_and_says_what_it_removed(tmp_path, monkeypatch, capsys):
    path = tmp_path / "w.duckdb"
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(path))
    store = Warehouse(None, path)
    for n in range(12):
        land(store, n)
    monkeypatch.delenv("RAW_RETENTION_DAYS", raising=False)
    assert main(["compact-raw"]) == 0
    assert "every raw observation is kept" in capsys.readouterr().out
    assert main(["compact-raw", "--older-than-days", "0", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "raw.supplier_offers: would remove" in out
    assert len(store.read("select * from raw.supplier_offers")) == sum(
        len(offers_at(n)) for n in range(12))
    monkeypatch.setenv("RAW_RETENTION_DAYS", "0")
    assert main(["compact-raw"]) == 0
    assert "raw.supplier_offers: removed" in capsys.readouterr().out
    assert len(store.read("select * from raw.supplier_offers")) < sum(
        len(offers_at(n)) for n in range(12))


def test_weekly_job_reports_what_it_removed(tmp_path, monkeypatch):
    import dagster as dg

    from supplier_pipeline.defs.maintenance.assets import raw_retention
    from supplier_pipeline.defs.resources import WarehouseResource

    path = tmp_path / "w.duckdb"
    for n in range(12):
        land(Warehouse(None, path), n)
    monkeypatch.setenv("RAW_RETENTION_DAYS", "0")
    result = dg.materialize([raw_retention],
                            resources={"warehouse": WarehouseResource(duckdb_path=str(path))})
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["removed raw.supplier_offers"].value > 0
    assert metadata["removed raw.supplier_catalog"].value == 0
    assert metadata["fetch_log_retention_days"].value == 90
    assert metadata["removed raw.fetch_log"].value == 0  # the windows are days old
    assert metadata["size_after"].value > 0


def test_fetch_log_age_comes_from_the_environment():
    assert fetch_log_days({}) == 90
    assert fetch_log_days({"FETCH_LOG_RETENTION_DAYS": "30"}) == 30
    assert fetch_log_days({"FETCH_LOG_RETENTION_DAYS": "keep"}) is None
    with pytest.raises(ValueError, match="FETCH_LOG_RETENTION_DAYS"):
        fetch_log_days({"FETCH_LOG_RETENTION_DAYS": "a month"})


@pytest.fixture(params=["duckdb", "postgres"])
def logged(request, tmp_path):
    """Two suppliers' fetch logs, one window a day for 40 days, three requests a window."""
    store = (Warehouse(None, tmp_path / "w.duckdb") if request.param == "duckdb"
             else Warehouse(request.getfixturevalue("postgres_dsn")))
    for day in range(40):
        window = T0 + timedelta(days=day, hours=8)
        for supplier in ("s", "t"):
            fetches = [Fetch(supplier, f"https://shop/p/{k}", Outcome.OK, 200, 50.0, 1000, 1,
                             window + timedelta(minutes=k)) for k in range(3)]
            store_scrape(store, ScrapeResult(supplier, "prices", [], fetches), window,
                         f"run-{supplier}-{day}", "ok", None)
    return store


def test_old_fetch_log_windows_are_deleted_whole_and_recent_ones_kept(logged):
    now = T0 + timedelta(days=40)
    dry = prune_fetch_log(logged, 30, dry_run=True, now=now)
    assert (dry.rows_before, dry.removed) == (240, 2 * 3 * 10)
    assert len(logged.read("select * from raw.fetch_log")) == 240
    done = prune_fetch_log(logged, 30, now=now)
    assert done.removed == 60
    left = logged.read("select supplier_id, window_start, count(*) as n from raw.fetch_log "
                       "group by 1, 2")
    cutoff = pd.Timestamp(now - timedelta(days=30))
    assert len(left) == 2 * 30 and (left["n"] == 3).all()
    assert (pd.to_datetime(left["window_start"], utc=True) >= cutoff).all()
    assert prune_fetch_log(logged, 30, now=now).removed == 0  # idempotent
