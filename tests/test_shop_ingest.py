"""The shop's exports: good rows go through, bad rows are quarantined with a reason, and an
unreadable file leaves the previous data in place."""

import dagster as dg
import pytest

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource
from supplier_pipeline.defs.shop.assets import repair_orders, shop_parts
from supplier_pipeline.lib.shop.ingest import (
    OpenPurchaseOrder,
    RepairOrder,
    ShopFileError,
    read_shop_file,
)

HEADER = "order_id,created_at,device_model,repair_type,part_id,quantity,status,completed_at\n"


def test_bad_rows_are_quarantined_with_reasons(tmp_path):
    path = tmp_path / "repair_orders.csv"
    day = "2026-11-01T10:00:00+00:00"
    path.write_text(HEADER
                    + f"R1,{day},iPhone 12,battery_replacement,p1,1,completed,\n"
                    + "R2,yesterday,iPhone 12,battery_replacement,p1,1,completed,\n"
                    + f"R3,{day},iPhone 12,battery_replacement,p1,-2,completed,\n"
                    + f"R4,{day},Nokia,battery_replacement,zz,1,completed,\n"
                    + f"R1,{day},iPhone 12,battery_replacement,p1,1,completed,\n"
                    + f"R5,{day},iPhone 12,screen_replacement,p1,1,completed,\n"
                    + f"R5,{day},iPhone 12,screen_replacement,p2,1,completed,\n")
    result = read_shop_file(path, RepairOrder, known_parts={"p1", "p2"})
    # a repair that uses two parts is two rows with one order id, both kept
    assert [(r["order_id"], r["part_id"]) for r in result.good] == [
        ("R1", "p1"), ("R5", "p1"), ("R5", "p2")]
    reasons = {q["line"]: q["reason"] for q in result.quarantined}
    assert "created_at" in reasons[3]
    assert "quantity" in reasons[4]
    assert "unknown part_id 'zz'" in reasons[5]
    assert "duplicate row for order_id 'R1', part_id 'p1'" in reasons[6]


def test_a_multi_line_purchase_order_is_read_whole(tmp_path):
    path = tmp_path / "open_purchase_orders.csv"
    path.write_text("po_id,line,supplier_id,part_id,quantity,ordered_at,expected_at\n"
                    "PO-7,1,s,p1,2,2026-11-01T10:00:00+00:00,\n"
                    "PO-7,2,s,p2,5,2026-11-01T10:00:00+00:00,\n"
                    "PO-7,2,s,p2,5,2026-11-01T10:00:00+00:00,\n")
    result = read_shop_file(path, OpenPurchaseOrder, known_parts={"p1", "p2"})
    assert [(r["po_id"], r["line"], r["quantity"]) for r in result.good] == [
        ("PO-7", 1, 2), ("PO-7", 2, 5)]
    assert [q["line"] for q in result.quarantined] == [4]  # the repeated line only
    # an export without line numbers: one row per PO and part
    path.write_text("po_id,supplier_id,part_id,quantity,ordered_at\n"
                    "PO-8,s,p1,2,2026-11-01T10:00:00+00:00\n"
                    "PO-8,s,p2,1,2026-11-01T10:00:00+00:00\n")
    assert len(read_shop_file(path, OpenPurchaseOrder, known_parts={"p1", "p2"}).good) == 2


def test_missing_columns_are_an_error(tmp_path):
    path = tmp_path / "repair_orders.csv"
    path.write_text("order_id,created_at\nR1,2026-11-01\n")
    with pytest.raises(ShopFileError, match="missing columns"):
        read_shop_file(path, RepairOrder)


def test_unreadable_export_keeps_the_previous_data(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "parts.csv").write_text(
        "part_id,brand,device_model,part_type,quality,colour,ean\n"
        "p1,Apple,iPhone 12,battery,original,,\n")
    (inbox / "repair_orders.csv").write_text(
        HEADER + "R1,2026-11-01T10:00:00+00:00,iPhone 12,battery_replacement,p1,1,completed,\n")
    resources = {"folders": FoldersResource(shop_inbox=str(inbox)),
                 "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb"))}
    assert dg.materialize([shop_parts, repair_orders], resources=resources).success

    (inbox / "repair_orders.csv").write_text("order_id;created_at\nbroken\n")
    result = dg.materialize([shop_parts, repair_orders], resources=resources,
                            raise_on_error=False)
    assert not result.success
    store = resources["warehouse"].get()
    assert list(store.read("select order_id from raw.repair_orders")["order_id"]) == ["R1"]
