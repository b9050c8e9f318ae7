"""The warehouse: a DuckDB file by default, PostgreSQL when a DSN is configured.

Writes replace exactly one slice of a table (a partition, a run) inside one transaction, so a
rerun never duplicates rows and a failed write leaves the previous rows in place.
"""

from __future__ import annotations

import re
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


def _index_name(table: str, columns: Sequence[str]) -> str:
    return f"{table.split('.')[1]}__{'__'.join(columns)}"


# Tables this process has seen complete (created, every column, every index) in a warehouse.
# Schema changes run the first time a process meets a table, never again in that process:
# on PostgreSQL, `create index if not exists` takes a share lock on the table even when the
# index exists, so two writers running it inside their write transactions deadlock.
_READY: set[tuple[str, str]] = set()
# Serialises schema changes between processes meeting a new warehouse or a newer version at
# the same time (two `create table if not exists` at once can fail on PostgreSQL's catalog).
DDL_LOCK_KEY = 160_016


class WarehouseConnectionError(RuntimeError):
    """The warehouse cannot be reached; the message carries no password."""


def redact_dsn(dsn: str) -> str:
    """`dsn` fit for a log line: the password (URL or key=value form) replaced by ***."""
    from supplier_pipeline.lib.alerting.redact import redact

    text = re.sub(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn)
    # user:password@host, also in a URL too malformed for redact()'s pattern
    return redact(re.sub(r"([^\s/:@'\"]+:)[^@\s/'\"]+(?=@)", r"\1***", text))


def without_dsn(text: str, dsn: str) -> str:
    """An error text about `dsn` (psycopg2 quotes a DSN it cannot parse whole)."""
    from supplier_pipeline.lib.alerting.redact import redact

    return redact(text.replace(dsn, redact_dsn(dsn)).strip())


def connect_postgres(dsn: str) -> Any:
    """psycopg2's connection; its errors quote a DSN they cannot parse, password included, so
    they are re-raised redacted and with no trace of the original (no cause, no context) for a
    step's log or traceback to print."""
    import psycopg2

    try:
        return psycopg2.connect(dsn)
    except psycopg2.Error as exc:
        failure = f"cannot connect to the warehouse: {without_dsn(str(exc), dsn)}"
    raise WarehouseConnectionError(failure)


def _missing_relation(exc: BaseException) -> bool:
    """A write failed because a table or column is not there (dropped, or restored from an
    older backup, after this process last looked)."""
    kind = type(exc).__name__
    return kind in {"UndefinedTable", "UndefinedColumn", "CatalogException"} or (
        kind == "BinderException" and "column" in str(exc).lower())


class Warehouse:
    def __init__(self, dsn: str | None = None, duckdb_path: str | Path | None = None):
        if not dsn and not duckdb_path:
            raise ValueError("a warehouse needs a PostgreSQL DSN or a DuckDB file path")
        self.dsn = dsn or None
        self.duckdb_path = Path(duckdb_path) if duckdb_path else None

    def __repr__(self) -> str:
        where = redact_dsn(self.dsn) if self.dsn else str(self.duckdb_path)
        return f"Warehouse({self.backend}: {where})"

    @property
    def _identity(self) -> str:
        return self.dsn or str(self.duckdb_path.resolve())

    @property
    def backend(self) -> str:
        return "postgres" if self.dsn else "duckdb"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection; committed on success, rolled back on error, always closed."""
        if self.dsn:
            connection = connect_postgres(self.dsn)
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
        """Create missing schemas, tables and indexes, and add the columns a newer version
        defines, so an existing warehouse keeps working after an upgrade. Only what is missing
        is changed, and a table found complete is not looked at again by this process."""
        unknown = [t for t in dict.fromkeys(tables) if (self._identity, t) not in _READY]
        if not unknown:
            return
        changes = self._schema_changes(connection, unknown)
        if not changes:
            _READY.update((self._identity, t) for t in unknown)
            return
        if self.dsn:  # wait for another process's changes, then look again
            self.execute(connection, "select pg_advisory_xact_lock(?)", [DDL_LOCK_KEY])
            changes = self._schema_changes(connection, unknown)
        for statement in changes:
            self.execute(connection, statement)
        # marked ready by `prepare` once committed: the caller's transaction may roll back

    def prepare(self, tables: Sequence[str]) -> None:
        """Bring `tables` up to date in a short transaction of their own, once per process,
        so that write transactions never run DDL (`supplier-pipeline setup` does it for all)."""
        unknown = [t for t in dict.fromkeys(tables) if (self._identity, t) not in _READY]
        if not unknown:
            return
        with self.connect() as connection:
            self.ensure_tables(connection, unknown)
        _READY.update((self._identity, t) for t in unknown)

    def forget_schema(self, tables: Sequence[str] | None = None) -> None:
        """Look at `tables` (all) again before the next write: after a restore or a drop."""
        for key in [k for k in _READY if k[0] == self._identity
                    and (tables is None or k[1] in tables)]:
            _READY.discard(key)

    def _schema_changes(self, connection: Any, tables: Sequence[str]) -> list[str]:
        """The DDL statements that would bring `tables` up to date; none when they are."""
        schemas = sorted({t.split(".")[0] for t in tables})
        marks = ", ".join("?" for _ in schemas)
        existing: dict[str, set[str]] = {}
        for schema, name, column in self.execute(
                connection, "select table_schema, table_name, column_name "
                f"from information_schema.columns where table_schema in ({marks})",
                schemas).fetchall():
            existing.setdefault(f"{schema}.{name}", set()).add(column)
        indexes = {f"{schema}.{name}" for schema, name in self.execute(
            connection, f"select schemaname, indexname from pg_indexes where schemaname in "
                        f"({marks})", schemas).fetchall()} if self.dsn else set()
        changes: list[str] = []
        for table in tables:
            schema = table.split(".")[0]
            if table not in existing:
                changes += [f"create schema if not exists {schema}", _ddl(table)]
            else:
                changes += [f"alter table {table} add column {column} {kind}"
                            for column, kind in TABLES[table] if column not in existing[table]]
            for columns in INDEXES.get(table, []) if self.dsn else []:
                name = _index_name(table, columns)
                if f"{schema}.{name}" not in indexes:
                    changes.append(f"create index if not exists {name} on {table} "
                                   f"({', '.join(columns)})")
        return list(dict.fromkeys(changes))

    def replace(self, table: str, rows: Sequence[Mapping[str, Any]],
                where: Mapping[str, Any]) -> int:
        """Delete the rows matching `where`, insert `rows`, in one transaction."""
        self.replace_slices([Slice(table, rows, where)])
        return len(rows)

    def replace_slices(self, slices: Sequence[Slice]) -> None:
        """Replace several table slices atomically: all of them or none. The transaction
        holds only row changes (the tables are prepared before it), so concurrent writers of
        other slices never wait on each other's locks in a cycle."""
        def write() -> None:
            with self.connect() as connection:
                for piece in slices:
                    self._delete(connection, piece.table, piece.where)
                    self.insert(connection, piece.table, piece.rows)

        self._write([s.table for s in slices], write)

    def append(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        def write() -> None:
            with self.connect() as connection:
                self.insert(connection, table, rows)

        self._write([table], write)
        return len(rows)

    def _write(self, tables: Sequence[str], write) -> None:
        self.prepare(tables)
        try:
            write()
        except Exception as exc:
            if not _missing_relation(exc):
                raise
            self.forget_schema(tables)  # changed under this process: look again, once
            self.prepare(tables)
            write()

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
