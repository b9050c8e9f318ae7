"""The `supplier-pipeline` command: `extract` saved pages, `probe` a supplier's live pages,
`backup` / `restore` the warehouse and Dagster's storage, `compact-raw` old observations,
`setup` a deployment's databases, tables and logins, `bi-snapshot` a copy of the DuckDB
warehouse for BI tools, `po` list / show / approve / reject."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


def _pages(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files += sorted(p for p in path.rglob("*") if p.name.lower().endswith(PAGE_SUFFIXES)) \
            if path.is_dir() else [path]
    return files


def extract(args: argparse.Namespace) -> int:
    """One JSON line per page; a page that cannot be read is a line with its error, and the
    batch goes on (the extractor itself never raises)."""
    import gzip

    from supplier_pipeline.lib.extraction.generic import decode, extract_product

    for path in _pages(args.files):
        try:
            body = path.read_bytes()
            found = extract_product(decode(gzip.decompress(body) if body[:2] == b"\x1f\x8b"
                                           else body), args.locale)
        except Exception as exc:  # unreadable file or archive: report it, read the next one
            print(json.dumps({"file": str(path), "error": f"{type(exc).__name__}: {exc}"}))
            continue
        line: dict[str, object] = {"file": str(path)}
        reasons = {}
        for name, value in found.items():
            line[name] = value.value
            line[f"{name}_layer"] = value.layer
            line[f"{name}_confidence"] = value.confidence
            if value.value is None and value.reason:
                reasons[name] = value.reason
        line["reasons"] = reasons
        print(json.dumps(line, ensure_ascii=False))
    return 0


def probe(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.scraping.probe import probe as run_probe
    from supplier_pipeline.lib.suppliers.config import read_supplier_files

    files = read_supplier_files(include_disabled=True)
    configs = files.configs
    if args.supplier not in configs:
        problems = files.problems_of(args.supplier)
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"unknown supplier {args.supplier!r}; known: {', '.join(sorted(configs))}",
                  file=sys.stderr)
        return 2
    report = run_probe(configs[args.supplier], dict(os.environ), args.url)
    print(report.table())
    return 1 if report.errors else 0


def _warehouse():
    from supplier_pipeline.lib import settings
    from supplier_pipeline.lib.warehouse import Warehouse

    current = settings.current()
    return Warehouse(current.warehouse_dsn, current.duckdb_path)


def backup(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.backup import backup as run_backup
    from supplier_pipeline.lib.backup import dagster_storage

    dagster = dagster_storage()
    try:
        manifest = run_backup(_warehouse(), dagster, Path(args.dest))
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"warehouse ({manifest['warehouse']['backend']}) -> {args.dest}")
    print(f"Dagster storage ({manifest['dagster']['backend']}) -> {args.dest}"
          if manifest["dagster"] else
          "Dagster storage: not configured here (set DAGSTER_POSTGRES_* or DAGSTER_HOME)")
    return 0


def restore(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.backup import RestoreRefused, dagster_storage
    from supplier_pipeline.lib.backup import restore as run_restore

    try:
        restored = run_restore(_warehouse(), dagster_storage(), Path(args.src), args.force)
    except (RestoreRefused, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    for what in restored:
        print(f"restored {what} from {args.src}")
    return 0


def compact_raw(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.retention import RETENTION_VARIABLE, compact_raw, retention_days

    try:
        days = args.older_than_days if args.older_than_days is not None else retention_days()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if days is None:
        print(f"{RETENTION_VARIABLE} is unset and no --older-than-days: every raw observation "
              "is kept")
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for table in compact_raw(_warehouse(), days, dry_run=args.dry_run):
        print(f"{table.table}: {verb} {table.removed:,} of {table.rows_before:,} rows "
              f"(repeats older than {days} days)")
    return 0


def setup(args: argparse.Namespace) -> int:
    """Create the databases and tables of Dagster's storage and of the warehouse, once; on
    PostgreSQL, with WAREHOUSE_ADMIN_DSN / WAREHOUSE_WRITER_PASSWORD set or `--roles`, the
    pipeline's writer login and the read-only BI login too."""
    from supplier_pipeline.lib.backup import dagster_storage
    from supplier_pipeline.lib.database_setup import (
        DatabaseSetupError,
        create_roles,
        ensure_database,
        prepare_warehouse,
        role_settings,
    )
    from supplier_pipeline.lib.settings import SettingsError
    from supplier_pipeline.lib.warehouse import Warehouse

    try:
        dagster = dagster_storage()
        if dagster and dagster.dsn and ensure_database(dagster.dsn):
            print("created Dagster's database")
        if os.environ.get("DAGSTER_HOME"):
            import dagster as dg

            with dg.DagsterInstance.get():  # creates Dagster's tables on first use
                print(f"Dagster instance ready ({os.environ['DAGSTER_HOME']})")
        warehouse = _warehouse()
        roles = role_settings(dict(os.environ), warehouse.dsn, args.roles)
        # with roles, the administrator creates the tables and hands them to the writer,
        # whose login does not exist yet on a first start
        for line in prepare_warehouse(Warehouse(roles[0]) if roles else warehouse):
            print(line)
        for line in create_roles(*roles) if roles else []:
            print(line)
    except (DatabaseSetupError, SettingsError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def bi_snapshot(args: argparse.Namespace) -> int:
    """Copy the DuckDB warehouse for BI tools, atomically; they never open the live file."""
    from supplier_pipeline.lib.bi_snapshot import default_destination, write_snapshot

    warehouse = _warehouse()
    if warehouse.dsn:
        print("the warehouse is PostgreSQL: BI tools read it directly as supplier_pipeline_bi "
              "(`supplier-pipeline setup --roles`)", file=sys.stderr)
        return 2
    dest = Path(args.dest) if args.dest else default_destination(warehouse)
    write_snapshot(warehouse, dest)
    print(f"BI snapshot of {warehouse.duckdb_path} -> {dest}")
    return 0


def po(args: argparse.Namespace) -> int:
    """The PO ledger: list, show one with its lines and history, approve or reject."""
    from datetime import UTC, datetime

    from supplier_pipeline.lib.purchasing import ledger
    from supplier_pipeline.lib.purchasing.approval import decide

    store = _warehouse()
    if args.action == "list":
        found = ledger.orders(store, args.state or None)
        for row in found.itertuples(index=False):
            print(f"{row.po_id}  {row.state:<15} {row.supplier_id:<16} {float(row.total):>10.2f} "
                  f"{row.currency}  {row.created_at}")
        print(f"{len(found)} purchase order(s)")
        return 0
    if args.action == "show":
        found = ledger.orders(store)
        header = found[found["po_id"] == args.po_ids[0]] if args.po_ids else found.iloc[0:0]
        if header.empty:
            print(f"no purchase order {args.po_ids[0] if args.po_ids else ''}", file=sys.stderr)
            return 2
        print(header.iloc[0].to_string())
        print(ledger.lines_of(store, args.po_ids[0]).to_string(index=False))
        print(ledger.events_of(store, args.po_ids[0]).to_string(index=False))
        return 0
    try:
        for line in decide(store, args.po_ids, args.action, args.reviewer, args.note,
                           datetime.now(UTC)):
            print(line)
    except ValueError as exc:  # IllegalTransition included
        print(exc, file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="supplier-pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    extracting = commands.add_parser("extract", help="read saved product pages (JSON lines)")
    extracting.add_argument("files", nargs="+", help="HTML files or folders of them")
    extracting.add_argument("--locale", default="en", help="decides 1.299 vs 1,299")
    extracting.set_defaults(run=extract)
    probing = commands.add_parser("probe", help="show what a supplier's config reads")
    probing.add_argument("supplier")
    probing.add_argument("--url", help="product page to read instead of the first listed")
    probing.set_defaults(run=probe)
    backing_up = commands.add_parser("backup", help="back up the warehouse and Dagster storage")
    backing_up.add_argument("dest", help="a new or empty folder")
    backing_up.set_defaults(run=backup)
    restoring = commands.add_parser("restore", help="restore a backup made by `backup`")
    restoring.add_argument("src", help="the backup folder")
    restoring.add_argument("--force", action="store_true",
                           help="replace a warehouse or Dagster storage that holds data")
    restoring.set_defaults(run=restore)
    compacting = commands.add_parser("compact-raw",
                                     help="remove old raw observations that repeat their offer's")
    compacting.add_argument("--older-than-days", type=int,
                            help="default: RAW_RETENTION_DAYS")
    compacting.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    compacting.set_defaults(run=compact_raw)
    setting_up = commands.add_parser(
        "setup", help="create the databases and tables of a deployment (run before serving)")
    setting_up.add_argument("--roles", action="store_true",
                            help="also create the writer and read-only BI logins (PostgreSQL); "
                                 "an error when their settings are missing")
    setting_up.set_defaults(run=setup)
    snapshotting = commands.add_parser(
        "bi-snapshot", help="copy the DuckDB warehouse for BI tools (atomically replaced)")
    snapshotting.add_argument("--dest", help="the copy's path; default: bi/<file name> beside "
                                             "the warehouse (keep the name: dbt's views use it)")
    snapshotting.set_defaults(run=bi_snapshot)
    orders = commands.add_parser("po", help="purchase orders: list, show, approve, reject")
    orders.add_argument("action", choices=["list", "show", "approve", "reject"])
    orders.add_argument("po_ids", nargs="*", help="PO ids (show: one; approve/reject: any)")
    orders.add_argument("--state", action="append", help="list: only POs in this state")
    orders.add_argument("--reviewer", default=os.environ.get("USER", ""),
                        help="who decides (default: $USER)")
    orders.add_argument("--note", default="", help="why (kept in the PO's history)")
    orders.set_defaults(run=po)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
