"""Every setting the pipeline reads from its environment, in one model.

An empty value counts as unset: copying `.env.example` to `.env` sets `SHOP_INBOX_DIR=`, and
an empty path would silently mean "the current folder". In production
(`SUPPLIER_PIPELINE_ENV=production`) nothing falls back to the embedded default: without a
PostgreSQL warehouse, real folders and a suppliers folder the code location refuses to load,
naming every missing variable, rather than writing a local DuckDB file nobody backs up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# name -> why production cannot run without it
REQUIRED_IN_PRODUCTION = {
    "WAREHOUSE_DSN": "the warehouse must be PostgreSQL (DuckDB is the laptop default)",
    "SHOP_INBOX_DIR": "the folder where the order system drops its exports",
    "PO_OUTBOX_DIR": "the folder where the order system picks up purchase orders",
    "SUPPLIERS_DIR": "the folder of the deployment's supplier files",
    "SUPPLIER_PIPELINE_STATE_DIR": "where session cookies are kept between runs",
}
_READ = (*REQUIRED_IN_PRODUCTION, "SUPPLIER_PIPELINE_ENV", "SUPPLIER_PIPELINE_DATA_DIR",
         "WAREHOUSE_DUCKDB_PATH", "SUPPLIER_PIPELINE_AUTOMATION",
         "CHROMIUM_PATH", "SUPPLIER_PIPELINE_EXECUTOR", "CELERY_QUEUE")


class SettingsError(RuntimeError):
    """The environment cannot run the pipeline; the message names every variable at fault."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    environment: Literal["development", "production"]
    warehouse_dsn: str | None
    duckdb_path: Path
    data_dir: Path
    shop_inbox: Path
    po_outbox: Path
    state_dir: Path
    suppliers_dirs: tuple[Path, ...]
    automation_on: bool
    chromium_path: str
    executor: str | None  # None: Dagster's multiprocess executor (defs/executor.py)
    celery_queue: str


def _set(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def load(environ: Mapping[str, str]) -> Settings:
    """The settings of an environment; raises SettingsError when production lacks something."""
    value = {name: _set(environ, name) for name in _READ}
    mode = (value["SUPPLIER_PIPELINE_ENV"] or "development").lower()
    if mode not in ("development", "production"):
        raise SettingsError(f"SUPPLIER_PIPELINE_ENV is {mode!r}: use development or production")
    if mode == "production":
        missing = [f"{name} ({why})" for name, why in REQUIRED_IN_PRODUCTION.items()
                   if not value[name]]
        if missing:
            raise SettingsError("SUPPLIER_PIPELINE_ENV=production needs: " + "; ".join(missing))
    automation = (value["SUPPLIER_PIPELINE_AUTOMATION"]
                  or ("on" if mode == "production" else "off")).lower()
    if automation not in ("on", "off"):
        raise SettingsError(f"SUPPLIER_PIPELINE_AUTOMATION is {automation!r}: use on or off")
    data = Path(value["SUPPLIER_PIPELINE_DATA_DIR"] or PROJECT_ROOT / ".data").resolve()
    folders = value["SUPPLIERS_DIR"]
    return Settings(
        environment=mode,
        warehouse_dsn=value["WAREHOUSE_DSN"],
        duckdb_path=Path(value["WAREHOUSE_DUCKDB_PATH"] or data / "warehouse.duckdb"),
        data_dir=data,
        shop_inbox=Path(value["SHOP_INBOX_DIR"] or data / "shop_inbox"),
        po_outbox=Path(value["PO_OUTBOX_DIR"] or data / "po_outbox"),
        state_dir=Path(value["SUPPLIER_PIPELINE_STATE_DIR"]
                       or Path.home() / ".local" / "state" / "supplier_pipeline"),
        suppliers_dirs=tuple(Path(p) for p in folders.split(os.pathsep) if p) if folders else (),
        automation_on=automation == "on",
        chromium_path=value["CHROMIUM_PATH"] or "/usr/bin/chromium",
        executor=value["SUPPLIER_PIPELINE_EXECUTOR"],
        celery_queue=value["CELERY_QUEUE"] or "dagster",
    )


@lru_cache(maxsize=8)
def _cached(snapshot: tuple[tuple[str, str], ...]) -> Settings:
    return load(dict(snapshot))


def current() -> Settings:
    """The settings of this process's environment, read once per distinct environment."""
    return _cached(tuple((name, os.environ.get(name, "")) for name in _READ))


def data_dir() -> Path:
    """Local state of the embedded default: warehouse file, shop inbox, PO outbox."""
    return current().data_dir


def duckdb_path() -> Path:
    return current().duckdb_path


def shop_inbox() -> Path:
    """Where the repair/order system drops repair orders, stock levels and open POs."""
    return current().shop_inbox


def po_outbox() -> Path:
    """Where purchase-order files are written for the order system to pick up."""
    return current().po_outbox
