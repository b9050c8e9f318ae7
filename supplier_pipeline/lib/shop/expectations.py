"""Expectation suites for the shop's exports (Great Expectations), run when an export arrives.

`ingest.validate_rows` decides row by row what goes through and what is quarantined. The
suites judge the file as a whole and explain it to people: which expectation failed, on which
lines, and a Data Docs site of every validation beside the warehouse. Each suite is derived
from the export's row model, so the two never disagree on columns, types, ranges or keys.

Great Expectations costs seconds to import: only `validate_export` imports it, so loading the
code location stays fast. Its context is ephemeral (nothing to commit, no GX project folder);
only the validation results and suites are kept on disk, under the data folder, so the Data
Docs index lists every export whichever process validated it.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import annotated_types

from supplier_pipeline.lib.shop.ingest import (
    SHRINK_LIMIT,
    SHRINK_MIN_ROWS,
    SNAPSHOTS,
    SOURCES,
    Export,
    Row,
)

SITE = "shop_exports"
DOCS_FOLDER = "gx_data_docs"  # under the data folder: the static site, open index.html
RESULTS_FOLDER = "gx_validation_results"  # under the data folder: what the site is built from
KEEP_VALIDATIONS = 30  # per export, in the results and the site; older ones are pruned
FAILING_ROWS_SHOWN = 5

# What the row model accepts, as text: the suites look at the file as delivered.
INTEGER = r"^\s*[+-]?\d+\s*$"
DECIMAL = r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$"
ISO_DATE = (r"^\s*\d{4}-\d{2}-\d{2}"
            r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$")


@dataclass(frozen=True)
class CheckSpec:
    name: str
    blocking: bool  # failing it keeps the whole export aside and the previous data in use
    description: str


CHECKS = (
    CheckSpec("required_columns_present", True,
              "Every column the rows need is in the header."),
    CheckSpec("export_not_collapsed", True,
              f"A snapshot export holds rows, and at least {SHRINK_LIMIT:.0%} as many as the "
              f"last accepted one (once that had {SHRINK_MIN_ROWS} or more)."),
    CheckSpec("export_has_usable_rows", True,
              "Rows pass row validation (bad ones are quarantined); decided row by row."),
    CheckSpec("columns_as_documented", False,
              "The header holds exactly the documented columns: a renamed optional column "
              "would otherwise read as empty."),
    CheckSpec("values_have_expected_types", False,
              "Required values present, numbers are numbers, statuses from the documented list."),
    CheckSpec("quantities_in_range", False,
              "Quantities and prices within their documented range."),
    CheckSpec("dates_parseable", False,
              "Dates are ISO 8601: 2026-11-30 or 2026-11-30T10:00:00+01:00."),
    CheckSpec("keys_unique", False, "No two rows share the export's key."),
    CheckSpec("parts_known", False, "Every part_id is in the shop's part list."),
)


def checks_for(source: str, check_parts: bool) -> list[CheckSpec]:
    """The checks that apply to one export (the shrink test to snapshots only)."""
    return [c for c in CHECKS
            if (c.name != "export_not_collapsed" or source in SNAPSHOTS)
            and (c.name != "parts_known" or check_parts)]


@dataclass(frozen=True)
class Expectation:
    check: str  # the asset check it reports to
    type: str  # a class of great_expectations.expectations
    kwargs: dict


def _kind(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _bounds(info: Any) -> dict:
    bounds: dict = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["min_value"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            bounds.update(min_value=item.gt, strict_min=True)
        elif isinstance(item, annotated_types.Le):
            bounds["max_value"] = item.le
        elif isinstance(item, annotated_types.Lt):
            bounds.update(max_value=item.lt, strict_max=True)
    return bounds


def _choices(info: Any) -> list[str] | None:
    for item in info.metadata:
        found = re.fullmatch(r"\^\(([\w|]+)\)\$", getattr(item, "pattern", None) or "")
        if found:
            return found.group(1).split("|")
    return None


def number_column(name: str) -> str:
    """The column holding `name` read as a number, for range expectations (blank if not one)."""
    return f"{name} as number"


def _ranged(model: type[Row], columns: list[str]) -> list[str]:
    return [n for n, info in model.model_fields.items()
            if n in columns and _kind(info.annotation) in (int, Decimal) and _bounds(info)]


def suite(source: str, columns: list[str], with_parts: bool) -> list[Expectation]:
    """The expectations for one export with this header; the shrink limit and the part list
    are parameters (`min_rows`, `known_parts`) given at each validation."""
    model = SOURCES[source][1]
    fields = model.model_fields
    out = [Expectation("required_columns_present", "ExpectColumnToExist", {"column": n})
           for n, info in fields.items() if info.is_required()]
    documented = [*fields, *map(number_column, _ranged(model, columns))]
    out.append(Expectation("columns_as_documented", "ExpectTableColumnsToMatchSet",
                           {"column_set": documented, "exact_match": True}))
    if source in SNAPSHOTS:
        out.append(Expectation("export_not_collapsed", "ExpectTableRowCountToBeBetween",
                               {"min_value": {"$PARAMETER": "min_rows"}}))
    types = "values_have_expected_types"
    for name in (n for n in fields if n in columns):
        info, kind = fields[name], _kind(fields[name].annotation)
        if info.is_required():
            out.append(Expectation(types, "ExpectColumnValuesToNotBeNull", {"column": name}))
        if kind in (int, Decimal):
            out.append(Expectation(types, "ExpectColumnValuesToMatchRegex",
                                   {"column": name, "regex": INTEGER if kind is int else DECIMAL}))
            if _bounds(info):
                out.append(Expectation("quantities_in_range", "ExpectColumnValuesToBeBetween",
                                       {"column": number_column(name), **_bounds(info)}))
        elif kind is datetime:
            out.append(Expectation("dates_parseable", "ExpectColumnValuesToMatchRegex",
                                   {"column": name, "regex": ISO_DATE}))
        if choices := _choices(info):
            out.append(Expectation(types, "ExpectColumnValuesToBeInSet",
                                   {"column": name, "value_set": choices}))
    key = [k for k in model.key if k in columns]  # an export without line numbers: po + part
    if len(key) == 1:
        out.append(Expectation("keys_unique", "ExpectColumnValuesToBeUnique", {"column": key[0]}))
    elif key:
        out.append(Expectation("keys_unique", "ExpectCompoundColumnsToBeUnique",
                               {"column_list": key}))
    if with_parts and "part_id" in columns:
        out.append(Expectation("parts_known", "ExpectColumnValuesToBeInSet",
                               {"column": "part_id", "value_set": {"$PARAMETER": "known_parts"}}))
    return out


def min_rows(source: str, previous_rows: int, accept_smaller: bool) -> int:
    """The fewest rows a snapshot export may hold (the shrink rule of `ingest.refusal`)."""
    if source in SNAPSHOTS and previous_rows >= SHRINK_MIN_ROWS and not accept_smaller:
        return max(1, math.ceil(SHRINK_LIMIT * previous_rows))
    return 1


def frame(export: Export, model: type[Row]):
    """The export as text, blanks as nulls, indexed by line in the file (so every failing
    value names its line), with range-checked columns also read as numbers."""
    import pandas as pd

    columns = [c for c in dict.fromkeys(export.columns) if c is not None]
    rows = [[(value.strip() or None) if isinstance(value, str) else None
             for value in (record.get(c) for c in columns)] for record in export.records]
    data = pd.DataFrame(rows, columns=columns, dtype=object,
                        index=pd.RangeIndex(2, len(rows) + 2, name="line"))
    for name in _ranged(model, columns):
        data[number_column(name)] = pd.to_numeric(data[name], errors="coerce")
    return data


@dataclass
class ExpectationFailure:
    expectation: str  # e.g. expect_column_values_to_be_unique
    column: str | None
    summary: str
    lines: list[int] = field(default_factory=list)


@dataclass
class CheckOutcome:
    name: str
    blocking: bool
    description: str
    passed: bool = True
    expectations: int = 0  # how many expectations stand behind it
    failures: list[ExpectationFailure] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # a few failing rows, as in the file
    note: str = ""


@dataclass
class ExportReport:
    source: str
    file: str
    encoding: str
    encoding_evidence: str
    rows: int
    checks: list[CheckOutcome]
    data_docs: str | None = None  # the site's index.html
    seconds: float = 0.0

    def check(self, name: str) -> CheckOutcome:
        return next(c for c in self.checks if c.name == name)

    @property
    def blocking_failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.blocking and not c.passed]

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=4)
def _context(data_dir: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    def folder(path: Path) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(path)}

    defaults = InMemoryStoreBackendDefaults()
    config = DataContextConfig(
        store_backend_defaults=defaults, progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={SITE: {"class_name": "SiteBuilder",
                                "store_backend": folder(Path(data_dir, DOCS_FOLDER)),
                                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}})
    results = Path(data_dir, RESULTS_FOLDER)
    config.stores[defaults.validation_results_store_name]["store_backend"] = \
        folder(results / "validations")
    config.stores[defaults.expectations_store_name]["store_backend"] = \
        folder(results / "expectations")
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.data_sources.add_pandas("shop")
    return context


def validate_export(source: str, export: Export, *, previous_rows: int,
                    known_parts: set[str] | None, accept_smaller: bool,
                    data_dir: Path) -> ExportReport:
    """Run the export's suite, record it and rebuild its Data Docs pages; the report holds
    every check's verdict ('export_has_usable_rows' is left to the row validation)."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    model = SOURCES[source][1]
    expectations = suite(source, export.columns, known_parts is not None)
    context = _context(str(Path(data_dir).resolve()))
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(name=source, expectations=[
        getattr(gx.expectations, e.type)(**e.kwargs, meta={"check": e.check})
        for e in expectations]))
    datasource = context.data_sources.get("shop")
    try:
        asset = datasource.get_asset(source)
    except LookupError:
        asset = datasource.add_dataframe_asset(source)
    batch = next(iter(asset.batch_definitions), None) \
        or asset.add_batch_definition_whole_dataframe("export")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=source, data=batch, suite=gx_suite))
    run_id = RunIdentifier(run_name=export.path.name, run_time=datetime.now(UTC))
    result = definition.run(
        batch_parameters={"dataframe": frame(export, model)},
        expectation_parameters={"min_rows": min_rows(source, previous_rows, accept_smaller),
                                "known_parts": sorted(known_parts or ())},
        result_format={"result_format": "COMPLETE"}, run_id=run_id)
    checks = _outcomes(source, known_parts is not None, result, export)
    docs = _build_docs(context, source, run_id, Path(data_dir))
    return ExportReport(source, str(export.path), export.encoding, export.encoding_evidence,
                        len(export.records), checks, docs,
                        round(time.perf_counter() - started, 3))


