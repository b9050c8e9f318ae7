"""The `supplier-pipeline` command: `extract` saved pages, `probe` a supplier's live pages."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _pages(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files += sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm")) \
            if path.is_dir() else [path]
    return files


def extract(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.extraction.generic import decode, extract_product

    for path in _pages(args.files):
        try:
            found = extract_product(decode(path.read_bytes()), args.locale)
        except OSError as exc:
            print(json.dumps({"file": str(path), "error": str(exc)}))
            continue
        line = {"file": str(path)}
        for name, value in found.items():
            line[name] = value.value
            line[f"{name}_layer"] = value.layer
        print(json.dumps(line, ensure_ascii=False))
    return 0


def probe(args: argparse.Namespace) -> int:
    from supplier_pipeline.lib.scraping.probe import probe as run_probe
    from supplier_pipeline.lib.suppliers.config import SupplierConfigError, load_suppliers

    try:
        configs = load_suppliers(include_disabled=True)
    except SupplierConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.supplier not in configs:
        print(f"unknown supplier {args.supplier!r}; known: {', '.join(sorted(configs))}",
              file=sys.stderr)
        return 2
    report = run_probe(configs[args.supplier], dict(os.environ), args.url)
    print(report.table())
    return 1 if report.errors else 0


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
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
