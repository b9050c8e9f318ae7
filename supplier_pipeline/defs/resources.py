"""Every resource, registered once. Secrets and deployment settings come from the
environment through dg.EnvVar, so they never show up in the UI or in run config."""

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from supplier_pipeline.defs.transform.project import dbt_project
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.notify import post_json
from supplier_pipeline.lib.suppliers.config import (
    SupplierConfig,
    SupplierFiles,
    load_suppliers,
    read_supplier_files,
)
from supplier_pipeline.lib.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: PostgreSQL when `dsn` is set, else the DuckDB file."""

    dsn: str | None = None
    duckdb_path: str | None = None

    def get(self) -> Warehouse:
        return Warehouse(self.dsn, self.duckdb_path or settings.duckdb_path())


class SuppliersResource(dg.ConfigurableResource):
    """The supplier registry: one YAML file per supplier in SUPPLIERS_DIR."""

    def config(self, supplier_id: str) -> SupplierConfig:
        files = read_supplier_files()
        if supplier_id in files.configs:
            return files.configs[supplier_id]
        problems = files.problems_of(supplier_id)
        if problems:
            raise dg.Failure(f"supplier {supplier_id!r} is skipped: "
                             + "; ".join(str(p) for p in problems))
        raise dg.Failure(f"unknown or disabled supplier {supplier_id!r}")

    def all(self) -> dict[str, SupplierConfig]:
        return load_suppliers()

    def files(self) -> SupplierFiles:
        """The suppliers that load and the files skipped, with their reasons."""
        return read_supplier_files()


class NotifierResource(dg.ConfigurableResource):
    """Posts alerts as JSON to a webhook (Slack-compatible `text` field); off when unset."""

    webhook_url: str | None = None

    def send(self, payload: dict) -> bool:
        if not self.webhook_url:
            return False
        post_json(self.webhook_url, payload)
        return True


class FoldersResource(dg.ConfigurableResource):
    """The shop's inbox (exports from the order system) and the PO outbox (files for it)."""

    shop_inbox: str | None = None
    po_outbox: str | None = None

    def inbox(self) -> Path:
        return Path(self.shop_inbox) if self.shop_inbox else settings.shop_inbox()

    def outbox(self) -> Path:
        return Path(self.po_outbox) if self.po_outbox else settings.po_outbox()


def dbt_executable() -> str:
    """The dbt of this environment, so runs work without an activated virtualenv (code
    servers started by `dagster dev` do not always inherit the virtualenv's PATH)."""
    for candidate in (Path(sys.prefix, "bin", "dbt"), Path(sys.executable).parent / "dbt"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def _env(name: str) -> dg.EnvVar | None:
    """An optional setting: resolved at run time when set (and not empty), absent otherwise."""
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else None


@dg.definitions
def resources() -> dg.Definitions:
    # Validates the environment when the code location loads: production without its
    # warehouse or folders stops here with the variables named, before any run starts.
    settings.current()
    return dg.Definitions(resources={
        "warehouse": WarehouseResource(dsn=_env("WAREHOUSE_DSN"),
                                       duckdb_path=_env("WAREHOUSE_DUCKDB_PATH")),
        "suppliers": SuppliersResource(),
        "notifier": NotifierResource(webhook_url=_env("ALERT_WEBHOOK_URL")),
        "folders": FoldersResource(shop_inbox=_env("SHOP_INBOX_DIR"),
                                   po_outbox=_env("PO_OUTBOX_DIR")),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    })
