"""Backup and restore of the warehouse and of Dagster's storage, into / from one folder.

- DuckDB warehouse: the file, checkpointed and copied while this process holds DuckDB's
  exclusive lock, so no writer can change it mid-copy. A file copy (not EXPORT DATABASE) keeps
  dbt's views, whose SQL names the database by its file name: restore keeps that name.
- PostgreSQL (warehouse, or Dagster's storage named by `DAGSTER_POSTGRES_*`): `pg_dump -Fc`,
  restored by `pg_restore --single-transaction`. Connection settings reach the child only
  through libpq's PG* variables, so the password is never on a command line or in a log.
- Dagster on SQLite (`DAGSTER_HOME` without `DAGSTER_POSTGRES_*`): every file under
  DAGSTER_HOME, each SQLite database through SQLite's online backup.

A restore first checks every target and refuses, before touching any, when one already holds
data, unless `force` is given; a forced restore replaces what is there.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from supplier_pipeline.lib.warehouse import Warehouse, connect_postgres, without_dsn

MANIFEST = "backup.json"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# libpq's environment variable for each connection parameter a DSN may carry
LIBPQ_VARIABLES = {
    "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
    "user": "PGUSER", "password": "PGPASSWORD", "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS",
    "application_name": "PGAPPNAME", "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class RestoreRefused(RuntimeError):
    """A restore target already holds data and `force` was not given."""


@dataclass(frozen=True)
class DagsterStorage:
    """Where Dagster keeps runs, events and schedules: a PostgreSQL DSN or a DAGSTER_HOME."""

    dsn: str | None = None
    home: Path | None = None


def dagster_storage(environ: Mapping[str, str] = os.environ) -> DagsterStorage | None:
    """Dagster's storage as `dagster.yaml` configures it, or None when there is none here."""
    if environ.get("DAGSTER_POSTGRES_DB"):
        from psycopg2.extensions import make_dsn

        return DagsterStorage(dsn=make_dsn(
            host=environ.get("DAGSTER_POSTGRES_HOST") or "localhost",
            port=environ.get("DAGSTER_POSTGRES_PORT") or "5432",
            user=environ.get("DAGSTER_POSTGRES_USER") or None,
            password=environ.get("DAGSTER_POSTGRES_PASSWORD") or None,
            dbname=environ["DAGSTER_POSTGRES_DB"]))
    if environ.get("DAGSTER_HOME"):
        return DagsterStorage(home=Path(environ["DAGSTER_HOME"]))
    return None


def backup(warehouse: Warehouse, dagster: DagsterStorage | None, dest: Path) -> dict:
    """Write a backup of the warehouse (and Dagster's storage) into the empty folder `dest`."""
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"created_at": datetime.now(UTC).isoformat(), "dagster": None}
    if warehouse.dsn:
        _pg_dump(warehouse.dsn, dest / "warehouse.dump")
        manifest["warehouse"] = {"backend": "postgres", "path": "warehouse.dump"}
    else:
        copy = Path("warehouse") / warehouse.duckdb_path.name
        _copy_duckdb(warehouse.duckdb_path, dest / copy)
        manifest["warehouse"] = {"backend": "duckdb", "path": str(copy)}
    if dagster and dagster.dsn:
        _pg_dump(dagster.dsn, dest / "dagster.dump")
        manifest["dagster"] = {"backend": "postgres", "path": "dagster.dump"}
    elif dagster and dagster.home:
        _copy_dagster_home(dagster.home, dest / "dagster_home")
        manifest["dagster"] = {"backend": "sqlite", "path": "dagster_home"}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(warehouse: Warehouse, dagster: DagsterStorage | None, src: Path,
            force: bool = False) -> list[str]:
    """Restore the backup in `src` into the configured warehouse and Dagster storage; returns
    what was restored. Refuses, touching nothing, when a target holds data and not `force`."""
    manifest = json.loads((src / MANIFEST).read_text())
    saved_dagster = manifest["dagster"]
    if warehouse.backend != manifest["warehouse"]["backend"]:
        raise ValueError(f"the backup holds a {manifest['warehouse']['backend']} warehouse; "
                         f"this environment's is {warehouse.backend}")
    if saved_dagster and (dagster is None or _dagster_backend(dagster) != saved_dagster["backend"]):
        raise ValueError(f"the backup holds Dagster storage on {saved_dagster['backend']}; "
                         "set DAGSTER_POSTGRES_* or DAGSTER_HOME to the matching kind")
    occupied = [name for name, full in [
        ("warehouse", _warehouse_has_data(warehouse)),
        ("Dagster storage", bool(saved_dagster) and _dagster_has_data(dagster)),
    ] if full]
    if occupied and not force:
        raise RestoreRefused(f"the {' and the '.join(occupied)} already hold data: "
                             "restore into empty ones, or pass --force to replace them")
    if warehouse.dsn:
        _pg_restore(warehouse.dsn, src / manifest["warehouse"]["path"])
    else:
        _replace_file(src / manifest["warehouse"]["path"], warehouse.duckdb_path)
    restored = [f"warehouse ({warehouse.backend})"]
    if saved_dagster and dagster.dsn:
        _pg_restore(dagster.dsn, src / saved_dagster["path"])
    elif saved_dagster:
        _restore_dagster_home(src / saved_dagster["path"], dagster.home)
    if saved_dagster:
        restored.append(f"Dagster storage ({saved_dagster['backend']})")
    return restored