def _outcomes(source: str, with_parts: bool, result: Any, export: Export) -> list[CheckOutcome]:
    outcomes = {spec.name: CheckOutcome(spec.name, spec.blocking, spec.description)
                for spec in checks_for(source, with_parts)}
    for item in result.results:
        config = item.expectation_config
        outcome = outcomes[config.meta["check"]]
        outcome.expectations += 1
        if item.success:
            continue
        outcome.passed = False
        lines = [int(i["line"] if isinstance(i, dict) else i)
                 for i in item.result.get("unexpected_index_list") or []]
        outcome.failures.append(ExpectationFailure(
            config.type, config.kwargs.get("column"), _summary(config, item), lines[:50]))
    for outcome in outcomes.values():
        lines = sorted({n for f in outcome.failures for n in f.lines})[:FAILING_ROWS_SHOWN]
        outcome.rows = [{"line": n, **{k: v for k, v in export.records[n - 2].items()
                                       if isinstance(k, str)}} for n in lines]
    return list(outcomes.values())


def _summary(config: Any, item: Any) -> str:
    result, kwargs = item.result, config.kwargs
    if item.exception_info.get("raised_exception"):
        return f"could not be evaluated: {item.exception_info.get('exception_message')}"
    if config.type == "expect_column_to_exist":
        return f"column {kwargs['column']!r} is missing"
    if config.type == "expect_table_columns_to_match_set":
        mismatch = result.get("details", {}).get("mismatched", {})
        return (f"missing {mismatch.get('missing') or []}, "
                f"not documented {mismatch.get('unexpected') or []}")
    if config.type == "expect_table_row_count_to_be_between":
        return f"{result.get('observed_value')} rows, expected at least {kwargs.get('min_value')}"
    if config.type == "expect_column_values_to_not_be_null":
        return f"{result.get('unexpected_count')} of {result.get('element_count')} values empty"
    examples = ", ".join(repr(v) for v in (result.get("partial_unexpected_list") or [])[:3])
    return (f"{result.get('unexpected_count')} of {result.get('element_count')} values "
            f"({result.get('unexpected_percent') or 0:.0f}%) fail, e.g. {examples}")


