import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from supplier_pipeline.demo.world import SUPPLIERS_DIR as DEMO_DIR
from supplier_pipeline.lib.suppliers import config as supplier_config
from supplier_pipeline.lib.suppliers.config import (
    TEMPLATE_DIR,
    SupplierConfigError,
    load_supplier,
    load_suppliers,
    read_supplier_files,
    supplier_ids,
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


def shop(supplier_id: str, *extra: str) -> str:
    return "\n".join([f"id: {supplier_id}", "name: A shop", "base_url: http://127.0.0.1:1",
                      "engine: feed", "feed: {kind: csv, path: /list.csv, columns: {sku: code}}",
                      "price: {vat_included: false, vat_rate: 22}", *extra]) + "\n"


@pytest.fixture
def mixed_folders(monkeypatch, tmp_path) -> tuple[Path, Path]:
    """Two folders of SUPPLIERS_DIR: good files beside every kind of broken one."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first, "good_one", shop("good_one"))
    write(second, "good_two", shop("good_two", "enabled: true"))
    write(first, "broken", "id: broken\nname: [unclosed\n")
    write(first, "incomplete", shop("incomplete").replace("vat_included: false, ", ""))
    write(first, "unset_url", shop("unset_url").replace("http://127.0.0.1:1", "${UNSET_URL}"))
    write(first, "sleeping", shop("sleeping", "enabled: false")
          .replace("http://127.0.0.1:1", "${SLEEPING_URL}"))
    write(first, "bad_cron", shop("bad_cron", "schedule: {prices_cron: '0 */4 * *'}"))
    write(first, "twice", shop("twice"))
    write(second, "twice", shop("twice"))
    monkeypatch.setenv("SUPPLIERS_DIR", os.pathsep.join([str(first), str(second)]))
    return first, second


def test_broken_files_are_skipped_and_every_other_supplier_loads(mixed_folders):
    files = read_supplier_files(environ={})
    assert set(files.configs) == {"good_one", "good_two"}
    assert {p.supplier_id for p in files.problems} == {"broken", "incomplete", "unset_url",
                                                       "bad_cron", "twice"}
    assert supplier_ids() == ["good_one", "good_two"]  # what the partitions are made of


@pytest.mark.parametrize(("name", "field", "reason"), [
    ("broken", None, "not valid YAML"),
    ("incomplete", "price.vat_included", "Field required"),
    ("unset_url", "base_url", "environment variable UNSET_URL is referenced but not set"),
    ("bad_cron", "schedule.prices_cron", "is not a 5-field cron expression"),
])
def test_a_skipped_file_is_reported_with_its_field_and_reason(mixed_folders, name, field,
                                                              reason):
    first, _ = mixed_folders
    [problem] = read_supplier_files(environ={}).problems_of(name)
    assert (problem.file, problem.field) == (first / f"{name}.yaml", field)
    assert reason in problem.reason
    assert str(first / f"{name}.yaml") in str(problem)


def test_the_same_id_in_two_folders_names_both_files_and_loads_neither(mixed_folders):
    first, second = mixed_folders
    problems = read_supplier_files(environ={}).problems_of("twice")
    assert [(p.file, p.field) for p in problems] == [(first / "twice.yaml", "id"),
                                                     (second / "twice.yaml", "id")]
    assert all(str(first / "twice.yaml") in str(p) and str(second / "twice.yaml") in str(p)
               for p in problems)


def test_a_disabled_file_is_never_expanded(mixed_folders):
    assert read_supplier_files(environ={}).problems_of("sleeping") == []
    # asked for explicitly (the probe), it is expanded, and its unset variable is reported
    everything = read_supplier_files(include_disabled=True, environ={})
    assert [p.field for p in everything.problems_of("sleeping")] == ["base_url"]
    with_url = read_supplier_files(include_disabled=True, environ={"SLEEPING_URL": "http://x"})
    assert not with_url.configs["sleeping"].enabled


def test_skipped_files_are_logged_once_and_tabled_for_the_ui(mixed_folders, caplog,
                                                             monkeypatch):
    monkeypatch.setattr(supplier_config, "_logged", set())
    with caplog.at_level(logging.WARNING):
        files = read_supplier_files(environ={})
        read_supplier_files(environ={})  # the code location reads the folder several times
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == len(files.problems) == 6
    assert any("unset_url.yaml: field `base_url`" in message for message in logged)
    table = files.problems_table()
    assert table.count("\n") == 1 + len(files.problems)
    assert "| base_url | environment variable UNSET_URL" in table


LOAD = """
import json
from supplier_pipeline.definitions import defs
d = defs()
partitions = d.resolve_job_def("scrape_suppliers_job").partitions_def
print(json.dumps({
    "suppliers": partitions.get_partitions_def_for_dimension("supplier").get_partition_keys(),
    "schedules": sorted(s.name for s in d.schedules)}))
"""


def test_the_code_location_loads_beside_broken_supplier_files(mixed_folders, tmp_path):
    env = {**os.environ, "SUPPLIER_PIPELINE_DATA_DIR": str(tmp_path / "data"),
           "SUPPLIER_PIPELINE_STATE_DIR": str(tmp_path / "state")}
    env.pop("UNSET_URL", None)
    result = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded["suppliers"] == ["good_one", "good_two"]
    assert {"prices_good_one_schedule", "catalog_good_two_schedule"} <= set(loaded["schedules"])
    assert not any("broken" in name or "twice" in name for name in loaded["schedules"])
    assert "supplier file skipped" in result.stderr and "broken.yaml" in result.stderr


def test_the_registry_asset_shows_the_skipped_files(mixed_folders, tmp_path):
    import dagster as dg

    from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource
    from supplier_pipeline.defs.scrape.assets import supplier_registry

    result = dg.materialize([supplier_registry], resources={
        "suppliers": SuppliersResource(),
        "warehouse": WarehouseResource(duckdb_path=str(tmp_path / "warehouse.duckdb"))})
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["ids"].value == "good_one, good_two"
    assert "broken.yaml | (whole file) | not valid YAML" in metadata[
        "skipped supplier files"].value


def priced(vat_rate: str) -> str:
    """A supplier file whose VAT rate is written as a person would (block style: `22,0`)."""
    return shop("shop_v").replace("price: {vat_included: false, vat_rate: 22}",
                                  f"price:\n  vat_included: false\n  vat_rate: {vat_rate}")


@pytest.mark.parametrize(("written", "rate"), [("22", 22.0), ("22,0", 22.0), ("'10,5'", 10.5),
                                               ("7.7", 7.7), ("' 19 '", 19.0)])
def test_vat_rate_accepts_a_decimal_comma(tmp_path, written, rate):
    path = write(tmp_path, "shop_v", priced(written))
    assert load_supplier(path, environ={}).price.vat_rate == rate


@pytest.mark.parametrize("written", ["'22,0,0'", "'twenty'", "'60'"])
def test_vat_rate_that_is_not_a_rate_names_the_field(tmp_path, written):
    path = write(tmp_path, "shop_v", priced(written))
    with pytest.raises(SupplierConfigError, match="price.vat_rate"):
        load_supplier(path, environ={})


def test_order_terms_per_supplier_and_category_reach_the_warehouse(tmp_path, monkeypatch):
    import dagster as dg

    from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource
    from supplier_pipeline.defs.scrape.assets import supplier_registry

    write(tmp_path, "terms", shop("terms", "purchasing:", "  handling_fee: 2.50",
                                  "  order_terms: {min_order_quantity: 2}",
                                  "  category_order_terms:",
                                  "    display: {min_order_quantity: 1, order_multiple: 5}"))
    monkeypatch.setenv("SUPPLIERS_DIR", str(tmp_path))
    store = WarehouseResource(duckdb_path=str(tmp_path / "warehouse.duckdb"))
    dg.materialize([supplier_registry], resources={"suppliers": SuppliersResource(),
                                                   "warehouse": store})
    terms = store.get().read("select category, min_order_quantity, order_multiple "
                             "from raw.supplier_order_terms order by category nulls first")
    assert terms.values.tolist() == [[None, 2, 1], ["display", 1, 5]]
    fee = store.get().read("select handling_fee from raw.suppliers")["handling_fee"].iloc[0]
    assert float(fee) == 2.5


def test_every_supplier_file_key_is_in_the_readme_reference():
    """A key added to the supplier file without a line in the README's reference fails here:
    the reference is what someone onboarding a shop reads."""
    import re
    from pathlib import Path

    from pydantic import BaseModel

    from supplier_pipeline.lib.suppliers import config as models

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    reference = readme.split("### Supplier file reference", 1)[1].split("\n#", 1)[0]
    documented = set(re.findall(r"`([a-z_.]+)`", reference))

    def keys(model: type[BaseModel], prefix: str) -> list[str]:
        found = []
        for name, info in model.model_fields.items():
            mapping = getattr(info.annotation, "__origin__", None) is dict  # per category
            inner = [] if mapping else [
                a for a in (info.annotation, *getattr(info.annotation, "__args__", ()))
                if isinstance(a, type) and issubclass(a, BaseModel)]
            if inner and inner[0] is not models.FieldRule:
                found += keys(inner[0], f"{prefix}{name}.")
            else:
                found.append(f"{prefix}{name}")
        return found

    missing = [k for k in keys(models.SupplierConfig, "") if k not in documented
               and not any(d.startswith(k + ".") for d in documented)]
    assert missing == []
