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
from supplier_pipeline.lib.alerting.channels import Channel, channel_settings, configured_channels
from supplier_pipeline.lib.alerting.rules import AlertRules, load_rules
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


class AlertingResource(dg.ConfigurableResource):
    """The alert rules file and the channels alerts go out on. Every channel setting comes
    from the environment (tokens and passwords through dg.EnvVar, never shown in the UI); a
    channel without its settings is off."""

    rules_file: str | None = None
    ui_url: str | None = None
    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None
    slack_channel: str | None = None
    slack_api_url: str | None = None
    smtp_host: str | None = None
    smtp_port: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    smtp_starttls: str | None = None
    smtp_ca_file: str | None = None
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str | None = None
    whatsapp_template: str | None = None
    whatsapp_template_language: str | None = None
    telegram_bot_token: str | None = None
    telegram_api_url: str | None = None

    def rules(self) -> AlertRules:
        """The rules; raises AlertRulesError naming the file and field at fault."""
        return load_rules(Path(self.rules_file) if self.rules_file else None)

    def channels(self) -> dict[str, Channel]:
        return configured_channels(channel_settings(self.model_dump()))


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


# AlertingResource field -> the environment variable that sets it
CHANNEL_VARIABLES = {
    "webhook_url": "ALERT_WEBHOOK_URL", "slack_webhook_url": "SLACK_WEBHOOK_URL",
    "slack_bot_token": "SLACK_BOT_TOKEN", "slack_channel": "SLACK_CHANNEL",
    "slack_api_url": "SLACK_API_URL", "smtp_host": "SMTP_HOST", "smtp_port": "SMTP_PORT",
    "smtp_user": "SMTP_USER", "smtp_password": "SMTP_PASSWORD", "smtp_from": "SMTP_FROM",
    "smtp_starttls": "SMTP_STARTTLS", "smtp_ca_file": "SMTP_CA_FILE",
    "whatsapp_token": "WHATSAPP_TOKEN", "whatsapp_phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "whatsapp_api_url": "WHATSAPP_API_URL", "whatsapp_template": "WHATSAPP_TEMPLATE",
    "whatsapp_template_language": "WHATSAPP_TEMPLATE_LANGUAGE",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN", "telegram_api_url": "TELEGRAM_API_URL",
}


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
        "alerting": AlertingResource(
            rules_file=_env("ALERT_RULES_FILE"), ui_url=_env("DAGSTER_UI_URL"),
            **{name: _env(variable) for name, variable in CHANNEL_VARIABLES.items()}),
        "folders": FoldersResource(shop_inbox=_env("SHOP_INBOX_DIR"),
                                   po_outbox=_env("PO_OUTBOX_DIR")),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    })
