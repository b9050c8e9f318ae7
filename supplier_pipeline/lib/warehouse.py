"""The warehouse: a DuckDB file by default, PostgreSQL when a DSN is configured.

Writes replace exactly one slice of a table (a partition, a run) inside one transaction, so a
rerun never duplicates rows and a failed write leaves the previous rows in place.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from supplier_pipeline.lib.tables import INDEXES, TABLES

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Slice:
    """The rows of `table` matching `where`, to be replaced by `rows`."""

    table: str
    rows: Sequence[Mapping[str, Any]]
    where: Mapping[str, Any]


# DuckDB lets one process open a file for writing: another writer (a dbt build, a scrape) waits
# this long for it rather than losing its result to a lock conflict.
DUCKDB_LOCK_WAIT_SECONDS = 120.0


def _open_duckdb(path: Path):
    import duckdb

    deadline = time.monotonic() + DUCKDB_LOCK_WAIT_SECONDS
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _ddl(table: str) -> str:
    columns = ", ".join(f"{name} {kind}" for name, kind in TABLES[table])
    return f"create table if not exists {table} ({columns})"


class Warehouse:
    def __init__(self, dsn: str | None = None, duckdb_path: str | Path | None = None):
        if not dsn and not duckdb_path:
            raise ValueError("a warehouse needs a PostgreSQL DSN or a DuckDB file path")
        self.dsn = dsn or None
        self.duckdb_path = Path(duckdb_path) if duckdb_path else None

    @property
    def backend(self) -> str:
        return "postgres" if self.dsn else "duckdb"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection; committed on success, rolled back on error, always closed."""
        if self.dsn:
            import psycopg2

            connection = psycopg2.connect(self.dsn)
        else:
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            connection = _open_duckdb(self.duckdb_path)
            connection.begin()
        try:
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    def execute(self, connection: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement inside the connection's transaction.

        A DuckDB cursor is a second connection with its own transaction, so DuckDB statements
        go through the connection itself.
        """
        if self.dsn:
            cursor = connection.cursor()
            cursor.execute(sql.replace("?", "%s"), list(params))
            return cursor
        return connection.execute(sql, list(params))

    def changed(self, connection: Any, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an update or delete; how many rows it changed (a conditional update that
        changes one row is how a writer claims it against another)."""
        result = self.execute(connection, sql, params)
        return result.rowcount if self.dsn else result.fetchone()[0]

    def ensure_tables(self, connection: Any, tables: Sequence[str]) -> None:
        """Create missing schemas and tables, and add columns a newer version defines, so an
        existing warehouse keeps working after an upgrade."""
        for schema in sorted({t.split(".")[0] for t in tables}):
            self.execute(connection, f"create schema if not exists {schema}")
        for table in tables:
            self.execute(connection, _ddl(table))
            schema, name = table.split(".")
            existing = {row[0] for row in self.execute(
                connection, "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?", [schema, name]).fetchall()}
            for column, kind in TABLES[table]:
                if column not in existing:
                    self.execute(connection, f"alter table {table} add column {column} {kind}")
            for columns in INDEXES.get(table, []) if self.dsn else []:
                self.execute(connection, f"create index if not exists {name}__{'__'.join(columns)}"
                                          f" on {table} ({', '.join(columns)})")

    def replace(self, table: str, rows: Sequence[Mapping[str, Any]],
                where: Mapping[str, Any]) -> int:
        """Delete the rows matching `where`, insert `rows`, in one transaction."""
        self.replace_slices([Slice(table, rows, where)])
        return len(rows)

    def replace_slices(self, slices: Sequence[Slice]) -> None:
        """Replace several table slices atomically: all of them or none."""
        with self.connect() as connection:
            self.ensure_tables(connection, [s.table for s in slices])
            for piece in slices:
                self._delete(connection, piece.table, piece.where)
                self.insert(connection, piece.table, piece.rows)

    def append(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        with self.connect() as connection:
            self.ensure_tables(connection, [table])
            self.insert(connection, table, rows)
        return len(rows)

    def _delete(self, connection: Any, table: str, where: Mapping[str, Any]) -> None:
        condition = " and ".join(f"{column} = ?" for column in where) or "true"
        self.execute(connection, f"delete from {table} where {condition}", list(where.values()))

    def insert(self, connection: Any, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = TABLES[table]
        names = [name for name, _ in columns]
        if self.dsn:
            from psycopg2.extras import execute_values

            values = [tuple(row.get(n) for n in names) for row in rows]
            execute_values(connection.cursor(),
                           f"insert into {table} ({', '.join(names)}) values %s", values,
                           page_size=1000)
            return
        import pandas as pd  # here, not at import: it keeps loading the code location fast

        # DuckDB: load through a frame of strings and cast in SQL, so decimals stay exact.
        frame = pd.DataFrame([{n: _text(row.get(n)) for n in names} for row in rows],
                             columns=names, dtype=object)
        casts = ", ".join(f"cast({name} as {kind})" for name, kind in columns)
        connection.register("incoming_rows", frame)
        connection.execute(f"insert into {table} ({', '.join(names)}) "
                           f"select {casts} from incoming_rows")
        connection.unregister("incoming_rows")

    def read(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query; `?` placeholders work on both backends."""
        import pandas as pd

        with self.connect() as connection:
            result = self.execute(connection, sql, params)
            if self.dsn:
                names = [d[0] for d in result.description]
                return pd.DataFrame(result.fetchall(), columns=names)
            return result.df()

    def table_exists(self, table: str) -> bool:
        schema, name = table.split(".")
        found = self.read("select count(*) as n from information_schema.tables "
                          "where table_schema = ? and table_name = ?", [schema, name])
        return int(found["n"].iloc[0]) > 0

    def dbt_environment(self) -> dict[str, str]:
        """The variables `dbt_project/profiles.yml` reads to reach this same warehouse."""
        if not self.dsn:
            return {"DBT_TARGET": "duckdb", "WAREHOUSE_DUCKDB_PATH": str(self.duckdb_path)}
        parts = urlsplit(self.dsn)
        return {"DBT_TARGET": "postgres", "DBT_PG_HOST": parts.hostname or "localhost",
                "DBT_PG_PORT": str(parts.port or 5432),
                "DBT_PG_USER": unquote(parts.username or ""),
                "DBT_PG_PASSWORD": unquote(parts.password or ""),
                "DBT_PG_DBNAME": parts.path.lstrip("/")}


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else (
        value.isoformat() if hasattr(value, "isoformat") else str(value))
