"""First start of a deployment: the databases Dagster and the warehouse live in, and their
tables, created once before the services start, so the webserver, the daemon and the code
server never race to create them and a missing database is a clear message, not a crash loop.

On PostgreSQL it also creates the warehouse's two logins, when their passwords are set:
- `supplier_pipeline_writer` (WAREHOUSE_WRITER_PASSWORD), the pipeline's: it owns the
  warehouse's schemas and tables and may create schemas in its database (dbt does), nothing
  more: no superuser, no other database, no roles.
- `supplier_pipeline_bi` (WAREHOUSE_BI_PASSWORD), for BI tools: connect, and select on `marts`,
  tables dbt builds later included.
Both are created or, when they exist, given the current password; running it again is harmless.
"""

from __future__ import annotations

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from supplier_pipeline.lib.tables import TABLES
from supplier_pipeline.lib.warehouse import Warehouse, redact_dsn

WRITER_ROLE, BI_ROLE = "supplier_pipeline_writer", "supplier_pipeline_bi"
# the names of the environment variables holding the logins' passwords (never the passwords)
WRITER_PASSWORD_VARIABLE = "WAREHOUSE_WRITER_PASSWORD"
BI_PASSWORD_VARIABLE = "WAREHOUSE_BI_PASSWORD"
BI_SCHEMAS = ("marts",)
# the schemas that are the pipeline's: every one but PostgreSQL's own
USER_SCHEMAS = ("select nspname from pg_namespace where nspname !~ '^pg_' "
                "and nspname not in ('information_schema', 'public')")
OWNED_RELATIONS = """
select n.nspname, c.relname, c.relkind from pg_class as c
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  and pg_get_userbyid(c.relowner) <> %s
  and not exists (select 1 from pg_depend as d where d.objid = c.oid and d.deptype in ('a', 'i'))
"""
RELATION_KIND = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
                 "S": "sequence", "f": "foreign table"}


class DatabaseSetupError(RuntimeError):
    """A database that does not exist and cannot be created by this login."""


def ensure_database(dsn: str) -> bool:
    """Create the database `dsn` names when its server lacks it; True when it was created.
    Connects to the server's `postgres` database with the same login to do so."""
    try:
        params = parse_dsn(dsn)
    except psycopg2.ProgrammingError as exc:  # its message quotes the DSN, password included
        failure = _clean(exc, dsn)
    else:
        failure = None
    if failure:
        raise DatabaseSetupError(f"the connection string is not valid: {failure}")
    name = params.get("dbname")
    try:
        psycopg2.connect(dsn, connect_timeout=10).close()
        return False
    except psycopg2.OperationalError as exc:
        if f'database "{name}" does not exist' not in str(exc):
            raise DatabaseSetupError(f"cannot reach database {name!r}: {_clean(exc, dsn)}") \
                from None
    admin = psycopg2.connect(make_dsn(dsn, dbname="postgres"), connect_timeout=10)
    admin.autocommit = True
    try:
        admin.cursor().execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg2.Error as exc:
        raise DatabaseSetupError(f"database {name!r} does not exist and this login cannot "
                                 f"create it: {_clean(exc, dsn)}") from None
    finally:
        admin.close()
    return True


def prepare_warehouse(warehouse: Warehouse) -> list[str]:
    """Create the warehouse's database (PostgreSQL) and every raw table; what was done."""
    done = []
    if warehouse.dsn and ensure_database(warehouse.dsn):
        done.append(f"created warehouse database {parse_dsn(warehouse.dsn)['dbname']!r}")
    warehouse.forget_schema()  # look at the database as it is now
    warehouse.prepare(list(TABLES))
    done.append(f"warehouse tables ready ({warehouse.backend})")
    return done


def _clean(exc: BaseException, dsn: str) -> str:
    return redact_dsn(str(exc).replace(dsn, redact_dsn(dsn)).strip())


