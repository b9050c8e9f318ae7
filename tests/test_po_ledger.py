"""The purchase-order ledger on both backends: its lifecycle, approval, expiry and supersession,
files written exactly once whatever step crashes, and the order system's answers."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import dagster as dg
import jsonschema
import pandas as pd
import pytest

from supplier_pipeline.lib.purchasing import emit, ledger, po_files
from supplier_pipeline.lib.purchasing.approval import (
    ApprovalRule,
    auto_approval,
    decide,
    expire,
    sync_supplier,
)
from supplier_pipeline.lib.purchasing.feedback import apply_acknowledgements, apply_receipts
from supplier_pipeline.lib.warehouse import Warehouse

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LINES = [ledger.Line("p1", "A-1", 2, Decimal("10.50"), "below reorder point 3"),
         ledger.Line("p2", "=HYPERLINK(\"x\")", 5, Decimal("3.00"), "waiting repairs")]
LIMIT = ApprovalRule(auto_approve_up_to=100.0)
SCHEMA = json.loads(po_files.SCHEMA_FILE.read_text())


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "w.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def states(store) -> dict[str, str]:
    return dict(ledger.orders(store)[["po_id", "state"]].itertuples(index=False))


def test_lifecycle_refuses_illegal_transitions(store):
    po_id = ledger.create(store, "s", LINES, NOW, "test", "proposed")
    assert po_id.startswith("PO-s-20261128090000-")
    with pytest.raises(ledger.IllegalTransition, match="is proposed: it cannot become sent"):
        ledger.transition(store, po_id, "sent", "test", "skip approval", NOW)
    ledger.transition(store, po_id, "approved", "anna", "ok", NOW)
    with pytest.raises(ledger.IllegalTransition, match="is approved: it cannot become approved"):
        ledger.transition(store, po_id, "approved", "bob", "again", NOW)
    history = ledger.events_of(store, po_id)
    assert list(history["state"]) == ["proposed", "approved"]
    assert list(history["actor"]) == ["test", "anna"]
    order = ledger.orders(store).iloc[0]
    assert Decimal(str(order["total"])) == Decimal("36.00") and order["state"] == "approved"


def test_auto_approval_within_limits_only():
    assert auto_approval(LIMIT, LINES, {}, {})[0]
    waits, why = auto_approval(ApprovalRule(auto_approve_up_to=30.0), LINES, {}, {})
    assert not waits and "above the auto-approval limit 30.00" in why
    assert not auto_approval(ApprovalRule(None), LINES, {}, {})[0]
    unusual, why = auto_approval(LIMIT, LINES, {"p2": 1.0}, {})
    assert not unusual and "p2 x5 is more than 3 x its usual order" in why
    pricey, why = auto_approval(LIMIT, LINES, {}, {"A-1": 5.0})
    assert not pricey and "more than 1.5 x its recent price (5.00)" in why


def test_a_changed_proposal_supersedes_the_waiting_one(store):
    waiting = ApprovalRule(None)
    first = sync_supplier(store, "s", LINES, waiting, {}, {}, NOW)
    assert "waits for approval" in first
    assert sync_supplier(store, "s", list(reversed(LINES)), waiting, {}, {}, NOW) \
        == "s: proposal unchanged"
    changed = [LINES[0], ledger.Line("p2", "B-2", 6, Decimal("3.00"), "more")]
    sync_supplier(store, "s", changed, waiting, {}, {}, NOW + timedelta(minutes=30))
    by_state = ledger.orders(store).groupby("state")["po_id"].apply(list)
    assert len(by_state["cancelled"]) == 1 and len(by_state["proposed"]) == 1
    reason = ledger.events_of(store, by_state["cancelled"][0])["reason"].iloc[-1]
    assert reason == f"superseded by {by_state['proposed'][0]}"
    sync_supplier(store, "s", [], waiting, {}, {}, NOW + timedelta(hours=1))
    assert set(states(store).values()) == {"cancelled"}  # nothing needed any more


def test_person_decides_and_nobody_deciding_expires(store):
    one = ledger.create(store, "s", LINES, NOW, "test", "proposed")
    two = ledger.create(store, "t", LINES[:1], NOW + timedelta(seconds=1), "test", "proposed")
    with pytest.raises(ledger.IllegalTransition, match="not waiting for approval: PO-typo"):
        decide(store, [one, "PO-typo"], "approve", "anna", "", NOW)
    assert states(store)[one] == "proposed"  # all or none
    decide(store, [one], "reject", "anna", "too early in the month", NOW)
    assert expire(store, timedelta(hours=48), NOW + timedelta(hours=49)) == [two]
    assert states(store) == {one: "rejected", two: "expired"}
    assert ledger.events_of(store, one)["reason"].iloc[-1] == "too early in the month"


def emit_now(store, outbox):
    return emit.emit_approved(store, outbox, {"s": "Supplier S"}, NOW)


def approved_po(store) -> str:
    po_id = ledger.create(store, "s", LINES, NOW, "test", "proposed")
    ledger.transition(store, po_id, "approved", "anna", "ok", NOW)
    return po_id


def test_files_are_written_once_and_validate(store, tmp_path):
    po_id = approved_po(store)
    outbox = tmp_path / "outbox"
    assert [e["proposal_id"] for e in emit_now(store, outbox)] == [po_id]
    document = json.loads((outbox / f"{po_id}.json").read_text())
    jsonschema.validate(document, SCHEMA)
    assert (outbox / document["$schema"]).exists()  # the schema travels with the files
    assert document["approved_by"] == "anna" and document["total"] == "36.00"
    rows = (outbox / f"{po_id}.csv").read_text().splitlines()
    assert rows[2].startswith('2,"\'=HYPERLINK(""x"")",p2,5,3.00')  # not a formula
    assert states(store)[po_id] == "sent"
    assert emit_now(store, outbox) == []  # a sent PO is never written again
    assert sorted(p.name for p in outbox.iterdir()) == sorted(
        [f"{po_id}.csv", f"{po_id}.json", "po-file-v1.schema.json"])


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("point", ["between_files", "before_sent"])
def test_a_crash_at_any_point_rewrites_the_same_files(store, tmp_path, monkeypatch, point):
    po_id = approved_po(store)
    outbox = tmp_path / "outbox"
    write, move = po_files._atomic_write, ledger.transition

    def write_then_crash(path, text):
        if path.suffix == ".json" and path.name.startswith("PO-"):
            raise Crash(point)
        write(path, text)

    def crash_before_sent(store_, po, to_state, *args, **kwargs):
        if to_state == "sent":
            raise Crash(point)
        return move(store_, po, to_state, *args, **kwargs)

    if point == "between_files":
        monkeypatch.setattr(po_files, "_atomic_write", write_then_crash)
    else:
        monkeypatch.setattr(ledger, "transition", crash_before_sent)
    with pytest.raises(Crash):
        emit_now(store, outbox)
    first = {p.name: p.read_bytes() for p in outbox.glob("PO-*")}
    assert states(store)[po_id] == "approved"
    monkeypatch.undo()
    emit_now(store, outbox)
    final = {p.name: p.read_bytes() for p in outbox.glob("PO-*")}
    assert set(final) == {f"{po_id}.csv", f"{po_id}.json"}  # one order, one pair of files
    assert all(final[name] == content for name, content in first.items())  # same bytes
    assert states(store)[po_id] == "sent"
    log = store.read("select proposal_id from analytics.po_files")
    assert list(log["proposal_id"]) == [po_id]


def test_the_order_systems_answers_move_the_po_once(store, tmp_path):
    po_id = approved_po(store)
    emit_now(store, tmp_path / "outbox")
    acks = pd.DataFrame([
        {"po_id": po_id, "supplier_sku": "A-1", "order_number": "OS-77", "status": "accepted",
         "confirmed_quantity": 2, "confirmed_price": Decimal("10.50")},
        {"po_id": po_id, "supplier_sku": LINES[1].supplier_sku, "order_number": "OS-77",
         "status": "accepted", "confirmed_quantity": 4, "confirmed_price": Decimal("3.00")},
        {"po_id": "PO-unknown", "supplier_sku": "X", "order_number": None,
         "status": "accepted", "confirmed_quantity": 1, "confirmed_price": None}])
    done = apply_acknowledgements(store, acks, NOW)
    assert done == [f"{po_id}: acknowledged as order OS-77",
                    "PO-unknown: unknown PO, acknowledgement ignored"]
    assert apply_acknowledgements(store, acks, NOW) == ["PO-unknown: unknown PO, acknowledgement "
                                                        "ignored"]  # read again: no change
    first = pd.DataFrame([{"po_id": po_id, "supplier_sku": "A-1", "quantity": 2}])
    assert apply_receipts(store, first, NOW) == [f"{po_id}: partly received"]
    both = pd.concat([first, pd.DataFrame([{"po_id": po_id,
                                            "supplier_sku": LINES[1].supplier_sku,
                                            "quantity": 4}])])
    assert apply_receipts(store, both, NOW) == [f"{po_id}: received"]  # 4 confirmed of 5
    assert apply_receipts(store, both, NOW) == []
    assert list(ledger.events_of(store, po_id)["state"]) == [
        "proposed", "approved", "sent", "acknowledged", "partly_received", "received"]
    assert ledger.orders(store).iloc[0]["order_number"] == "OS-77"


def test_a_po_the_order_system_rejects_is_rejected(store, tmp_path):
    po_id = approved_po(store)
    emit_now(store, tmp_path / "outbox")
    acks = pd.DataFrame([{"po_id": po_id, "supplier_sku": s.supplier_sku, "order_number": "OS-9",
                          "status": "rejected", "confirmed_quantity": None,
                          "confirmed_price": None} for s in LINES])
    assert apply_acknowledgements(store, acks, NOW) == [f"{po_id}: rejected"]
    assert states(store)[po_id] == "rejected"


def test_a_person_decides_from_the_command_line(capsys):
    from supplier_pipeline.cli import main
    from supplier_pipeline.lib import settings

    store = Warehouse(None, settings.duckdb_path())
    one = ledger.create(store, "s", LINES, NOW, "test", "proposed")
    two = ledger.create(store, "t", LINES, NOW, "test", "proposed")
    assert main(["po", "list", "--state", "proposed"]) == 0
    assert "2 purchase order(s)" in capsys.readouterr().out
    assert main(["po", "approve", one, "--reviewer", "anna", "--note", "stock is low"]) == 0
    assert main(["po", "reject", one, "--reviewer", "bob"]) == 2  # no longer waiting
    assert f"not waiting for approval: {one}" in capsys.readouterr().err
    assert main(["po", "show", one]) == 0
    shown = capsys.readouterr().out
    assert "stock is low" in shown and "A-1" in shown
    assert states(store) == {one: "approved", two: "proposed"}


def test_a_person_decides_in_the_dagster_ui():
    from supplier_pipeline.definitions import defs as load_defs
    from supplier_pipeline.lib import settings

    store = Warehouse(None, settings.duckdb_path())
    po_id = ledger.create(store, "s", LINES, NOW, "test", "proposed")
    job = load_defs().resolve_job_def("review_purchase_orders_job")
    config = {"po_ids": [po_id], "decision": "reject", "reviewer": "anna", "note": "too dear"}
    result = job.execute_in_process(
        run_config={"ops": {"review_purchase_orders": {"config": config}}})
    assert result.success and states(store) == {po_id: "rejected"}
    events = ledger.events_of(store, po_id)
    assert (events["actor"].iloc[-1], events["reason"].iloc[-1]) == ("anna", "too dear")
    recorded = result.asset_materializations_for_node("review_purchase_orders")
    assert recorded[0].asset_key == dg.AssetKey(["ledger", "purchase_order_events"])


def test_two_overlapping_runs_send_a_po_once(store, tmp_path, monkeypatch):
    po_id = approved_po(store)
    outbox = tmp_path / "outbox"
    move = ledger.transition

    def other_run_sends_first(store_, po, to_state, *args, **kwargs):
        if to_state == "sent" and states(store_)[po] == "approved":
            monkeypatch.setattr(ledger, "transition", move)
            emit_now(store_, outbox)  # the other run, between our files and our `sent`
        return move(store_, po, to_state, *args, **kwargs)

    monkeypatch.setattr(ledger, "transition", other_run_sends_first)
    assert emit_now(store, outbox) == []  # ours found it sent: nothing more
    assert list(store.read("select proposal_id from analytics.po_files")["proposal_id"]) \
        == [po_id]
    assert len(list(outbox.glob("PO-*"))) == 2
