"""Drills for the quality gate's ways out, on the demo shops (teile_feed, a whole scrape per
window): an implausible price holds back that one offer until a person accepts it or later
scrapes confirm it; a catalogue that grows is quarantined, then accepted after consecutive runs
or at once by a recorded decision. The previous good data stays intact throughout."""

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import dagster as dg
import pandas as pd
import pytest

from supplier_pipeline.demo.market import Offer
from supplier_pipeline.demo.run import QUIET, window_starts
from supplier_pipeline.demo.shop_history import generate_shop_history
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.warehouse import Warehouse

SUPPLIER = "teile_feed"
CONFIRM_RUNS = 3


@pytest.fixture
def pipeline(shop_env):
    """Run jobs of the code location on an ephemeral instance; scrape one window of the demo
    market as it was then."""
    from supplier_pipeline.definitions import defs as load_defs

    defs, instance = load_defs(), dg.DagsterInstance.ephemeral()

    class Pipeline:
        starts = window_starts(datetime.now(UTC), 6)
        store = Warehouse(None, settings.duckdb_path())

        def run(self, job: str, run_config: dict | None = None, **kwargs):
            return defs.resolve_job_def(job).execute_in_process(
                instance=instance, run_config={**QUIET, **(run_config or {})},
                raise_on_error=False, **kwargs)

        def scrape(self, n: int):
            moment = self.moment(n)
            shop_env.market.set_time(moment)
            key = dg.MultiPartitionKey({"supplier": SUPPLIER,
                                        "window": f"{self.starts[n]:%Y-%m-%d-%H:%M}"})
            return self.run("scrape_suppliers_job", partition_key=key, run_config={"ops": {
                "raw__supplier_offers": {"config": {"observed_at": moment.isoformat(),
                                                    "confirm_runs": CONFIRM_RUNS}}}})

        def moment(self, n: int) -> datetime:
            return self.starts[n] + timedelta(minutes=5)

        def read(self, sql: str, params=()) -> pd.DataFrame:
            return self.store.read(sql, params)

        def runs(self) -> list[tuple[str, str]]:
            frame = self.read("select status, coalesce(reason, '') as reason "
                              "from raw.scrape_runs where supplier_id = ? order by window_start",
                              [SUPPLIER])
            return list(frame.itertuples(index=False, name=None))

        def decisions(self) -> pd.DataFrame:
            return self.read("select * from raw.gate_decisions where supplier_id = ? "
                             "order by decided_at, window_start", [SUPPLIER])

    return Pipeline()


