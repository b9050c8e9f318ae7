"""Shops shaped like real wholesalers (#17), each onboarded with its one supplier file from
supplier_pipeline/demo/shapes/suppliers, run through the Dagster assets the schedules run:
the daily catalogue sync, then the 4-hourly prices scrape (which on the PrestaShop-like shop,
whose listings show no code, keys offers by the codes the sync learnt).

The code location's supplier partitions are read from SUPPLIERS_DIR when it is imported, so
the assets run in a fresh process whose SUPPLIERS_DIR holds the shape shops' files; the
warehouse it writes is then read here against each shop's ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.shapes.prestashop import PrestaShop
from supplier_pipeline.demo.shapes.serve import SUPPLIERS
from supplier_pipeline.demo.shapes.woocommerce import WooShop
from supplier_pipeline.lib.warehouse import Warehouse

CREDENTIALS = {"PRESTA_SHOP_EMAIL": "buyer@example.test", "PRESTA_SHOP_PASSWORD": "presta-test",
               "WOO_SHOP_USER": "buyer@example.test", "WOO_SHOP_PASSWORD": "woo-test"}

RUN = """
import json, sys
import dagster as dg
from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource
from supplier_pipeline.defs.scrape.assets import supplier_catalog, supplier_offers

duckdb_path, day, window = sys.argv[1:4]
resources = {"suppliers": SuppliersResource(),
             "warehouse": WarehouseResource(duckdb_path=duckdb_path)}
outcome = {}
for supplier in ("presta_shop", "woo_shop"):
    for asset, key in ((supplier_catalog, {"supplier": supplier, "day": day}),
                       (supplier_offers, {"supplier": supplier, "window": window})):
        result = dg.materialize([asset], resources=resources, raise_on_error=False,
                                partition_key=dg.MultiPartitionKey(key))
        checks = result.get_asset_check_evaluations()
        outcome[f"{supplier} {asset.key.to_user_string()}"] = {
            "success": result.success,
            "failed_checks": [c.check_name for c in checks if not c.passed]}
print(json.dumps(outcome))
"""


@pytest.fixture(scope="module")
def shops():
    presta = PrestaShop(size=60, email=CREDENTIALS["PRESTA_SHOP_EMAIL"],
                        password=CREDENTIALS["PRESTA_SHOP_PASSWORD"])
    woo = WooShop(size=40, user=CREDENTIALS["WOO_SHOP_USER"],
                  password=CREDENTIALS["WOO_SHOP_PASSWORD"])
    servers = [BackgroundServer(presta.app()).start(), BackgroundServer(woo.app()).start()]
    yield presta, woo, servers[0].url, servers[1].url
    for server in servers:
        server.stop()


def test_both_shapes_run_their_catalogue_sync_and_prices_scrape_as_dagster_assets(shops,
                                                                                  tmp_path):
    presta, woo, presta_url, woo_url = shops
    now = datetime.now(UTC)
    day, window = f"{now:%Y-%m-%d}", f"{now:%Y-%m-%d}-{now.hour // 4 * 4:02}:00"
    duckdb_path = tmp_path / "warehouse.duckdb"
    env = {**os.environ, **CREDENTIALS, "SUPPLIERS_DIR": str(SUPPLIERS),
           "PRESTA_SHOP_URL": presta_url, "WOO_SHOP_URL": woo_url,
           "SUPPLIER_PIPELINE_DATA_DIR": str(tmp_path / "data"),
           "SUPPLIER_PIPELINE_STATE_DIR": str(tmp_path / "state"),
           "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    done = subprocess.run([sys.executable, "-c", RUN, str(duckdb_path), day, window], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(outcome) == 4
    assert all(o == {"success": True, "failed_checks": []} for o in outcome.values()), outcome

    store = Warehouse(None, duckdb_path)
    runs = store.read("select supplier_id, mode, status from raw.scrape_runs order by 1, 2")
    assert runs.to_dict("records") == [
        {"supplier_id": s, "mode": m, "status": "ok"}
        for s in ("presta_shop", "woo_shop") for m in ("catalog", "prices")]
    for supplier, shop in (("presta_shop", presta), ("woo_shop", woo)):
        truth = shop.truth()
        for table in ("raw.supplier_catalog", "raw.supplier_offers"):
            rows = store.read(f"select supplier_sku, price_net, stock_state, stock_qty "
                              f"from {table} where supplier_id = ?", [supplier])
            # every offer once, keyed by the supplier's own code (variations included), with
            # the price, the stock state and the quantity the shop holds
            assert sorted(rows["supplier_sku"]) == sorted(truth), (supplier, table)
            for row in rows.itertuples():
                held = truth[row.supplier_sku]
                assert Decimal(str(row.price_net)) == held.price_net, (supplier, table, row)
                assert row.stock_state == held.stock_state, (supplier, table, row)
                if table == "raw.supplier_catalog" and held.quantity is not None:
                    assert row.stock_qty == held.quantity, (supplier, table, row)
