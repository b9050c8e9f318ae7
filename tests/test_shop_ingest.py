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
    ShopPart,
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


def test_answers_of_the_order_system_with_bad_rows_are_quarantined(tmp_path):
    from supplier_pipeline.lib.shop.ingest import GoodsReceived, PoAcknowledgement

    acks = tmp_path / "po_acknowledgements.csv"
    acks.write_text("po_id,supplier_sku,order_number,status,confirmed_quantity,confirmed_price,"
                    "acknowledged_at\n"
                    "PO-1,A,OS-1,accepted,2,10.50,2026-11-30T10:00:00+00:00\n"
                    "PO-1,B,OS-1,maybe,2,3.00,2026-11-30T10:00:00+00:00\n"
                    "PO-1,C,OS-1,accepted,-1,3.00,2026-11-30T10:00:00+00:00\n"
                    "PO-1,A,OS-1,accepted,2,10.50,2026-11-30T10:00:00+00:00\n")
    result = read_shop_file(acks, PoAcknowledgement)
    assert [r["supplier_sku"] for r in result.good] == ["A"]
    reasons = {q["line"]: q["reason"] for q in result.quarantined}
    assert "status" in reasons[3] and "confirmed_quantity" in reasons[4]
    assert "duplicate row for po_id 'PO-1', supplier_sku 'A'" in reasons[5]
    receipts = tmp_path / "goods_received.csv"
    receipts.write_text("po_id,supplier_sku,quantity,received_at,invoiced_price\n"
                        "PO-1,A,1,2026-11-30T10:00:00+00:00,10.50\n"
                        "PO-1,A,1,2026-12-01T10:00:00+00:00,\n"
                        "PO-1,A,0,2026-12-02T10:00:00+00:00,10.50\n")
    result = read_shop_file(receipts, GoodsReceived)
    assert len(result.good) == 2  # two deliveries of one line
    assert "quantity" in result.quarantined[0]["reason"]


PARTS_HEADER = "part_id,brand,device_model,part_type,quality,colour,ean\n"


def parts_csv(count: int) -> str:
    return PARTS_HEADER + "".join(f"p{i},Apple,iPhone 12,battery,original,,\n"
                                  for i in range(count))


def ingest(tmp_path, **config):
    resources = {"folders": FoldersResource(shop_inbox=str(tmp_path / "inbox")),
                 "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb"))}
    run_config = {"ops": {"raw__shop_parts": {"config": config}}} if config else None
    return dg.materialize([shop_parts], resources=resources, run_config=run_config,
                          raise_on_error=False)


def test_an_export_that_collapses_is_refused_and_the_previous_data_kept(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "parts.csv").write_text(parts_csv(30))
    assert ingest(tmp_path).success
    store = WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb")).get()

    def kept() -> int:
        return int(store.read("select count(*) as n from raw.shop_parts")["n"].iloc[0])

    (inbox / "parts.csv").write_text(PARTS_HEADER)  # header only: a half-written file
    failed = ingest(tmp_path)
    assert not failed.success and kept() == 30
    message = failed.get_step_failure_events()[0].event_specific_data.error.message
    assert "the export holds no rows; the previous data is kept" in message
    (inbox / "parts.csv").write_text(PARTS_HEADER + "p1,Apple,,battery,,,\n")  # all bad
    assert not ingest(tmp_path).success and kept() == 30
    reasons = store.read("select reason from raw.shop_quarantine where source = 'shop_parts'")
    assert len(reasons) == 1  # the bad row is kept aside with its reason
    (inbox / "parts.csv").write_text(parts_csv(10))  # a third of yesterday's parts
    assert not ingest(tmp_path).success and kept() == 30
    assert ingest(tmp_path, accept_smaller_export=True).success and kept() == 10


def test_a_windows_export_is_decoded_and_says_so(tmp_path):
    path = tmp_path / "parts.csv"
    path.write_bytes((PARTS_HEADER + "p1,Apple,iPhone 12,écran,original,,\n").encode("cp1252"))
    result = read_shop_file(path, ShopPart)
    assert result.encoding == "windows-1252" and result.good[0]["part_type"] == "écran"
