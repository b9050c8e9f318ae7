"""Orders that cost less: the basket optimiser against the greedy choice, and the proposals
that feed it (eligibility, budget, explanations)."""

import json

import pandas as pd
import pytest

from supplier_pipeline.lib.purchasing.basket import Need, Shipping, Term, greedy, optimise
from supplier_pipeline.lib.purchasing.proposals import ProposalSettings, build_proposals


def test_one_basket_over_the_free_shipping_threshold_beats_cheapest_per_line():
    # per line, B is a little cheaper; but A's basket reaches free shipping on its own
    terms = [Term("p1", "A", "a1", ((1, 40.0),)), Term("p1", "B", "b1", ((1, 39.0),)),
             Term("p2", "A", "a2", ((1, 35.0),)), Term("p2", "B", "b2", ((1, 34.5),))]
    shipping = {"A": Shipping(fee=12, free_above=100), "B": Shipping(fee=12, free_above=500)}
    needs = [Need("p1", 1), Need("p2", 2)]
    cheap = greedy(needs, terms, shipping)
    best = optimise(needs, terms, shipping)
    assert {line.supplier_id for line in best.lines} == {"A"}
    assert best.shipping == {"A": 0.0}
    assert best.total == pytest.approx(110.0)
    assert cheap.total == pytest.approx(120.0)
    assert best.method == "milp" and best.gap <= 1e-6


def test_rounding_up_to_a_price_break_only_when_it_lowers_the_total():
    term = Term("p1", "A", "a1", ((1, 10.0), (10, 8.0)))
    shipping = {"A": Shipping()}
    rounded = optimise([Need("p1", 9, extra_allowed=3)], [term], shipping)
    assert [(line.quantity, line.unit_price, line.break_qty, line.rounded_up)
            for line in rounded.lines] == [(10, 8.0, 10, 1)]  # 80 < 90
    not_allowed = optimise([Need("p1", 9, extra_allowed=0)], [term], shipping)
    assert [(line.quantity, line.unit_price) for line in not_allowed.lines] == [(9, 10.0)]
    far = optimise([Need("p1", 5, extra_allowed=5)], [term], shipping)
    assert [line.quantity for line in far.lines] == [5]  # 10 x 8 = 80 > 5 x 10 = 50


def test_a_supplier_short_of_stock_is_split_with_another_and_packs_are_whole():
    terms = [Term("p1", "A", "a1", ((1, 5.0),), stock_qty=3),
             Term("p1", "B", "b1", ((1, 6.0),), pack_size=4)]
    basket = optimise([Need("p1", 7)], terms, {"A": Shipping(), "B": Shipping()})
    by_supplier = {line.supplier_id: line.quantity for line in basket.lines}
    assert by_supplier == {"A": 3, "B": 4}  # never more than A shows; B in whole packs
    assert basket.short == {}


def test_minimum_order_values_are_respected():
    terms = [Term("p1", "A", "a1", ((1, 10.0),)), Term("p1", "B", "b1", ((1, 11.0),))]
    shipping = {"A": Shipping(min_order_value=50), "B": Shipping()}
    basket = optimise([Need("p1", 2)], terms, shipping)
    assert [line.supplier_id for line in basket.lines] == ["B"]
    assert greedy([Need("p1", 2)], terms[:1], {"A": shipping["A"]}).short == {"p1": 2}


def terms_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"title": "", "currency": "EUR", "price_breaks": None, "pack_size": 1,
            "stock_state": "in", "stock_qty": None, "lead_time_days": 2, "shipping_fee": 0.0,
            "free_shipping_above": None, "min_order_value": 0.0, "hours_since_observed": 1.0,
            "ineligible_reason": None, "is_eligible": True, "handling_fee": 0.0,
            "min_order_quantity": 1, "order_multiple": 1}
    return pd.DataFrame([{**base, **row} for row in rows])