def create_roles(admin_dsn: str, writer_password: str, bi_password: str | None = None, *,
                 writer: str = WRITER_ROLE, bi: str = BI_ROLE) -> list[str]:
    """Create (or give a new password to) the writer and BI logins in the database
    `admin_dsn` names, hand the writer every schema and table of the pipeline there, and let
    the BI login read `marts`; what was done. `admin_dsn` is a login that may create roles
    (the server's superuser at first start); the pipeline then runs as the writer."""
    try:
        database = parse_dsn(admin_dsn)["dbname"]
        admin = psycopg2.connect(admin_dsn, connect_timeout=10)
    except psycopg2.Error as exc:
        failure = _clean(exc, admin_dsn)
    else:
        failure = None
    if failure:
        raise DatabaseSetupError(f"cannot connect as the warehouse's administrator: {failure}")
    done: list[str] = []
    try:
        with admin, admin.cursor() as cursor:
            done.append(_login(cursor, writer, writer_password))
            cursor.execute(sql.SQL("grant connect, create, temporary on database {} to {}")
                           .format(sql.Identifier(database), sql.Identifier(writer)))
            # nobody else creates objects in `public` (PostgreSQL 15 already says so)
            cursor.execute("revoke create on schema public from public")
            for schema in BI_SCHEMAS:
                cursor.execute(sql.SQL("create schema if not exists {} authorization {}")
                               .format(sql.Identifier(schema), sql.Identifier(writer)))
            cursor.execute(USER_SCHEMAS)
            for (schema,) in cursor.fetchall():
                _hand_over(cursor, schema, writer)
            done.append(f"{writer} owns the warehouse's schemas and tables in {database!r}")
            if bi_password:
                done.append(_login(cursor, bi, bi_password))
                cursor.execute(sql.SQL("grant connect on database {} to {}").format(
                    sql.Identifier(database), sql.Identifier(bi)))
                for schema in BI_SCHEMAS:
                    _readable(cursor, schema, writer, bi)
                done.append(f"{bi} reads {', '.join(BI_SCHEMAS)} (tables dbt builds later "
                            "included)")
    except psycopg2.Error as exc:
        raise DatabaseSetupError(f"cannot create the warehouse's roles: {_clean(exc, admin_dsn)}"
                                 ) from None
    finally:
        admin.close()
    return done


def _login(cursor, role: str, password: str) -> str:
    cursor.execute("select 1 from pg_roles where rolname = %s", [role])
    verb = "alter" if cursor.fetchone() else "create"
    cursor.execute(sql.SQL(verb + " role {} login nosuperuser nocreatedb nocreaterole "
                           "noreplication nobypassrls password %s")
                   .format(sql.Identifier(role)), [password])
    return f"{'updated' if verb == 'alter' else 'created'} login {role}"


def _hand_over(cursor, schema: str, writer: str) -> None:
    """The writer owns `schema` and what is in it (tables created by an administrator before
    the roles existed included), so dbt can replace them."""
    cursor.execute(sql.SQL("alter schema {} owner to {}").format(
        sql.Identifier(schema), sql.Identifier(writer)))
    cursor.execute(OWNED_RELATIONS, [schema, writer])
    for namespace, name, kind in cursor.fetchall():
        cursor.execute(sql.SQL("alter " + RELATION_KIND[kind] + " {}.{} owner to {}").format(
            sql.Identifier(namespace), sql.Identifier(name), sql.Identifier(writer)))


def _readable(cursor, schema: str, writer: str, bi: str) -> None:
    names = {"schema": sql.Identifier(schema), "bi": sql.Identifier(bi),
             "writer": sql.Identifier(writer)}
    cursor.execute(sql.SQL("grant usage on schema {schema} to {bi}").format(**names))
    cursor.execute(sql.SQL("grant select on all tables in schema {schema} to {bi}")
                   .format(**names))
    # dbt replaces a mart by a new table, created by the writer: readable as soon as it exists
    cursor.execute(sql.SQL("alter default privileges for role {writer} in schema {schema} "
                           "grant select on tables to {bi}").format(**names))


def role_settings(environ: dict[str, str], warehouse_dsn: str | None,
                  required: bool) -> tuple[str, str, str | None] | None:
    """(administrator DSN, writer password, BI password) for `create_roles`, from the
    environment, or None when roles are not asked for (`required`: `setup --roles`).

    The writer's password is WAREHOUSE_WRITER_PASSWORD, or the one in WAREHOUSE_DSN when that
    is already the writer's login (docker compose); the administrator is WAREHOUSE_ADMIN_DSN,
    or WAREHOUSE_DSN while it is still another login (a first migration off the superuser)."""
    admin = environ.get("WAREHOUSE_ADMIN_DSN") or None
    if not (required or admin or environ.get(WRITER_PASSWORD_VARIABLE)):
        return None
    if not warehouse_dsn:
        if required:
            raise DatabaseSetupError("roles: the DuckDB warehouse has no logins; BI reads a "
                                     "snapshot (`supplier-pipeline bi-snapshot`)")
        return None
    params = parse_dsn(warehouse_dsn)
    is_writer = params.get("user") == WRITER_ROLE
    password = (environ.get(WRITER_PASSWORD_VARIABLE)
                or (params.get("password") if is_writer else None))
    if not password:
        raise DatabaseSetupError(f"roles: set {WRITER_PASSWORD_VARIABLE} (or put the password in "
                                 f"WAREHOUSE_DSN, as {WRITER_ROLE}'s login)")
    admin = admin or (None if is_writer else warehouse_dsn)
    if not admin:
        raise DatabaseSetupError("roles: set WAREHOUSE_ADMIN_DSN, a login that may create roles "
                                 "in the warehouse's database (WAREHOUSE_DSN is the writer's)")
    return admin, password, environ.get(BI_PASSWORD_VARIABLE) or None