def _build_docs(context: Any, source: str, run_id: Any, data_dir: Path) -> str | None:
    """Prune the export's old validations, then build its new pages and the index."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    results = data_dir / RESULTS_FOLDER / "validations" / source
    runs = sorted(results.glob("*/*/*.json"), key=lambda p: p.parent.name, reverse=True)
    for old in runs[KEEP_VALIDATIONS:]:  # one result per <run name>/<run time> folder
        relative = old.parent.relative_to(results.parent)
        shutil.rmtree(old.parent, ignore_errors=True)
        shutil.rmtree(data_dir / DOCS_FOLDER / "validations" / relative, ignore_errors=True)
    store = context.validation_results_store
    new = [key for key in store.list_keys()
           if key.expectation_suite_identifier.name == source
           and key.run_id.run_time == run_id.run_time]
    built = context.build_data_docs(
        site_names=[SITE], resource_identifiers=[ExpectationSuiteIdentifier(name=source), *new])
    index = built.get(SITE)
    return index.removeprefix("file://") if index else None


def failures_markdown(outcome: CheckOutcome) -> str:
    """The failing expectations of one check, one line each, with the lines they fail on."""
    items = []
    for f in outcome.failures:
        column = f" on `{f.column}`" if f.column else ""
        shown = ", ".join(map(str, f.lines[:10])) + (", …" if len(f.lines) > 10 else "")
        lines = f" (lines {shown})" if f.lines else ""
        items.append(f"- `{f.expectation}`{column}: {f.summary}{lines}")
    return "\n".join(items) or "none"


def rows_markdown(outcome: CheckOutcome) -> str:
    """A few failing rows as they are in the file."""
    if not outcome.rows:
        return "none"
    columns = list(dict.fromkeys(k for row in outcome.rows for k in row))
    return "\n".join([f"| {' | '.join(columns)} |", f"|{'---|' * len(columns)}",
                      *(f"| {' | '.join(_cell(row.get(c)) for c in columns)} |"
                        for row in outcome.rows)])


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")[:60]
