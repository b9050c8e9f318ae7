"""The shop boundary's Great Expectations suites: every export arriving is validated as a file,
the verdicts are asset checks naming the failing expectations and rows, an export failing a
blocking expectation is kept aside whole with its report, and Data Docs are built."""

import ast
import codecs
import json
from pathlib import Path

import dagster as dg
import pytest

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource
from supplier_pipeline.defs.shop.assets import repair_orders, shop_parts, stock_on_hand
from supplier_pipeline.lib.shop.expectations import DOCS_FOLDER, suite
from supplier_pipeline.lib.shop.ingest import decode
from supplier_pipeline.lib.shop.rejected import keep_aside

DAY = "2026-11-30T10:00:00+00:00"
PARTS = "part_id,brand,device_model,part_type,quality,colour,ean\n" + "".join(
    f"p{i},Apple,iPhone 12,battery,original,,\n" for i in range(40))
STOCK_HEADER = "part_id,on_hand,counted_at\n"
REPAIRS_HEADER = ("order_id,created_at,device_model,repair_type,part_id,quantity,status,"
                  "completed_at\n")


def stock(count: int, counted_at: str = DAY) -> str:
    return STOCK_HEADER + "".join(f"p{i},{i % 5},{counted_at}\n" for i in range(count))


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    """One data folder (GX context, Data Docs) for the module: GX is slow to start."""
    return tmp_path_factory.mktemp("gx_data")


@pytest.fixture
def shop(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("SUPPLIER_PIPELINE_DATA_DIR", str(shared_data))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "parts.csv").write_text(PARTS)
    resources = {"folders": FoldersResource(shop_inbox=str(inbox)),
                 "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb"))}

    def run(*assets, **config):
        run_config = ({"ops": {a.key.to_python_identifier(): {"config": config} for a in assets}}
                      if config else None)
        return dg.materialize([shop_parts, *assets], resources=resources,
                              run_config=run_config, raise_on_error=False)

    def rows(table: str) -> int:
        store = resources["warehouse"].get()
        return int(store.read(f"select count(*) as n from {table}")["n"].iloc[0])

    run.inbox, run.rows = inbox, rows
    return run


def checks(result, asset: str) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()
            if e.asset_key == dg.AssetKey(["raw", asset])}


def md(evaluation, name: str) -> str:
    return evaluation.metadata[name].value


def reports(inbox) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((inbox / "rejected").glob("*.json"))]


def test_a_good_export_passes_every_expectation_and_builds_data_docs(shop, shared_data):
    (shop.inbox / "stock_on_hand.csv").write_text(stock(30))
    result = shop(stock_on_hand)
    assert result.success
    evaluations = checks(result, "stock_on_hand")
    assert set(evaluations) == {
        "required_columns_present", "export_not_collapsed", "export_has_usable_rows",
        "columns_as_documented", "values_have_expected_types", "quantities_in_range",
        "dates_parseable", "keys_unique", "parts_known"}
    assert all(e.passed for e in evaluations.values())
    assert all(e.passed for e in checks(result, "shop_parts").values())
    assert evaluations["keys_unique"].metadata["expectations"].value == 1
    materialization = result.asset_materializations_for_node("raw__stock_on_hand")[0]
    assert materialization.metadata["encoding"].value == "utf-8"
    index = shared_data / DOCS_FOLDER / "index.html"
    assert materialization.metadata["data_docs"].value == str(index)
    assert index.exists() and "stock_on_hand" in index.read_text()
    assert list((shared_data / DOCS_FOLDER / "validations" / "stock_on_hand").rglob("*.html"))


