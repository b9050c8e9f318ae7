"""First start of a deployment: the databases Dagster and the warehouse live in, and their
tables, created once before the services start, so the webserver, the daemon and the code
server never race to create them and a missing database is a clear message, not a crash loop.
"""

from __future__ import annotations

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from supplier_pipeline.lib.tables import TABLES
from supplier_pipeline.lib.warehouse import Warehouse


class DatabaseSetupError(RuntimeError):
    """A database that does not exist and cannot be created by this login."""


def ensure_database(dsn: str) -> bool:
    """Create the database `dsn` names when its server lacks it; True when it was created.
    Connects to the server's `postgres` database with the same login to do so."""
    params = parse_dsn(dsn)
    name = params.get("dbname")
    try:
        psycopg2.connect(dsn, connect_timeout=10).close()
        return False
    except psycopg2.OperationalError as exc:
        if "does not exist" not in str(exc):
            # the message names host and database, never the password
            raise DatabaseSetupError(f"cannot reach database {name!r}: {exc}".strip()) from None
    admin = psycopg2.connect(make_dsn(dsn, dbname="postgres"), connect_timeout=10)
    admin.autocommit = True
    try:
        admin.cursor().execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg2.Error as exc:
        raise DatabaseSetupError(f"database {name!r} does not exist and this login cannot "
                                 f"create it: {exc}".strip()) from None
    finally:
        admin.close()
    return True


def prepare_warehouse(warehouse: Warehouse) -> list[str]:
    """Create the warehouse's database (PostgreSQL) and every raw table; what was done."""
    done = []
    if warehouse.dsn and ensure_database(warehouse.dsn):
        done.append(f"created warehouse database {parse_dsn(warehouse.dsn)['dbname']!r}")
    with warehouse.connect() as connection:
        warehouse.ensure_tables(connection, list(TABLES))
    done.append(f"warehouse tables ready ({warehouse.backend})")
    return done
