"""A copy of the DuckDB warehouse for BI tools.

DuckDB lets one process hold a file for writing, and a reader holds a lock too: a BI tool with
the live file open blocks every pipeline write for as long as it stays open. BI tools read a
copy instead, taken under the writer's lock after a checkpoint (so it is consistent) and put in
place with a rename (so a reader sees the previous copy or the new one, never half of one).
Keep the warehouse's file name: dbt's staging views name the database by it (marts are tables
and read the same under any name).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from supplier_pipeline.lib.warehouse import Warehouse, _open_duckdb


def default_destination(warehouse: Warehouse) -> Path:
    return warehouse.duckdb_path.parent / "bi" / warehouse.duckdb_path.name


def write_snapshot(warehouse: Warehouse, dest: Path) -> Path:
    """Replace `dest` by a consistent copy of the DuckDB warehouse; waits for a writer."""
    if warehouse.dsn:
        raise ValueError("a PostgreSQL warehouse is read directly, not copied")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    connection = _open_duckdb(warehouse.duckdb_path)  # holds the lock: no write mid-copy
    try:
        connection.execute("checkpoint")
        shutil.copyfile(warehouse.duckdb_path, staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
    dest.with_name(dest.name + ".wal").unlink(missing_ok=True)  # an old copy's log must not replay
    os.replace(staged, dest)
    return dest