def _money(values) -> list[Decimal]:
    return [Decimal(str(v)).quantize(Decimal("0.01")) for v in values]


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_an_implausible_price_holds_back_only_that_offer(shop_env, pipeline, monkeypatch,
                                                          run_dbt):
    generate_shop_history(settings.shop_inbox(), datetime.now(UTC).date())
    assert pipeline.run("shop_ingest_job").success
    offers = shop_env.market.offers[SUPPLIER]
    decided, confirmed = offers[0].sku, offers[1].sku
    assert pipeline.scrape(0).success
    before = {o.sku: shop_env.market.quote(o, pipeline.moment(0)).price_net
              for o in offers[:2]}

    quote = shop_env.market.quote

    def typo(offer: Offer, at=None):  # the shop's price list gains three zeros on two offers
        shown = quote(offer, at)
        if offer.sku in (decided, confirmed):
            return dataclasses.replace(shown, price_net=shown.price_net * 1000)
        return shown

    monkeypatch.setattr(shop_env.market, "quote", typo)
    jumped = pipeline.scrape(1)
    assert jumped.success  # the partition is accepted...
    assert _checks(jumped)["price_jumps_plausible"] is False  # ...with a warning
    held = pipeline.read("select supplier_sku, status, price_net, last_accepted_price "
                         "from raw.held_observations")
    assert sorted(held["supplier_sku"]) == sorted([decided, confirmed])
    assert set(held["status"]) == {"held"}
    assert pipeline.runs() == [("ok", ""), ("ok", "")]
    metadata = jumped.asset_materializations_for_node("raw__supplier_offers")[0].metadata
    assert metadata["held_back"].value == 2

    assert pipeline.run("transform_job").success
    history = pipeline.read("select supplier_sku, price_net, valid_from, observations "
                            "from marts.fct_price_history where supplier_id = ?", [SUPPLIER])
    for sku in (decided, confirmed):  # only the pre-jump price is known for the held offers
        assert _money(history.loc[history["supplier_sku"] == sku, "price_net"]) == \
            [before[sku]]
    others = history[~history["supplier_sku"].isin([decided, confirmed])]
    assert others.groupby("supplier_sku")["observations"].sum().eq(2).all()
    events = pipeline.read("select supplier_sku from marts.mart_alert_events")
    assert not set(events["supplier_sku"].dropna()) & {decided, confirmed}
    best = pipeline.read("select supplier_sku, price_net from marts.mart_best_offer "
                         "where supplier_id = ?", [SUPPLIER])
    assert (best["price_net"] < 1000).all()

    # a person accepts one offer's new price at once; the decision is on record
    accepted = pipeline.run("decide_held_prices_job", run_config={"ops": {"decide_held_prices": {
        "config": {"supplier_id": SUPPLIER, "supplier_skus": [decided], "decision": "accepted",
                   "decided_by": "Ada", "reason": "the supplier confirmed the list price"}}}})
    assert accepted.success
    # the other is confirmed by the next scrapes: held again, then accepted at the third run
    assert pipeline.scrape(2).success
    status = pipeline.read("select supplier_sku, window_start, status from raw.held_observations "
                           "order by window_start")
    assert list(status.loc[status["supplier_sku"] == confirmed, "status"]) == ["held", "held"]
    assert list(status.loc[status["supplier_sku"] == decided, "status"]) == ["accepted"]
    assert pipeline.scrape(3).success
    status = pipeline.read("select supplier_sku, status from raw.held_observations "
                           "order by window_start")
    assert list(status.loc[status["supplier_sku"] == confirmed, "status"]) == \
        ["confirmed", "confirmed"]
    decisions = pipeline.decisions()
    assert list(zip(decisions["supplier_sku"], decisions["basis"], decisions["decided_by"],
                    strict=True)) == [(decided, "person", "Ada"),
                                      (confirmed, "confirmed_by_runs", "pipeline"),
                                      (confirmed, "confirmed_by_runs", "pipeline")]
    assert set(decisions["kind"]) == {"price_jump"}

    # the marts' incremental build finds the released rows and rebuilds the supplier's history
    run_dbt(pipeline.store, "run", "--select", "+fct_price_history")
    history = pipeline.read("select supplier_sku, price_net, valid_from, is_current "
                            "from marts.fct_price_history where supplier_id = ? "
                            "order by valid_from", [SUPPLIER])
    for sku in (decided, confirmed):  # the new price from the window that first showed it
        periods = history[history["supplier_sku"] == sku]
        assert _money(periods["price_net"]) == [before[sku], before[sku] * 1000]
        assert pd.Timestamp(periods["valid_from"].iloc[1]) == pd.Timestamp(pipeline.moment(1))
        assert list(periods["is_current"]) == [False, True]