def test_header_only_and_all_bad_exports_are_kept_aside_and_the_previous_data_stays(shop):
    (shop.inbox / "stock_on_hand.csv").write_text(stock(30))
    assert shop(stock_on_hand).success

    (shop.inbox / "stock_on_hand.csv").write_text(STOCK_HEADER)  # a half-written file
    result = shop(stock_on_hand)
    assert not result.success and shop.rows("raw.stock_on_hand") == 30
    assert not checks(result, "stock_on_hand")["export_not_collapsed"].passed
    [report] = reports(shop.inbox)
    assert "export_not_collapsed: 0 rows, expected at least 15" in report["refused_because"]
    assert "the export holds no rows" in report["refused_because"]
    copies = (shop.inbox / "rejected").glob("*-stock_on_hand.csv")
    assert [p.read_text() for p in copies] == [STOCK_HEADER]  # kept whole, as delivered

    # every row bad (a date format change): kept aside too, the rows quarantined with reasons
    (shop.inbox / "stock_on_hand.csv").write_text(stock(30, counted_at="30/11/2026"))
    result = shop(stock_on_hand)
    assert not result.success and shop.rows("raw.stock_on_hand") == 30
    evaluations = checks(result, "stock_on_hand")
    assert not evaluations["export_has_usable_rows"].passed
    assert "every row is bad (30 quarantined)" in md(evaluations["export_has_usable_rows"],
                                                     "failing_expectations")
    assert evaluations["export_has_usable_rows"].severity == dg.AssetCheckSeverity.ERROR
    assert "kept_aside" in evaluations["dates_parseable"].metadata
    latest = reports(shop.inbox)[-1]
    assert latest["quarantined"] == 30 and latest["encoding"] == "utf-8"
    assert not next(c for c in latest["checks"] if c["name"] == "dates_parseable")["passed"]
    assert shop.rows("raw.shop_quarantine") == 30

    # the same bytes refused again are kept once
    assert not shop(stock_on_hand).success and len(reports(shop.inbox)) == 2


def test_a_duplicated_key_fails_its_expectation_with_the_rows_named(shop):
    lines = stock(30).splitlines(keepends=True)
    (shop.inbox / "stock_on_hand.csv").write_text("".join(lines) + lines[3])  # p2 again
    result = shop(stock_on_hand)
    assert result.success and shop.rows("raw.stock_on_hand") == 30  # the duplicate quarantined
    unique = checks(result, "stock_on_hand")["keys_unique"]
    assert not unique.passed and unique.severity == dg.AssetCheckSeverity.WARN
    failing = md(unique, "failing_expectations")
    assert "`expect_column_values_to_be_unique` on `part_id`" in failing
    assert "(lines 4, 32)" in failing
    rows = md(unique, "failing_rows")
    assert "| line | part_id | on_hand | counted_at |" in rows and "| 32 | p2 |" in rows
    assert all(e.passed for name, e in checks(result, "stock_on_hand").items()
               if name != "keys_unique")


def test_an_unparseable_date_column_fails_the_date_expectation(shop):
    repairs = REPAIRS_HEADER + "".join(
        f"R{i},30.11.2026 10:00,iPhone 12,battery_replacement,p1,1,completed,\n"
        for i in range(5))
    (shop.inbox / "repair_orders.csv").write_text(repairs)
    result = shop(repair_orders)
    assert not result.success  # every row is bad: nothing replaces the previous repairs
    dates = checks(result, "repair_orders")["dates_parseable"]
    assert not dates.passed
    failing = md(dates, "failing_expectations")
    assert "`expect_column_values_to_match_regex` on `created_at`" in failing
    assert "5 of 5 values (100%) fail, e.g. '30.11.2026 10:00'" in failing
    assert "| 2 | R0 | 30.11.2026 10:00 |" in md(dates, "failing_rows")


def test_a_shrunk_export_is_refused(shop):
    (shop.inbox / "stock_on_hand.csv").write_text(stock(30))
    assert shop(stock_on_hand).success
    (shop.inbox / "stock_on_hand.csv").write_text(stock(10))
    result = shop(stock_on_hand)
    assert not result.success and shop.rows("raw.stock_on_hand") == 30
    shrink = checks(result, "stock_on_hand")["export_not_collapsed"]
    assert "10 rows, expected at least 15" in md(shrink, "failing_expectations")
    assert len(reports(shop.inbox)) == 1
    # a person checked it: taken
    assert shop(stock_on_hand, accept_smaller_export=True).success
    assert shop.rows("raw.stock_on_hand") == 10


