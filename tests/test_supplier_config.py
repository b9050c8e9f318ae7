import os
from pathlib import Path

import pytest

from supplier_pipeline.demo.world import SUPPLIERS_DIR as DEMO_DIR
from supplier_pipeline.lib.suppliers.config import (
    TEMPLATE_DIR,
    SupplierConfigError,
    load_supplier,
    load_suppliers,
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_shipped_configs_are_valid_and_the_template_is_disabled(monkeypatch):
    monkeypatch.setenv("SUPPLIERS_DIR", os.pathsep.join([str(DEMO_DIR), str(TEMPLATE_DIR)]))
    configs = load_suppliers(include_disabled=True, environ={})
    assert set(configs) == {"ricambi_italia", "fixparts_js", "teile_feed", "newbest_ricambi"}
    assert not configs["newbest_ricambi"].enabled
    assert set(load_suppliers(environ={})) == {"ricambi_italia", "fixparts_js", "teile_feed"}


def test_suppliers_come_only_from_suppliers_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPLIERS_DIR", str(tmp_path))
    assert load_suppliers(environ={}) == {}
    write(tmp_path, "teile_feed", (DEMO_DIR / "teile_feed.yaml").read_text())
    assert set(load_suppliers(environ={})) == {"teile_feed"}
    monkeypatch.setenv("SUPPLIERS_DIR", "")  # empty is unset: no folder, no suppliers
    assert load_suppliers(environ={}) == {}


def test_no_credentials_in_supplier_files():
    for path in [*DEMO_DIR.glob("*.yaml"), *TEMPLATE_DIR.glob("*.yaml")]:
        text = path.read_text()
        assert "password:" not in text.replace("password_field", "").replace("password_env", "")


def test_error_names_the_file_and_the_field(tmp_path):
    path = write(tmp_path, "shop_x", """
id: shop_x
name: Shop X
base_url: http://127.0.0.1:1
engine: html
listing: {start_path: /, item: .p, fields: {sku: .sku::text}}
price: {vat_included: maybe, vat_rate: 22}
""")
    with pytest.raises(SupplierConfigError) as error:
        load_supplier(path, environ={})
    assert str(path) in str(error.value)
    assert "price.vat_included" in str(error.value)


def test_missing_environment_variable_is_named(tmp_path):
    path = write(tmp_path, "shop_y", """
id: shop_y
name: Shop Y
base_url: ${SHOP_Y_URL}
engine: feed
feed: {kind: csv, path: /list.csv, columns: {sku: code}}
price: {vat_included: false, vat_rate: 22}
""")
    with pytest.raises(SupplierConfigError, match="SHOP_Y_URL"):
        load_supplier(path, environ={})
    assert load_supplier(path, environ={"SHOP_Y_URL": "http://x"}).base_url == "http://x"


def test_robots_override_must_state_why(tmp_path):
    path = write(tmp_path, "shop_z", """
id: shop_z
name: Shop Z
base_url: http://127.0.0.1:1
engine: feed
feed: {kind: json_api, path: /api, columns: {sku: sku}}
price: {vat_included: false, vat_rate: 22}
politeness: {respect_robots: false}
""")
    with pytest.raises(SupplierConfigError, match="robots_override_reason"):
        load_supplier(path, environ={})


def test_id_must_match_file_name(tmp_path):
    path = write(tmp_path, "other", (DEMO_DIR / "teile_feed.yaml").read_text())
    with pytest.raises(SupplierConfigError, match="must match the file name"):
        load_supplier(path, environ={})