def test_a_grown_catalogue_is_accepted_after_consecutive_runs_or_a_decision(shop_env, pipeline):
    offers = shop_env.market.offers[SUPPLIER]
    size = len(offers)

    def grow(extra: int, prefix: str) -> None:
        offers.extend(Offer(SUPPLIER, f"{prefix}{n:05d}", o.part, o.base_net, o.pack_size)
                      for n, o in enumerate(offers[:extra]))

    try:
        assert pipeline.scrape(0).success
        good = pipeline.read("select run_id, loaded_at, count(*) as n from raw.supplier_offers "
                             "group by run_id, loaded_at")
        grow(size // 4, "TG.X")  # 25 % larger
        first = pipeline.scrape(1)
        assert not first.success
        assert _checks(first)["offer_count_near_last_good_run"] is False
        assert not pipeline.scrape(2).success
        assert [s for s, _ in pipeline.runs()] == ["ok", "quarantined", "quarantined"]
        assert pipeline.scrape(3).success  # the third run in a row with the new size
        runs = pipeline.runs()
        assert [s for s, _ in runs] == ["ok", "ok", "ok", "ok"]
        assert "shown by 3 consecutive runs" in runs[1][1]
        decisions = pipeline.decisions()
        assert list(decisions["kind"]) == ["offer_count"] * 2
        assert set(decisions["basis"]) == {"confirmed_by_runs"}
        assert set(pipeline.read("select gate_status from raw.supplier_offers")["gate_status"]) \
            == {"ok"}

        grow(len(offers) // 4, "TG.Y")  # larger again: a person accepts it at once
        assert not pipeline.scrape(4).success
        window = f"{pipeline.starts[4]:%Y-%m-%d-%H:%M}"
        refused = pipeline.run("accept_offer_counts_job", run_config={"ops": {
            "accept_offer_counts": {"config": {
                "supplier_id": SUPPLIER, "windows": [f"{pipeline.starts[3]:%Y-%m-%d-%H:%M}"],
                "decided_by": "Ada", "reason": "wrong window"}}}})
        assert not refused.success  # an accepted window is not accepted again
        accepted = pipeline.run("accept_offer_counts_job", run_config={"ops": {
            "accept_offer_counts": {"config": {
                "supplier_id": SUPPLIER, "windows": [window], "decided_by": "Ada",
                "reason": "the supplier added the Samsung range"}}}})
        assert accepted.success
        assert pipeline.runs()[4] == ("ok", "accepted by Ada: the supplier added the Samsung "
                                            "range")
        assert pipeline.scrape(5).success  # compared with the accepted size now
        last = pipeline.decisions().iloc[-1]
        assert (last["basis"], last["decided_by"], last["kind"]) == ("person", "Ada",
                                                                      "offer_count")
        after = pipeline.read("select run_id, loaded_at, count(*) as n from raw.supplier_offers "
                              "group by run_id, loaded_at")
        assert good.iloc[0].tolist() in after.values.tolist()  # the first good run untouched
    finally:
        del offers[size:]


# The same gate on scripted partitions (no shop): the rules at their edges.

T0 = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "w.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def _gate_partition(store: Warehouse, n: int, prices: dict[str, str], **policy) -> str:
    """What the scrape asset does with one partition of supplier `s`: returns its status."""
    from supplier_pipeline.lib.scraping.acceptance import gate_history, judge
    from supplier_pipeline.lib.scraping.quality import GatePolicy, gate, status_of
    from supplier_pipeline.lib.scraping.records import Observation
    from supplier_pipeline.lib.scraping.scrape import ScrapeResult
    from supplier_pipeline.lib.scraping.store import store_scrape

    window = T0 + timedelta(hours=4 * n)
    rules = GatePolicy(**policy)
    observations = [Observation("s", sku, window, price_net=Decimal(p), stock_state="in")
                    for sku, p in prices.items()]
    history = gate_history(store, "s", "prices", window, rules)
    verdict = judge("s", "prices", observations, history, rules)
    checks = gate(observations, None, history.last_good_count, verdict.held, rules,
                  verdict.size_confirmed_by)
    status, reason = status_of(checks, None)
    held, decisions = verdict.outcome(status)
    store_scrape(store, ScrapeResult("s", "prices", observations, []), window, f"r{n}", status,
                 reason, held, decisions)
    return status


def _held(store: Warehouse) -> list[tuple[int, str, str]]:
    frame = store.read("select window_start, supplier_sku, status from raw.held_observations "
                       "order by window_start, supplier_sku")
    return [(int((pd.Timestamp(w) - pd.Timestamp(T0)) / pd.Timedelta(hours=4)), sku, status)
            for w, sku, status in frame.itertuples(index=False, name=None)]


def test_the_plausible_band_is_the_factor_both_ways():
    from supplier_pipeline.lib.scraping.quality import price_jumps
    from supplier_pipeline.lib.scraping.records import Observation

    last = {sku: Decimal("10.00") for sku in "abcde"}
    shown = {"a": "30.00", "b": "30.01", "c": "3.34", "d": "3.33", "e": "0.01"}
    observations = [Observation("s", sku, T0, price_net=Decimal(p)) for sku, p in shown.items()]
    assert [j.supplier_sku for j in price_jumps(observations, last, 3.0)] == ["b", "d", "e"]
    assert [j.supplier_sku for j in price_jumps(observations, last, 4.0)] == ["e"]


def test_a_rejected_price_stays_out_and_only_the_same_new_price_confirms(store):
    from supplier_pipeline.lib.scraping.acceptance import decide_held_prices

    assert _gate_partition(store, 0, {"a": "10.00", "b": "20.00", "c": "5.00"}) == "ok"
    assert _gate_partition(store, 1, {"a": "10000.00", "b": "20.00", "c": "0.05"}) == "ok"
    decide_held_prices(store, "s", ["a"], "rejected", "Ada", "a typo on their site", "d1")
    # "a" shows the typo again: held, and the rejected one does not count towards confirming;
    # "c" moves on to another implausible price: the streak starts again
    assert _gate_partition(store, 2, {"a": "10000.00", "b": "20.00", "c": "0.07"}) == "ok"
    assert _gate_partition(store, 3, {"a": "10000.00", "b": "20.00", "c": "0.07"}) == "ok"
    assert _held(store) == [(1, "a", "rejected"), (1, "c", "held"), (2, "a", "held"),
                            (2, "c", "held"), (3, "a", "held"), (3, "c", "held")]
    assert _gate_partition(store, 4, {"a": "10000.00", "b": "20.00", "c": "0.07"}) == "ok"
    assert _held(store) == [(1, "a", "rejected"), (1, "c", "held"), (2, "a", "confirmed"),
                            (2, "c", "confirmed"), (3, "a", "confirmed"), (3, "c", "confirmed")]
    with pytest.raises(ValueError, match="nothing is held back"):
        decide_held_prices(store, "s", ["b"], "accepted", "Ada", "nothing to accept", "d2")


def test_only_a_quarantine_for_the_count_alone_is_released(store):
    from supplier_pipeline.lib.scraping.acceptance import accept_offer_counts

    ten = {f"x{n}": "10.00" for n in range(10)}
    grown = {**ten, **{f"y{n}": "10.00" for n in range(3)}}
    assert _gate_partition(store, 0, ten) == "ok"
    assert _gate_partition(store, 1, grown) == "quarantined"
    with store.connect() as connection:  # window 1 failed another blocking check as well
        store.execute(connection, "update raw.scrape_runs set reason = reason || "
                      "', supplier_skus_unique' where window_start = ?",
                      [T0 + timedelta(hours=4)])
    assert _gate_partition(store, 2, grown) == "quarantined"
    assert _gate_partition(store, 3, grown) == "quarantined"  # window 1 breaks the streak
    with pytest.raises(ValueError, match="offer count alone"):
        accept_offer_counts(store, "s", "prices", [T0 + timedelta(hours=4)], "Ada", "no", "d")
    assert _gate_partition(store, 4, grown) == "ok"  # windows 2, 3 and 4 show 13 offers
    runs = store.read("select status from raw.scrape_runs order by window_start")
    assert list(runs["status"]) == ["ok", "quarantined", "ok", "ok", "ok"]
    accepted = store.read("select distinct window_start from raw.supplier_offers "
                          "where gate_status = 'ok' order by 1")
    assert len(accepted) == 4