def test_stock_of_unknown_parts_is_flagged(shop):
    (shop.inbox / "stock_on_hand.csv").write_text(
        stock(30) + f"p404,2,{DAY}\n" + f"p405,1,{DAY}\n")
    result = shop(stock_on_hand)
    assert result.success and shop.rows("raw.stock_on_hand") == 30
    known = checks(result, "stock_on_hand")["parts_known"]
    assert not known.passed
    assert "2 of 32 values (6%) fail, e.g. 'p404', 'p405' (lines 32, 33)" in md(
        known, "failing_expectations")
    assert "| 33 | p405 |" in md(known, "failing_rows")
    assert shop.rows("raw.shop_quarantine") == 2


def test_a_windows_export_says_which_encoding_and_why(shop):
    (shop.inbox / "stock_on_hand.csv").write_bytes(stock(3).encode("cp1252"))
    (shop.inbox / "parts.csv").write_bytes(
        (PARTS + "pé,Apple,iPhone 12,écran,original,,\n").encode("cp1252"))
    result = shop(stock_on_hand)
    assert result.success
    parts = result.asset_materializations_for_node("raw__shop_parts")[0].metadata
    assert parts["encoding"].value == "windows-1252"
    assert "is not UTF-8; every byte is defined in Windows-1252" in \
        parts["encoding_evidence"].value
    assert checks(result, "shop_parts")["keys_unique"].metadata["encoding"].value.startswith(
        "windows-1252 (")


@pytest.mark.parametrize(("raw", "encoding"), [
    ("pièce".encode(), "utf-8"),
    (codecs.BOM_UTF8 + "pièce".encode(), "utf-8 (BOM)"),
    ("pièce €".encode("cp1252"), "windows-1252"),
    (b"pi\xe8ce \x81", "latin-1"),  # 0x81 is undefined in Windows-1252
    ("pièce".encode("utf-16"), "utf-16 (BOM)"),
])
def test_encodings_are_detected_from_the_bytes(raw, encoding):
    text, found, evidence = decode(raw)
    assert found == encoding and text.startswith("pi") and evidence


def test_the_suite_follows_the_row_model():
    expectations = suite("open_purchase_orders",
                         ["po_id", "supplier_id", "part_id", "quantity", "ordered_at"], True)
    by_type = {(e.type, e.kwargs.get("column")): e for e in expectations}
    # an export without line numbers is keyed by PO and part, as the row validation does
    assert [e.kwargs for e in expectations if e.check == "keys_unique"] == [
        {"column_list": ["po_id", "part_id"]}]
    assert by_type["ExpectColumnValuesToBeBetween", "quantity as number"].kwargs == {
        "column": "quantity as number", "min_value": 0, "strict_min": True}
    assert ("ExpectColumnValuesToMatchRegex", "ordered_at") in by_type
    assert ("ExpectColumnToExist", "line") not in by_type  # optional
    assert not [e for e in expectations if e.check == "export_not_collapsed"]  # not a snapshot


def test_the_same_rejected_bytes_are_kept_once(tmp_path):
    from datetime import UTC, datetime

    export = tmp_path / "stock_on_hand.csv"
    export.write_text(STOCK_HEADER)
    first = keep_aside(export, {"refused_because": "empty"}, datetime.now(UTC))
    assert keep_aside(export, {"refused_because": "empty"}, datetime.now(UTC)) == first
    export.write_text(STOCK_HEADER + "p1,x,\n")
    assert keep_aside(export, {}, datetime.now(UTC)) != first
    assert len(list((tmp_path / "rejected").glob("*.json"))) == 2


def test_great_expectations_is_imported_inside_the_checks_only():
    """Its import costs seconds: no module the code location loads imports it at top level."""
    import supplier_pipeline.defs.shop.assets as assets
    import supplier_pipeline.lib.shop.expectations as expectations

    for module in (assets, expectations):
        tree = ast.parse(Path(module.__file__).read_text())
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.startswith("great_expectations")], module.__name__