def _dagster_backend(dagster: DagsterStorage) -> str:
    return "postgres" if dagster.dsn else "sqlite"


def libpq_environment(dsn: str) -> dict[str, str]:
    """This process's environment without its PG* variables, plus the DSN's settings as PG*
    variables: a child such as pg_dump connects with no connection argument at all."""
    import psycopg2
    from psycopg2.extensions import parse_dsn

    try:
        settings = parse_dsn(dsn)
    except psycopg2.Error as exc:  # its message quotes the DSN, password included
        raise ValueError(f"cannot read the connection string: {without_dsn(str(exc), dsn)}") \
            from None
    unknown = sorted(set(settings) - set(LIBPQ_VARIABLES))
    if unknown:
        raise ValueError(f"unsupported connection parameters for backup: {', '.join(unknown)}")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return environ | {LIBPQ_VARIABLES[k]: v for k, v in settings.items()}


def _run(command: list[str], dsn: str) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise FileNotFoundError(f"{command[0]} is not on PATH (install the PostgreSQL client)")
    result = subprocess.run([tool, *command[1:]], env=libpq_environment(dsn),
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{command[0]} failed: {without_dsn(result.stderr, dsn)}")


def _pg_dump(dsn: str, path: Path) -> None:
    _run(["pg_dump", "--format=custom", f"--file={path}"], dsn)


def _pg_restore(dsn: str, path: Path) -> None:
    from psycopg2.extensions import parse_dsn

    _clear_postgres(dsn)
    # --no-owner: objects belong to the role that restores; grants are restored as dumped.
    _run(["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
          f"--dbname={parse_dsn(dsn)['dbname']}", str(path)], dsn)


USER_SCHEMAS = """
select nspname from pg_namespace
where nspname not in ('information_schema', 'public') and nspname !~ '^pg_'
"""
PUBLIC_RELATIONS = """
select c.relname, c.relkind from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'S', 'p')
"""
RELATION_KIND = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
                 "S": "sequence"}


def _clear_postgres(dsn: str) -> None:
    """Drop every user schema and everything in `public` (kept: PostgreSQL owns it), in one
    transaction, so the restored database holds exactly the backup."""
    with connect_postgres(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(USER_SCHEMAS)
        for (schema,) in cursor.fetchall():
            cursor.execute(f'drop schema "{schema}" cascade')
        cursor.execute(PUBLIC_RELATIONS)
        for name, kind in cursor.fetchall():
            cursor.execute(f'drop {RELATION_KIND[kind]} if exists public."{name}" cascade')
    connection.close()


def _postgres_has_data(dsn: str) -> bool:
    with connect_postgres(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from ({USER_SCHEMAS}) as s")
        schemas = cursor.fetchone()[0]
        cursor.execute(f"select count(*) from ({PUBLIC_RELATIONS}) as r")
        relations = cursor.fetchone()[0]
    connection.close()
    return bool(schemas or relations)


def _warehouse_has_data(warehouse: Warehouse) -> bool:
    if warehouse.dsn:
        return _postgres_has_data(warehouse.dsn)
    if not warehouse.duckdb_path.exists():
        return False
    tables = warehouse.read("select count(*) as n from information_schema.tables "
                            "where table_catalog = current_database()")
    return int(tables["n"].iloc[0]) > 0


def _dagster_has_data(dagster: DagsterStorage) -> bool:
    if dagster.dsn:
        return _postgres_has_data(dagster.dsn)
    return any(p.is_file() and p.name != "dagster.yaml" for p in dagster.home.rglob("*")) \
        if dagster.home.exists() else False


def _copy_duckdb(source: Path, copy: Path) -> None:
    import duckdb

    copy.parent.mkdir(parents=True)
    # A read-write connection holds DuckDB's exclusive file lock: nothing writes mid-copy.
    connection = duckdb.connect(str(source))
    try:
        connection.execute("checkpoint")
        shutil.copyfile(source, copy)
    finally:
        connection.close()


def _replace_file(copy: Path, target: Path) -> None:
    """Put the copy in place atomically; a write-ahead log of the old file must not replay."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(copy, staged)
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    os.replace(staged, target)


def _copy_dagster_home(home: Path, copy: Path) -> None:
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if path.is_dir() or path.name.endswith(SQLITE_SIDE_FILES):
            continue
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".db":
            # SQLite's online backup: a consistent copy even while the daemon writes.
            with sqlite3.connect(path) as live, sqlite3.connect(copy / relative) as saved:
                live.backup(saved)
            live.close()
            saved.close()
        else:
            shutil.copy2(path, copy / relative)


def _restore_dagster_home(copy: Path, home: Path) -> None:
    """Replace everything under DAGSTER_HOME but its instance settings (dagster.yaml)."""
    for path in home.iterdir() if home.exists() else []:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.name != "dagster.yaml":
            path.unlink()
    keep_settings = (home / "dagster.yaml").exists()
    shutil.copytree(copy, home, dirs_exist_ok=True, ignore=lambda folder, names: (
        ["dagster.yaml"] if keep_settings and Path(folder) == copy else []))