def positions_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"on_hand": 0, "on_order": 0, "reserved": 0, "mean_daily_demand": 0.5,
            "demand_dispersion": 1.0, "lead_time_rate": 0.5}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_stale_offers_are_never_ordered_and_every_line_explains_itself():
    terms = terms_frame([
        {"part_id": "p1", "supplier_id": "A", "supplier_sku": "a1", "price_net": 5.0,
         "landed_unit_price": 5.0, "is_eligible": False,
         "ineligible_reason": "not seen for more than 8 hours"},
        {"part_id": "p1", "supplier_id": "B", "supplier_sku": "b1", "price_net": 9.0,
         "landed_unit_price": 9.0,
         "price_breaks": json.dumps([{"min_qty": 10, "price_net": "8.00"}])},
        {"part_id": "p1", "supplier_id": "C", "supplier_sku": "c1", "price_net": 9.5,
         "landed_unit_price": 9.7},
        {"part_id": "p2", "supplier_id": "A", "supplier_sku": "a2", "price_net": 3.0,
         "landed_unit_price": 3.0, "is_eligible": False,
         "ineligible_reason": "missing from the supplier's last good scrape"},
    ])
    positions = positions_frame([{"part_id": "p1", "reserved": 2}, {"part_id": "p2"}])
    proposal = build_proposals(positions, terms, ProposalSettings(rounding_days=0))
    assert {line["supplier_id"] for line in proposal.lines} == {"B"}
    assert proposal.no_offer == {"p2": "missing from the supplier's last good scrape"}
    reason = proposal.lines[0]["reason"]
    assert "B at 8.00 (break from 10)" in reason and "runner-up C at 9.70 landed" in reason
    assert "2 reserved by repairs waiting" in reason and "reorder point" in reason


def test_a_budget_keeps_the_parts_repairs_wait_for_and_says_why_the_rest_waits():
    terms = terms_frame([{"part_id": p, "supplier_id": "A", "supplier_sku": p,
                          "price_net": 50.0, "landed_unit_price": 50.0} for p in "xyz"])
    positions = positions_frame([{"part_id": "x"}, {"part_id": "y", "reserved": 1},
                                 {"part_id": "z", "mean_daily_demand": 3.0,
                                  "lead_time_rate": 3.0}])
    unlimited = build_proposals(positions, terms, ProposalSettings(rounding_days=0))
    cost = {line["part_id"]: line["quantity"] * 50.0 for line in unlimited.lines}
    budget = cost["y"] + 1
    limited = build_proposals(positions, terms, ProposalSettings(rounding_days=0,
                                                                 budget=budget))
    assert [line["part_id"] for line in limited.lines] == ["y"]
    assert limited.basket.total <= budget
    assert {d["part_id"] for d in limited.deferred} == {"x", "z"}
    assert all("over the budget" in d["reason"] for d in limited.deferred)


def test_minimum_order_quantities_and_order_multiples_from_the_supplier_file():
    terms = terms_frame([
        {"part_id": "p1", "supplier_id": "A", "supplier_sku": "a1", "price_net": 4.0,
         "landed_unit_price": 4.0, "min_order_quantity": 10, "order_multiple": 1},
        {"part_id": "p1", "supplier_id": "B", "supplier_sku": "b1", "price_net": 5.0,
         "landed_unit_price": 5.0, "min_order_quantity": 1, "order_multiple": 3},
    ])
    positions = positions_frame([{"part_id": "p1", "mean_daily_demand": 0.2,
                                  "lead_time_rate": 0.2}])
    proposal = build_proposals(positions, terms, ProposalSettings(rounding_days=0))
    need = proposal.lines[0]["order_up_to"]
    # A's 10-unit minimum costs more than B's multiples of 3 for a need this small
    assert need < 8
    line, = proposal.lines
    assert line["supplier_id"] == "B" and line["quantity"] % 3 == 0
    assert line["quantity"] >= need
    only_a = build_proposals(positions, terms[terms["supplier_id"] == "A"],
                             ProposalSettings(rounding_days=0))
    assert [ln["quantity"] for ln in only_a.lines] == [10]  # the minimum, not less


def test_the_weekly_budget_counts_what_this_week_already_committed(tmp_path):
    from datetime import UTC, datetime, timedelta

    from supplier_pipeline.lib.purchasing import ledger
    from supplier_pipeline.lib.purchasing.proposals import budget_for_run
    from supplier_pipeline.lib.warehouse import Warehouse

    store = Warehouse(None, tmp_path / "w.duckdb")
    wednesday = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert budget_for_run(store, None, None, wednesday) is None
    assert budget_for_run(store, 900, 1000, wednesday) == 900  # nothing committed yet

    def po(total: float, created: datetime, approve: bool) -> None:
        line = ledger.Line("p", "sku", 1, ledger.money(total), "test")
        po_id = ledger.create(store, "A", [line], created, "test", "test")
        if approve:
            ledger.transition(store, po_id, "approved", "owner", "ok", created)

    po(300, wednesday - timedelta(days=1), approve=True)  # this week, committed
    po(500, wednesday - timedelta(days=1), approve=False)  # only proposed: not spent
    po(400, wednesday - timedelta(days=3), approve=True)  # last week (Sunday)
    assert budget_for_run(store, 900, 1000, wednesday) == 700
    assert budget_for_run(store, None, 200, wednesday) == 0.0


# Back-orders with a date (issue #17): counted on from their day, after the shelf ----------

