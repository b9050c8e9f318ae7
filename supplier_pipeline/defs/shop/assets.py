"""Ingest the shop's exports: parts, repair orders, stock on hand, open purchase orders, and
the order system's answers. Each export is validated as a file (Great Expectations suites,
shown as asset checks with a Data Docs site) and row by row (bad rows quarantined)."""

import json
from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.shop.expectations import (
    CheckOutcome,
    ExpectationFailure,
    ExportReport,
    checks_for,
    failures_markdown,
    rows_markdown,
    validate_export,
)
from supplier_pipeline.lib.shop.ingest import (
    OPTIONAL,
    SOURCES,
    ShopFileError,
    missing_columns,
    read_export,
    refusal,
    validate_rows,
)
from supplier_pipeline.lib.shop.rejected import keep_aside
from supplier_pipeline.lib.warehouse import Slice


class ShopIngestConfig(dg.Config):
    accept_smaller_export: bool = False
    """Take an export with far fewer rows than the last accepted one (a person checked it)."""


def _check_result(outcome: CheckOutcome, report: ExportReport | None,
                  extra: dict | None = None) -> dg.AssetCheckResult:
    metadata: dict = {"expectations": outcome.expectations,
                      "failing_expectations": dg.MetadataValue.md(failures_markdown(outcome)),
                      "failing_rows": dg.MetadataValue.md(rows_markdown(outcome))}
    if report is not None:
        metadata["encoding"] = f"{report.encoding} ({report.encoding_evidence})"
        if report.data_docs:
            metadata["data_docs"] = dg.MetadataValue.path(report.data_docs)
    return dg.AssetCheckResult(
        check_name=outcome.name, passed=outcome.passed, description=outcome.description,
        metadata={**metadata, **(extra or {})},
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN)


def _ingest(source: str, config: ShopIngestConfig, folders: FoldersResource,
            warehouse: WarehouseResource, check_parts: bool):
    filename, model = SOURCES[source]
    path = folders.inbox() / filename
    if source in OPTIONAL and not path.exists():
        yield dg.MaterializeResult(metadata={"file": str(path), "rows": 0,
                                             "note": "not delivered yet"})
        for spec in checks_for(source, check_parts):
            yield _check_result(CheckOutcome(spec.name, spec.blocking, spec.description,
                                             note="not delivered yet"), None)
        return
    store = warehouse.get()
    known = None
    if check_parts and store.table_exists("raw.shop_parts"):
        known = set(store.read("select part_id from raw.shop_parts")["part_id"])
    try:
        export = read_export(path)
    except ShopFileError as exc:
        raise dg.Failure(str(exc)) from exc
    previous = (int(store.read(f"select count(*) as n from raw.{source}")["n"].iloc[0])
                if store.table_exists(f"raw.{source}") else 0)
    report = validate_export(source, export, previous_rows=previous, known_parts=known,
                             accept_smaller=config.accept_smaller_export,
                             data_dir=settings.data_dir())
    missing = missing_columns(export, model)
    ingested = None if missing else validate_rows(export, model, known)
    verdict = (f"rows not read: columns {missing} missing" if ingested is None
               else refusal(source, ingested, previous))
    if verdict and ingested and ingested.good and config.accept_smaller_export:
        verdict = None  # a person checked the smaller export
    usable = report.check("export_has_usable_rows")
    if verdict:
        usable.passed = False
        usable.failures.append(ExpectationFailure("row validation", None, verdict))
    now = datetime.now(UTC)
    quarantine = [{"source": source, "file": str(path), "line": q["line"],
                   "record": json.dumps(q["record"], ensure_ascii=False), "reason": q["reason"],
                   "quarantined_at": now} for q in (ingested.quarantined if ingested else [])]
    refused = report.blocking_failures
    if refused:
        reasons = "; ".join(f"{c.name}: " + "; ".join(f.summary for f in c.failures)
                            for c in refused)
        kept = keep_aside(path, {**report.as_dict(), "refused_because": reasons,
                                 "quarantined": len(quarantine)}, now)
        # the bad rows are kept with their reasons; the last accepted data stays in use
        store.replace("raw.shop_quarantine", quarantine, {"source": source})
        for outcome in report.checks:
            yield _check_result(outcome, report, {"kept_aside": dg.MetadataValue.path(str(kept))})
        raise dg.Failure(f"{path}: {reasons}; the previous data is kept (the export is kept "
                         f"aside as {kept}). If a smaller export is right, re-run with "
                         "accept_smaller_export: true.")
    store.replace_slices([Slice(f"raw.{source}", ingested.good, {}),
                          Slice("raw.shop_quarantine", quarantine, {"source": source})])
    reasons = "\n".join(f"- line {q['line']}: {q['reason']}" for q in ingested.quarantined[:20])
    metadata = {
        "file": str(path), "encoding": report.encoding,
        "encoding_evidence": report.encoding_evidence, "rows": len(ingested.good),
        "quarantined": len(quarantine),
        "quarantine_reasons": dg.MetadataValue.md(reasons or "none"),
        "validation_seconds": report.seconds,
    }
    if report.data_docs:
        metadata["data_docs"] = dg.MetadataValue.path(report.data_docs)
    yield dg.MaterializeResult(metadata=metadata)
    for outcome in report.checks:
        yield _check_result(outcome, report)


def _shop_asset(source: str, description: str, check_parts: bool) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", source])
    deps = [dg.AssetKey(["raw", "shop_parts"])] if check_parts else []
    specs = [dg.AssetCheckSpec(spec.name, asset=key, blocking=spec.blocking,
                               description=spec.description)
             for spec in checks_for(source, check_parts)]

    @dg.asset(key=key, deps=deps, check_specs=specs, group_name="shop", kinds={"python", "csv"},
              description=description, pool="warehouse")
    def shop_asset(config: ShopIngestConfig, folders: FoldersResource,
                   warehouse: WarehouseResource):
        yield from _ingest(source, config, folders, warehouse, check_parts)

    return shop_asset


shop_parts = _shop_asset("shop_parts", "The parts the shop uses (its part master).", False)
repair_orders = _shop_asset(
    "repair_orders", "Repair orders from the shop's system; bad rows quarantined.", True)
stock_on_hand = _shop_asset("stock_on_hand", "Stock on hand per part, as last counted.", True)
open_purchase_orders = _shop_asset(
    "open_purchase_orders", "Purchase-order lines ordered but not yet delivered.", True)
po_acknowledgements = _shop_asset(
    "po_acknowledgements", "The order system's answers to our POs, per line.", False)
goods_received = _shop_asset(
    "goods_received", "Deliveries of our PO lines, as the order system booked them.", False)