def backorder(**row) -> dict:
    """A mart_offer_terms row back-ordered until 11 December, 10 days away: 12 days with the
    supplier's 2-day delivery."""
    return {"stock_state": "backorder", "backorder_until": "2026-12-11",
            "days_until_available": 10, "supplier_lead_time_days": 2, "lead_time_days": 12,
            **row}


def test_a_dated_back_order_is_ordered_when_no_shelf_has_the_part_and_says_when():
    terms = terms_frame([
        backorder(part_id="p1", supplier_id="A", supplier_sku="a1", price_net=8.0,
                  landed_unit_price=8.0),
        {"part_id": "p1", "supplier_id": "B", "supplier_sku": "b1", "price_net": 6.0,
         "landed_unit_price": 6.0, "stock_state": "backorder", "is_eligible": False,
         "ineligible_reason": "back-order with no date shown"},
    ])
    positions = positions_frame([{"part_id": "p1"}])
    line, = build_proposals(positions, terms, ProposalSettings(rounding_days=0)).lines
    assert line["supplier_id"] == "A"
    assert ("back-order: A expects it on 2026-12-11, 12 days to arrive (10 until then + 2 "
            "delivery)") in line["reason"]
    assert "of 12-day demand" in line["reason"]
    # the wait is planned for: a higher reorder point than the same offer on the shelf
    shelf = terms_frame([{"part_id": "p1", "supplier_id": "A", "supplier_sku": "a1",
                          "price_net": 8.0, "landed_unit_price": 8.0}])
    on_shelf, = build_proposals(positions, shelf, ProposalSettings(rounding_days=0)).lines
    assert line["reorder_point"] > on_shelf["reorder_point"]
    assert "back-order" not in on_shelf["reason"]


def test_a_cheaper_back_order_waits_while_an_offer_on_the_shelf_has_the_part():
    terms = terms_frame([
        backorder(part_id="p1", supplier_id="A", supplier_sku="a1", price_net=8.0,
                  landed_unit_price=8.0),
        {"part_id": "p1", "supplier_id": "B", "supplier_sku": "b1", "price_net": 10.0,
         "landed_unit_price": 10.0},
    ])
    line, = build_proposals(positions_frame([{"part_id": "p1"}]), terms,
                            ProposalSettings(rounding_days=0)).lines
    assert line["supplier_id"] == "B"
    assert "of 2-day demand" in line["reason"]  # planned with the shelf's lead time
    assert ("back-order A at 8.00 landed (expected 2026-12-11) passed over: offers on the "
            "shelf first") in line["reason"]


def test_a_back_order_with_no_date_is_never_ordered_and_says_why():
    terms = terms_frame([{"part_id": "p1", "supplier_id": "A", "supplier_sku": "a1",
                          "price_net": 8.0, "landed_unit_price": 8.0,
                          "stock_state": "backorder", "is_eligible": False,
                          "ineligible_reason": "back-order with no date shown"}])
    proposal = build_proposals(positions_frame([{"part_id": "p1"}]), terms,
                               ProposalSettings(rounding_days=0))
    assert proposal.lines == []
    assert proposal.no_offer == {"p1": "back-order with no date shown"}


def test_a_back_order_supplies_only_what_the_shelf_cannot():
    terms = [Term("p1", "A", "a1", ((1, 10.0),), stock_qty=3, lead_time_days=2),
             Term("p1", "B", "b1", ((1, 5.0),), lead_time_days=12, backorder=True)]
    shipping = {"A": Shipping(), "B": Shipping()}
    for basket in (optimise([Need("p1", 7)], terms, shipping),
                   greedy([Need("p1", 7)], terms, shipping)):
        assert {line.supplier_id: line.quantity for line in basket.lines} == {"A": 3, "B": 4}
        assert basket.short == {}
    # a shipping fee on the shelf's basket is still worth paying rather than wait
    fee = {"A": Shipping(fee=15.0), "B": Shipping()}
    basket = optimise([Need("p1", 2)], terms, fee)
    assert [(line.supplier_id, line.quantity) for line in basket.lines] == [("A", 2)]


def test_the_basket_benchmark_runs_on_what_build_proposals_reads():
    """bench/basket.py's synthetic market is built by hand: a column the proposals start to
    read (handling_fee, order terms) must be in it, or the benchmark breaks unseen."""
    from bench.basket import synthetic
    from supplier_pipeline.lib.purchasing.proposals import ProposalSettings, build_proposals

    positions, terms = synthetic(parts=60, suppliers=3)
    proposal = build_proposals(positions, terms, ProposalSettings())
    assert proposal.lines and proposal.basket.method == "milp"
    assert {line["supplier_id"] for line in proposal.lines} <= set(terms["supplier_id"])
